"""Sign-in, passwords and account administration."""
