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
    "okta": "sha256:d0bcac2e8df84c635973f81c9359eeef8a078e047ebb5a38683a0fc9cca8c660",
    "okta-reviewed": "sha256:e6043fd27cc8c2900811a904aab186b50e9413eeaeae3259bd0bddbb47013132",
    "entra": "sha256:1b7f5ce86fd74366205cece5fea69c1c26b42ac62d14b05619eb8bafbc3cb961",
    "entra-reviewed": "sha256:7d767c2e0a8bb947d4c7150faf71d8efce2a734d3007d99a8ff929a6655837ce",
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
