"""The sandbox's organization state: one :class:`SandboxState` per emulated Sigma organization.

Both APIs of the sandbox (REST v2 in :mod:`planner.sandbox.rest`, SCIM 2.0 through
:mod:`planner.sandbox.scim_storage`) read and write it, so a change made through one is
seen by the other. It is assembled from one module per resource, each holding that
resource's rules:

- :mod:`planner.sandbox.store`: the SQLite tables, lock, transactions, ids, errors;
- :mod:`planner.sandbox.members`: members over REST (docs/sigma-api.md §2);
- :mod:`planner.sandbox.teams`: teams and team members over REST (§3);
- :mod:`planner.sandbox.account_types`: account types (§4);
- :mod:`planner.sandbox.documents`: documents handed off on deactivation (§2.5, §2.6);
- :mod:`planner.sandbox.scim_users` and :mod:`planner.sandbox.scim_groups`: what SCIM
  writes do to members and teams (§5, §6.1);
- :mod:`planner.sandbox.seeding`: loading a Sigma export;
- :mod:`planner.sandbox.request_models`: the REST request bodies (pydantic).

The rules Sigma documents are enforced there, once for both APIs; where docs/sigma-api.md says
a behaviour is unknown, the strictest plausible behaviour is chosen and named in the
method docstring and in docs/sandbox.md. Failures raise
:class:`~planner.sandbox.store.StateError` subclasses carrying the HTTP status, the
``code`` and the ``message`` of Sigma's error envelope (§2.7).
"""

from __future__ import annotations

from .account_types import AccountTypes
from .documents import Documents
from .members import Members
from .scim_groups import ScimGroups
from .scim_users import ScimUsers
from .seeding import Seeding
from .teams import Teams


class SandboxState(Seeding, ScimUsers, ScimGroups, Members, Teams, AccountTypes, Documents):
    """One emulated Sigma organization in SQLite, shared by the REST and SCIM sides.

    Constructor: :class:`~planner.sandbox.store.Store` (``db_path``, ``organization_id``,
    ``default_account_type``, ``rng_seed``). Every public method takes the lock;
    :meth:`~planner.sandbox.store.Store.transaction` holds it across several calls (the
    SCIM storage wraps each SCIM operation in it).
    """
