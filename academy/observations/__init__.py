"""Observations: an instructor or a third-party assessor scores a live role-play or a real
counter session with a rubric (the standard reception steps and service rules, 1–5 each).

``rubrics`` reads the rubrics (``courses/rubrics.yaml``) and checks scores: pure, no Flask,
no database. ``services`` holds who may observe whom (org subtree, or an assessor's
engagements), recording, and the lists; recorded observations are evidence for the soft
skills, announced with :data:`academy.signals.observation_recorded`.
"""
