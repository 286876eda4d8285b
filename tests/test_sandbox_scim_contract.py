"""Our SCIM storage passes scim2-server's own storage contract (scim2_server.testing)."""

from __future__ import annotations

import pytest
from scim2_server.testing import ScimStorageContract

from planner.sandbox.scim import sigma_provider
from planner.sandbox.scim_storage import SigmaScimStorage
from planner.sandbox.state import SandboxState


class TestSigmaScimStorage(ScimStorageContract):
    """The contract's users are ``bjensen``-style names, so the profile rules are off here."""

    @pytest.fixture
    def provider(self):
        return sigma_provider()

    @pytest.fixture
    def storage(self, provider):
        state = SandboxState(rng_seed=1)
        state.seed_default_account_types()
        yield SigmaScimStorage(state, provider, require_profile=False)
        state.close()
