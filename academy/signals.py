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

observation_recorded = _signals.signal("observation-recorded", doc="""
An instructor, admin or engaged assessor recorded an observation of a live role-play or a
real counter session, scored with a rubric. This is the evidence of the etiquette and
soft skills (service etiquette, one-time notification, composure, first-contact
responsibility) that competency tracking reads.

Sent with: ``observation_id``, ``worker_id``, ``employee_no``, ``rubric`` (its code),
``kind`` (``role_play`` or ``counter_session``), ``scores`` (one
``{"criterion", "skill", "score"}`` per criterion of the rubric, in order: ``skill`` is the
framework skill code the criterion is evidence for or None, ``score`` 1–5 or None when not
observed), ``skills`` (the mean score per skill code over its scored criteria),
``mean_score`` (over the scored criteria, 1–5, two decimals), ``observer_id``,
``observer_role`` (``assessor``, ``instructor`` or ``admin``) and ``observed_at`` (aware
UTC). Sent after the observation is flushed, inside the request's transaction.
""")

scenario_run_finished = _signals.signal("scenario-run-finished", doc="""
A scenario run reached an ending (or ran out of steps) and was scored: the evidence of
the etiquette and soft skills practised in role-play. Sent once per run.

Sent with: ``run_id``, ``user_id``, ``worker_id`` and ``employee_no`` (None for users
without a staff record), ``scenario_id``, ``scenario`` (its slug), ``course`` (slug, or
None), ``skill`` (the course's skill code, or None), ``outcome`` (``success``, ``partial``,
``failure`` or ``timeout``), ``score`` (overall, 0–100), ``dimensions`` (score per
dimension, 0–100, e.g. ``{"greeting": 80, ...}``) and ``finished_at`` (aware UTC).
""")
