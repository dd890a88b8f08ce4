"""The background worker: periodic jobs, each run once per scheduled slot across hosts.

Features and plug-ins describe their jobs through the ``periodic_jobs`` hook
(:mod:`app.plugins.hookspecs`); :mod:`app.jobs.definitions` turns the descriptions into
:class:`~app.jobs.definitions.Job` objects with APScheduler triggers;
:mod:`app.jobs.services` claims and records runs in the ``job_run`` table;
:mod:`app.jobs.scheduler` wakes up on each job's schedule; :mod:`app.jobs.cli` offers
``flask worker`` and ``flask jobs list``.
"""
