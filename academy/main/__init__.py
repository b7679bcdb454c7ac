"""Home page, language switch, error pages."""
