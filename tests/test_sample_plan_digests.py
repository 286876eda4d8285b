"""The bundled sample plans' digests, pinned (issue 10: "plans for the bundled samples are
byte-identical before and after, unless a change is intended and named in the commit").

``samples/make_samples.py --check`` compares the sample *inputs* only; this test compares the
plans the planner makes from them. When a change of a sample plan is intended, replace the
digest below with the one the failure prints and name the change in the commit message.
Run ``python tests/test_sample_plan_digests.py`` to print the current digests.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

DIGESTS = {
    "okta": "sha256:e07a8b21efba17ea5d91916ba871faabedd4642378339e57c202c4914f94c3d9",
    "okta-reviewed": "sha256:b5805a14a7ec409ba79f19e7c40cf965120c944a561ef8e8feab660104555e49",
    "entra": "sha256:1d1af555510cc579003a3d249340f43aaf2e612423e76c6ca85802aad933e28d",
    "entra-reviewed": "sha256:2f11983e76e9f1e34bd49d221c78c3457239763b1319599e02e145113583e7b0",
}
"""Plan digest per sample: ``<idp>`` plans with ``policy-<idp>.yaml``, ``<idp>-reviewed`` with
``policy-<idp>-reviewed.yaml`` (the digest leaves out ``created_at``: planner.planfile)."""


def sample_plan_digest(name: str, out: Path) -> str:
    """Plan sample ``name`` (a key of :data:`DIGESTS`) into ``out`` with the CLI, from the
    repository root (the plan records the paths as given); its digest."""
    import os

    from planner.cli import main

    idp = name.split("-")[0]
    here = os.getcwd()
    os.chdir(REPO)
    try:
        main(["plan", "--sigma", "samples/acme/sigma", "--idp", f"samples/acme/{idp}",
              "--policy", f"samples/acme/policy-{name}.yaml", "--out", str(out)])
    except SystemExit as exc:
        assert exc.code == 0, f"plan {name} exited {exc.code}"
    finally:
        os.chdir(here)
    return json.loads(out.read_text(encoding="utf-8"))["digest"]


@pytest.mark.parametrize("name", sorted(DIGESTS))
def test_sample_plan_digest_is_unchanged(name, tmp_path, capsys):
    digest = sample_plan_digest(name, tmp_path / "plan.json")
    capsys.readouterr()
    assert digest == DIGESTS[name], (
        f"the {name} sample plan changed: {digest}; if intended, pin it here and name the change in the commit")


if __name__ == "__main__":
    import tempfile

    sys.path.insert(0, str(REPO))
    with tempfile.TemporaryDirectory() as tmp:
        found = {n: sample_plan_digest(n, Path(tmp) / f"{n}.json") for n in sorted(DIGESTS)}
    print(json.dumps(found, indent=4), file=sys.stderr)
