"""Curriculum: the competency framework, course packages, versions and authoring."""
