"""The few cross-feature events (blinker signals). Receivers must not commit.

Senders pass plain keyword arguments; a receiver that needs more loads it itself.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

worker_changed = _signals.signal("worker-changed", doc="""
Staff records were created or changed (by hand, through the API or by a roster import).

Sent with ``employee_nos``: the employee numbers concerned (a list; thousands for an
import). Sent after the writes are flushed, inside the request's transaction. The learning
feature answers by assigning the paths whose rules now match (set-based, never per row).
""")

assignment_rules_changed = _signals.signal("assignment-rules-changed", doc="""
Assignment rules were added or changed (e.g. by ``flask academy courses sync``).

Sent with ``rule_ids`` (a list, possibly empty meaning "all active rules"). The learning
feature answers by applying those rules to every active worker.
""")
