"""Plain text checks shared by forms, the API and file loaders (pure)."""

from __future__ import annotations


def storable(text: str) -> bool:
    """True when ``text`` can be stored in (and compared against) any of our databases.

    PostgreSQL refuses NUL in text and neither driver encodes lone surrogates.
    """
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
