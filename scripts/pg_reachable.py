"""Exit 0 when the PostgreSQL database of a SQLAlchemy URL accepts connections.

Usage: python scripts/pg_reachable.py postgresql+psycopg://user@host:5432/dbname
"""

from __future__ import annotations

import sys

import psycopg
from sqlalchemy.engine import make_url


def main(argv: list[str]) -> int:
    url = make_url(argv[1])
    if not url.drivername.startswith("postgresql"):
        print(f"not a PostgreSQL URL: {url.render_as_string()}", file=sys.stderr)
        return 2
    conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        with psycopg.connect(conninfo, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        print(str(exc).strip(), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
