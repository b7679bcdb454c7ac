"""Domain errors raised by services; views map them to forms, flashes or JSON problems."""

from __future__ import annotations


class DomainError(Exception):
    """A request the domain refuses. ``code`` is a stable slug for API clients."""

    code = "invalid"
    http_status = 422
    #: Further top-level members of the API's error body (e.g. what is saved, on a 409).
    extra: dict | None = None

    def __init__(self, message: str, fields: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class ValidationFailed(DomainError):
    code = "validation_failed"


class NotFound(DomainError):
    code = "not_found"
    http_status = 404


class Forbidden(DomainError):
    code = "forbidden"
    http_status = 403


class Conflict(DomainError):
    code = "conflict"
    http_status = 409
