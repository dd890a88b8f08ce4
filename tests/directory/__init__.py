"""Directory listing, custom profile fields, directory settings, expert finder, CSV and JSON."""
