"""A member a wave archived and someone reactivated by hand since is not archived again by the re-plan on the
export's silence: a blocking ``unmatched.reactivated`` item naming the run, settled by ``unmatched.decisions``
(tester17 finding 6: the re-plan with ``--applied`` deactivated her a second time, documents moved again, with no
item, though the journal said run 1 archived her and the export said she is active).

Against the bundled sample's sandbox over HTTP: plan (okta, reviewed), approve, ``apply --only
kind:members.deactivate``, ``PATCH /v2/members/{wendy} {"isArchived": false}`` by hand, fetch again, plan with
``--applied``."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import httpx2
import pytest

from planner.applied import applied_runs
from planner.planfile import read_plan

from .conftest import run_cli, run_cli_with_environ, write
from .execute_support import sandbox_env
from .sandbox_fixture import sample_sandbox

REPO = Path(__file__).resolve().parent.parent
SIGMA, OKTA = REPO / "samples/acme/sigma", REPO / "samples/acme/okta"
REVIEWED = (REPO / "samples/acme/policy-okta-reviewed.yaml").read_text(encoding="utf-8")
WENDY = "3x2uLcFsNLXYeQ5NIhA5RMBQgVTjG"  # wendy.park@acme.example, made by hand in 2023, not in the IdP export


@dataclass(frozen=True)
class SampleWave:
    """The bundled sample's sandbox over HTTP, and ``v1.json`` planned, approved and applied in waves in ``folder``
    (:func:`sample_wave`): ``cli(*argv)`` runs sigma-migrate with the sandbox's credentials and asserts exit 0;
    ``fetch(name)`` fetches Sigma's export into ``folder / name``; ``apply(*selection)`` applies a wave of v1.json."""

    folder: Path
    server: Any
    cli: Callable[..., None]

    @property
    def v1(self) -> Path:
        return self.folder / "v1.json"

    def fetch(self, name: str) -> None:
        self.cli("fetch", "--base-url", self.server.base_url, "--policy", str(self.folder / "pol.yaml"),
                 "--no-progress", "--out", str(self.folder / name))

    def apply(self, *selection: str) -> None:
        self.cli("apply", str(self.v1), *selection, "--rest-base-url", self.server.base_url, "--scim-base-url",
                 self.server.scim_base_url)

    def set_archived(self, member_id: str, archived: bool) -> None:
        """``PATCH /v2/members/{member_id} {"isArchived": archived}`` by hand, as an admin in Sigma's REST API."""
        httpx2.patch(f"{self.server.base_url}/v2/members/{member_id}", headers=self.server.rest_headers(),
                     json={"isArchived": archived}).raise_for_status()


@contextmanager
def sample_wave(folder: Path) -> Iterator[SampleWave]:
    """In ``folder``: the reviewed okta policy (pol.yaml), Sigma's export (e1), v1.json planned from it and
    approved (:class:`SampleWave`); the sandbox closes on exit."""
    server = sample_sandbox(SIGMA)
    server.start()
    env = sandbox_env(server)
    mp = pytest.MonkeyPatch()

    def cli(*argv: str) -> None:
        code, out, err = run_cli_with_environ(None, mp, env, *argv)
        assert code == 0, (argv, out, err)

    try:
        wave = SampleWave(folder, server, cli)
        write(folder / "pol.yaml", REVIEWED)
        wave.fetch("e1")
        cli("plan", "--sigma", str(folder / "e1"), "--idp", str(OKTA), "--policy", str(folder / "pol.yaml"),
            "--out", str(wave.v1))
        cli("approve", str(wave.v1), "--by", "T17")
        yield wave
    finally:
        mp.undo()
        server.close()


@pytest.fixture(scope="module")
def reactivated(tmp_path_factory):
    """The folder holding v1.json (its journal: run 1 archived the 10 unmatched members) and e2, the export fetched
    after wendy.park@ was reactivated by hand."""
    with sample_wave(tmp_path_factory.mktemp("reactivated")) as wave:
        wave.apply("--only", "kind:members.deactivate")
        wave.set_archived(WENDY, False)  # an admin brings her back by hand
        wave.fetch("e2")
        yield wave.folder


def plan_again(folder: Path, capsys, name: str, policy: str):
    write(folder / f"{name}.yaml", policy)
    code, out, err = run_cli(capsys, "plan", "--sigma", str(folder / "e2"), "--idp", str(OKTA), "--policy",
                             str(folder / f"{name}.yaml"), "--out", str(folder / f"{name}.json"),
                             "--applied", str(folder / "v1.json"))
    assert code == 0, out + err
    return read_plan(folder / f"{name}.json")


def test_a_member_a_wave_archived_and_an_admin_reactivated_is_held_not_archived_again(reactivated, capsys):
    [archive] = [a for a in applied_runs([reactivated / "v1.json"]).archives if a.member_id == WENDY]
    assert (archive.email, archive.kind, archive.archived, archive.run) == (
        "wendy.park@acme.example", "members.deactivate", True, 1)

    v2 = plan_again(reactivated, capsys, "v2", REVIEWED)

    assert [a.id for a in v2.actions if a.kind.value == "members.deactivate"] == []  # the other 9 are archived
    assert [i.id for i in v2.review_items if i.blocking] == [f"unmatched.reactivated:{WENDY}"]
    [item] = [i for i in v2.review_items if i.id == f"unmatched.reactivated:{WENDY}"]
    assert item.message == (
        f"wendy.park@acme.example: no IdP user matches this member; archived by {archive.words()} "
        "(members.deactivate), active again in Sigma since: reactivated on purpose? Deactivating them again locks "
        "them out and moves their documents a second time; decide whether to keep or deactivate this member")
    assert item.rule == "unmatched.reactivated"


