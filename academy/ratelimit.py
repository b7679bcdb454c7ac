"""A rate-limit storage for the `limits` library that keeps its counters in a SQLite file.

Why: with the embedded SQLite database and no Redis, the login rate limits used
``memory://`` storage, so each gunicorn worker process kept its own counters and an
attacker got one full allowance per worker. This storage puts the counters in one SQLite
file that every process of the machine opens, so all workers share one count. In scale
mode (several machines) Redis is used instead.

Configure it as ``RATELIMIT_STORAGE_URI = "academy+sqlite:////absolute/path/ratelimits.db"``
(like SQLAlchemy: three slashes, then the path; so four for an absolute path). The scheme
is registered with `limits` when this module is imported, which must happen before
Flask-Limiter builds its storage.

Only the fixed-window strategy is supported (no moving or sliding window).
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

from limits.errors import ConfigurationError
from limits.storage import Storage

SCHEME = "academy+sqlite"
PRUNE_EVERY = 500  # incr calls per connection between two deletions of expired rows

_CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS ratelimits (
    key TEXT PRIMARY KEY,
    count INTEGER NOT NULL,
    expires REAL NOT NULL
)
"""

# One statement, so the increment is atomic across threads and processes. A window that
# has expired starts again: the count becomes `amount` and the expiry moves forward.
# (On the right-hand side of SET, `count` and `expires` are the row's old values.)
_INCR = """
INSERT INTO ratelimits (key, count, expires) VALUES (:key, :amount, :expires)
ON CONFLICT(key) DO UPDATE SET
    count = CASE WHEN expires <= :now THEN excluded.count ELSE count + excluded.count END,
    expires = CASE WHEN expires <= :now THEN excluded.expires ELSE expires END
RETURNING count
"""

# Connections inherited from a parent process through fork(). SQLite must not use them in
# the child, not even to close them, so they are kept referenced here and never touched.
_inherited_connections: list[sqlite3.Connection] = []


class SQLiteStorage(Storage):
    """Fixed-window counters in a SQLite file shared by all processes of one machine."""

    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str, wrap_exceptions: bool = False, **options: float | str | bool):
        """Read the file path from ``academy+sqlite:///<path>``; connect lazily."""
        path = urlparse(uri).path[1:]
        if not path:
            raise ConfigurationError(f"no file path in rate limit storage uri: {uri}")
        self.path = Path(path)
        self._local = threading.local()
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        """The errors Flask-Limiter may wrap or swallow."""
        return sqlite3.Error

    def _connection(self) -> sqlite3.Connection:
        """This thread's connection in this process, opened on first use."""
        local = self._local
        conn = getattr(local, "conn", None)
        if conn is not None and local.pid == os.getpid():
            return conn
        if conn is not None:
            _inherited_connections.append(conn)  # opened by the parent before a fork
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, isolation_level=None)
        conn.execute("PRAGMA busy_timeout=5000")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute(_CREATE_TABLE)
        local.conn = conn
        local.pid = os.getpid()
        local.calls = 0
        return conn

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        """Add `amount` to the key's counter and return the new count."""
        conn = self._connection()
        now = time.time()
        self._local.calls += 1
        if self._local.calls % PRUNE_EVERY == 0:
            conn.execute("DELETE FROM ratelimits WHERE expires <= ?", (now,))
        params = {"key": key, "amount": amount, "expires": now + expiry, "now": now}
        row = conn.execute(_INCR, params).fetchone()
        return int(row[0])

    def get(self, key: str) -> int:
        """The key's current count, 0 when absent or expired."""
        row = self._connection().execute(
            "SELECT count FROM ratelimits WHERE key = ? AND expires > ?", (key, time.time())
        ).fetchone()
        return int(row[0]) if row else 0

    def get_expiry(self, key: str) -> float:
        """When the key's window ends (epoch seconds); now when there is no live window."""
        now = time.time()
        row = self._connection().execute(
            "SELECT expires FROM ratelimits WHERE key = ? AND expires > ?", (key, now)
        ).fetchone()
        return float(row[0]) if row else now

    def check(self) -> bool:
        """Whether the file can be read."""
        try:
            self._connection().execute("SELECT 1").fetchone()
        except sqlite3.Error:
            return False
        return True

    def reset(self) -> int | None:
        """Delete every counter; return how many rows there were."""
        return self._connection().execute("DELETE FROM ratelimits").rowcount

    def clear(self, key: str) -> None:
        """Delete one key's counter."""
        self._connection().execute("DELETE FROM ratelimits WHERE key = ?", (key,))
