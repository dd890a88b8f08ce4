"""Forums feature package."""