@pytest.mark.parametrize("decision", ["deactivate", "keep"])
def test_unmatched_decisions_settle_the_member_reactivated_by_hand(reactivated, capsys, decision):
    policy = REVIEWED.replace("decisions: {tom.becker@acme.example: deactivate}",
                              f"decisions: {{tom.becker@acme.example: deactivate, wendy.park@acme.example: {decision}}}")
    assert policy != REVIEWED
    v2 = plan_again(reactivated, capsys, f"v2{decision}", policy)
    assert [i.id for i in v2.review_items if i.blocking] == []
    assert [(a.id, a.rule, a.reason) for a in v2.actions if a.kind.value == "members.deactivate"] == (
        [(f"members.deactivate:{WENDY}", "unmatched.decisions", "deactivate: no IdP user matches this member; "
          "documents go to tomasz.nowak@acme.example")]
        if decision == "deactivate" else [])


FELIX = "9RkgtbbmFLiGPXEGdQpeIXQ96ewRg"  # felix.brandt@consultco.example, a guest no IdP user matches: disabled


@pytest.fixture(scope="module")
def guest_enabled(tmp_path_factory):
    """The folder holding v1.json (its journal: run 1 disabled the 2 guests, ``apply --only
    kind:members.disable_guest``) and e2, the export fetched after felix.brandt@ was re-enabled by hand."""
    with sample_wave(tmp_path_factory.mktemp("guest")) as wave:
        wave.apply("--only", "kind:members.disable_guest")
        answer = httpx2.get(f"{wave.server.base_url}/v2/members/{FELIX}", headers=wave.server.rest_headers())
        assert (answer.json()["isArchived"], answer.json()["userKind"]) == (True, "guest")  # the wave disabled him
        wave.set_archived(FELIX, False)  # an admin re-enables the guest by hand
        wave.fetch("e2")
        yield wave.folder


def test_a_guest_a_wave_disabled_and_an_admin_re_enabled_is_held_not_disabled_again(guest_enabled, capsys):
    """verify18 finding 3: only members.deactivate was asked about; the guest was disabled again in silence."""
    [archive] = [a for a in applied_runs([guest_enabled / "v1.json"]).archives if a.member_id == FELIX]
    assert (archive.email, archive.kind, archive.archived, archive.run) == (
        "felix.brandt@consultco.example", "members.disable_guest", True, 1)

    write(guest_enabled / "v2.yaml", REVIEWED)
    code, out, err = run_cli(capsys, "plan", "--sigma", str(guest_enabled / "e2"), "--idp", str(OKTA), "--policy",
                             str(guest_enabled / "v2.yaml"), "--out", str(guest_enabled / "v2.json"),
                             "--applied", str(guest_enabled / "v1.json"), "--detailed-exitcode")
    assert code == 3, out + err
    v2 = read_plan(guest_enabled / "v2.json")
    assert [a.id for a in v2.actions if a.kind.value == "members.disable_guest"] == []  # mei stays disabled
    assert [a.id for a in v2.actions if FELIX in a.id] == []
    assert [i.id for i in v2.review_items if i.blocking] == [f"unmatched.reactivated:{FELIX}"]
    [item] = [i for i in v2.review_items if i.id == f"unmatched.reactivated:{FELIX}"]
    assert item.message == (
        "felix.brandt@consultco.example: a guest member, disabled (guests.action is convert, and no active IdP user "
        "in scope links to them): SCIM does not support guests (members.disable_guest); archived by "
        f"{archive.words()} (members.disable_guest), active again in Sigma since: reactivated on purpose? "
        "Deactivating them again locks them out and moves their documents a second time; decide whether to keep or "
        "deactivate this member")
    assert (item.rule, item.evidence.user_kind) == ("unmatched.reactivated", "guest")
    assert "felix.brandt@consultco.example: keep" in item.resolution
    assert "felix.brandt@consultco.example: deactivate" in item.resolution


@pytest.mark.parametrize("decision", ["deactivate", "keep"])
def test_unmatched_decisions_settle_the_guest_re_enabled_by_hand(guest_enabled, capsys, decision):
    policy = REVIEWED.replace("decisions: {tom.becker@acme.example: deactivate}",
                              "decisions: {tom.becker@acme.example: deactivate, "
                              f"felix.brandt@consultco.example: {decision}}}")
    assert policy != REVIEWED
    write(guest_enabled / f"g{decision}.yaml", policy)
    code, out, err = run_cli(capsys, "plan", "--sigma", str(guest_enabled / "e2"), "--idp", str(OKTA), "--policy",
                             str(guest_enabled / f"g{decision}.yaml"), "--out",
                             str(guest_enabled / f"g{decision}.json"),
                             "--applied", str(guest_enabled / "v1.json"), "--detailed-exitcode")
    assert code == 2, out + err  # changes, ready to approve
    v2 = read_plan(guest_enabled / f"g{decision}.json")
    assert [i.id for i in v2.review_items if i.blocking] == []
    assert [i.id for i in v2.review_items if i.code == "policy.unused_entry"] == []
    assert [(a.id, a.rule) for a in v2.actions if a.kind.value == "members.disable_guest"] == (
        [(f"members.disable_guest:{FELIX}", "guests.disable")] if decision == "deactivate" else [])
