"""Audit log: who did what to whom, with before/after values."""
