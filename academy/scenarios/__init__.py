"""Scenarios: branching reception role-plays read from course packages, run and scored.

``model`` holds the plain data (and the tiny condition language), ``loader`` reads and
validates the YAML files, ``engine`` runs and scores a scenario. All three are pure: no
Flask, no database.
"""
