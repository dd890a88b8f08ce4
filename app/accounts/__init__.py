"""Accounts feature package."""
