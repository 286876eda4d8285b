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
    "okta": "sha256:9950ed6ae53cfb6a832fef8a81b735979fb33655b6b1392df29940b4a987bfe4",
    "okta-reviewed": "sha256:44912eefc5d0a945f5b1badd3e9155700e3f63d543f317de345deedbf8c4ffa5",
    "entra": "sha256:255bc9a387ae549b0bc3fb50569b7c93a5ef93174740967bf7ae9759aac6bd5f",
    "entra-reviewed": "sha256:96e0c6b207a65a0426441ceb4ada07d8d7519dc15d8c225b53df3a2e0db00750",
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
