"""The fault harness (issue 12): the deployed product on servers of its own, faults one at a time.

Shared by the fault suite (``scheduler_site/tests/test_faults.py``, marker
``fault``) and the benchmark (``bench/fault_table.py``):

- ``servers``: a private PostgreSQL cluster (initdb into a temp dir) and a
  private Redis, on spare ports, so a fault can stop and start them;
- ``stack``: gunicorn, celery beat and the workers as real processes with
  production settings, a webhook receiver, and a status monitor;
- ``receiver``: the webhook target, recording each delivery's X-Job-Id;
- ``audit``: the run ledger of a time window, read by the product's own
  selectors in a subprocess against the private database;
- ``scenarios``: the faults, and the verdict on each (doubled Jobs,
  occurrences without a fate, recovery time, the status endpoint's answers).
"""
