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

quiz_attempt_graded = _signals.signal("quiz-attempt-graded", doc="""
A quiz attempt has its final grade: at once when it finishes, or when its last essay is
graded by hand (and again, with ``regrade=True``, if a grader changes an essay's score).
Abandoned attempts send nothing. This is the evidence of business knowledge that
competency tracking reads.

Sent with: ``attempt_id``, ``quiz_id``, ``course`` (slug), ``user_id``, ``worker_id`` and
``employee_no`` (None for users without a staff record), ``skill`` (the course's skill
code), ``level`` (the course's target level, 1–4), ``score`` (percent, 0–100), ``passed``
(this attempt reached the pass mark), ``quiz_passed`` (the quiz grade by its grading
method does), ``seconds`` (from start to finish) and ``finished_at`` (aware UTC), and
``regrade``. The learning feature answers by completing modules whose quiz is passed.
""")
