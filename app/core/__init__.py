"""HTTP-free building blocks shared by every feature."""
