"""Moderation feature package."""
