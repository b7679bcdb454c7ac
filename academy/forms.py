"""Helpers shared by the feature forms."""

from __future__ import annotations

from flask import flash

from academy.errors import DomainError


def attach_errors(form, exc: DomainError) -> None:
    """Put a domain error's field messages on the form's fields, or flash it."""
    placed = False
    for name, errors in exc.fields.items():
        target = getattr(form, name, None)
        if target is not None and hasattr(target, "errors"):
            target.errors = list(target.errors) + list(errors)
            placed = True
    if not placed:
        flash(exc.message, "danger")
