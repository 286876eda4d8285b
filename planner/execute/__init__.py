"""Apply an approved plan to Sigma: ordered, rate-limited, idempotent, resumable.

One module per concept (design.md "execute/"):

- :mod:`.targets`: base URLs (flags or the policy's ``targets``; https except
  loopback), credentials from the environment, the :class:`~.targets.Redactor`;
- :mod:`.retry`: 429/5xx/network retries with backoff, jitter and ``Retry-After``;
- :mod:`.rest_client`: Sigma REST v2 (OAuth client credentials, token reuse and re-mint);
- :mod:`.scim_client`: Sigma's SCIM 2.0 through scim2-client and scim2-models;
- :mod:`.paths`: the one place ids are encoded into request paths (clients and dry run);
- :mod:`.actions`: one check-first handler per :class:`planner.model.ActionKind`;
- :mod:`.indexes`: what the run already knows of Sigma (write answers, the member listing);
- :mod:`.journal`: the SQLite journal beside the plan (states, attempts, ids, before-images);
- :mod:`.runner`: dependency order, bounded concurrency, skips, circuit breaker;
- :mod:`.stale`: the stale-plan check against the plan's fingerprints;
- :mod:`.verify`: post-apply convergence, object by object;
- :mod:`.approve`: ``approve`` and the gate apply passes first;
- :mod:`.apply`: the ``apply`` command's orchestration, dry run, result file;
- :mod:`.result_html`: the report with its "Apply result" section;
- :mod:`.verify_plan`: ``verify PLAN``, a live read-only check any time later, per wave;
- :mod:`.undo`: ``undo JOURNAL``, a reverse plan from the journal's before-images;
- :mod:`.progress`: rich progress bar on a terminal, plain log lines otherwise;
- :mod:`.demo`: ``sigma-migrate demo``.
"""
