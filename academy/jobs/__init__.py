"""Background jobs for long work (imports, bulk certificates).

With ``REDIS_URL`` set, jobs go to RQ workers (``flask academy worker``); otherwise an
in-process thread pool runs them. Either way the status lives in the ``jobs`` table and
is read through ``GET /api/v1/jobs/{id}``.
"""
