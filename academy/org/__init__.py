"""Org units and staff records."""
