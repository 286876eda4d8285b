"""``sigma-migrate check``: load both exports, summarize them, list the findings.

:func:`run_check` loads a :class:`~planner.model.Snapshot` and
:func:`summarize` turns it into a JSON-ready summary (shape below);
:func:`render` prints summary and findings with rich tables; :func:`to_json`
gives the ``--json`` document ``{"summary": ..., "findings": [...]}``.

Summary shape (counts are ints)::

    {"sigma": {"directory": str,
               "members": {"total", "people", "system", "active", "archived", "inactive", "guests",
                           "by_account_type": {memberType: {"active", "archived", "inactive", "total"}},
                           "by_user_kind": {userKind: n}},
               "account_types": [accountTypeName, ...] | null,
               "teams": {"total", "archived", "without_members"},
               "team_memberships": {"total", "team_admins"}},
     "idp": {"format": str, "paths": [str],
             "users": {"total", "active", "inactive", "active_unknown", "guests",
                       "by_status": {status: n}, "by_type": {"Member"|"Guest"|"unknown": n}},
             "groups": {"total", "user_memberships", "group_memberships", "with_nested_groups",
                        "max_nesting_depth", "cycles"}},
     "inputs": [{"path", "kind", "records", "sha256"}],
     "findings": {"error", "warning", "info", "by_code": {code: n}}}

People counts exclude Sigma's scheduler robot (``SigmaMember.is_system``,
docs/formats.md §1b); it is counted under ``system``. Exit status: 0 without error
findings, 1 with (see :func:`exit_code`).

When a side loaded nothing (a missing directory, an unreadable or empty
required file: :func:`unloaded_sides`), the terminal shows no summary, only a
line naming that side and the findings: a table of zeros would read like an
empty organization. ``--json`` always has the whole document.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from rich import box
from rich.console import Console
from rich.table import Table

from .model import Finding, Severity, Snapshot
from .sources import load_snapshot
from . import held
from .gc_pause import gc_paused
from .terminal import SafeText as Text
from .terminal import printable_json
from .sources.validation import nesting

if TYPE_CHECKING:
    from .policy import Policy

MAX_SHOWN_PER_CODE = 20
"""The terminal shows at most this many findings of one code (``--json`` has them all)."""


@dataclass(frozen=True)
class CheckResult:
    """What ``check`` computed: the snapshot, its summary, and the paths it was given."""

    snapshot: Snapshot
    summary: dict[str, Any]

    @property
    def findings(self) -> tuple[Finding, ...]:
        return self.snapshot.findings


def run_check(sigma_dir: str | Path, idp_paths: Sequence[str | Path], idp_format: str | None = None,
              policy_path: str | Path | None = None) -> CheckResult:
    """Load the exports (never raises for bad files), check them against the policy, summarize them.

    ``policy_path`` defaults to the bundled default policy, as ``plan``'s does; its findings
    (:func:`planner.sources.validation.check_policy_inputs`) follow the loaders'. Raises
    :class:`~planner.policy.PolicyError` for a policy that cannot be read. A policy given is read
    before the exports; the default one only when the exports lack group memberships, the one
    case the policy decides (pydantic and the policy schema cost 0.12 s to import).
    """
    from dataclasses import replace

    from .sources.validation import check_policy_inputs, lacks_group_memberships

    policy = _policy(policy_path) if policy_path else None
    snapshot = load_snapshot(sigma_dir, list(idp_paths), idp_format)
    if policy is not None:
        from .model import export_organization_id
        from .rules.organization import check_policy_organization

        check_policy_organization(policy, export_organization_id(snapshot.sigma.members))
    extra = []
    if policy is not None:  # what plan says of the policy's account type names (refused, or probable typos)
        from .rules.account_types import typo_findings

        types = snapshot.sigma.account_types
        extra += typo_findings(policy, None if types is None else [a.name for a in types])
    if not (policy is not None and policy.preflight.members_include_archived_and_inactive):
        from .sources.sigma import members_listing_finding

        listing = members_listing_finding(snapshot.sigma)
        if listing is not None:
            extra.append(listing)
    if not (policy is not None and policy.preflight.idp_users_include_deactivated):
        from .sources.status_listing import inactive_listing_finding

        deprovisioned = inactive_listing_finding(snapshot.idp)
        if deprovisioned is not None:
            extra.append(deprovisioned)
    if policy is None or policy.guests.action == "convert":
        from .sources.guest_listing import guest_listing_finding

        no_guests = guest_listing_finding(snapshot.idp, snapshot.sigma.members)
        if no_guests is not None:
            extra.append(no_guests)
    from .sources.rule_columns import missing_column_findings

    extra += missing_column_findings((*snapshot.sigma.missing_columns, *snapshot.idp.missing_columns))
    from .sources.export_dates import export_dates_finding

    unreadable = export_dates_finding(snapshot.idp)
    if unreadable is not None:
        extra.append(unreadable)
    if lacks_group_memberships(snapshot.idp):
        extra += check_policy_inputs(snapshot, policy or _policy(None), list(idp_paths))
    if extra:
        snapshot = replace(snapshot, findings=snapshot.findings + tuple(extra))
    return CheckResult(snapshot, summarize(snapshot, sigma_dir, idp_paths))


def _policy(path: str | Path | None) -> Policy:
    """The policy at ``path``, or the bundled default policy (what ``plan`` reads without ``--policy``)."""
    from .policy_reader import load_policy
    from .resources import data_dir

    return load_policy(path or (data_dir("policies") / "default.yaml"))


def run(
    sigma_dir: str | Path,
    idp_paths: Sequence[str | Path],
    idp_format: str | None = None,
    *,
    as_json: bool = False,
    console: Console | None = None,
    policy_path: str | Path | None = None,
) -> int:
    """The whole ``check`` command: load, print (tables, or JSON with ``as_json``), return the exit status.

    Runs with the cyclic GC paused, so the millions of objects of a 100k-member org are never scanned
    (planner.gc_pause). Under the real entry point the snapshot is kept until the process ends, which ends
    without freeing it object by object (:mod:`planner.held`: 0.1-0.2 s of CPU at 100k members), and what is
    alive is then frozen out of the collector's reach; in-process callers (tests) free it before the
    collector resumes. Raises :class:`~planner.sources.UnknownFormatError` for an unknown ``idp_format``.
    """
    console = console or Console(highlight=False)
    with gc_paused(freeze=True):
        result = run_check(sigma_dir, idp_paths, idp_format, policy_path)
        if as_json:
            document = json.dumps(to_json(result), indent=2, ensure_ascii=False, default=str)
            console.file.write(printable_json(document) + "\n")
        else:
            render(result, console)
        code = exit_code(result)
        held.hold(result)
        del result
    return code


def exit_code(result: CheckResult) -> int:
    """0 when no finding is an error, 1 otherwise."""
    return 1 if result.snapshot.has_errors else 0


def summarize(snapshot: Snapshot, sigma_dir: str | Path = "", idp_paths: Sequence[str | Path] = ()) -> dict[str, Any]:
    """The JSON-ready summary of a snapshot (shape in the module docstring)."""
    sigma, idp = snapshot.sigma, snapshot.idp

    people = sigma.people
    by_type: dict[str, Counter] = defaultdict(Counter)
    kinds: Counter = Counter()
    for (member_type, is_archived, is_inactive, kind), n in _tally(people, "member_type", "is_archived",
                                                                   "is_inactive", "user_kind").items():
        by_type[member_type or "(none)"]["archived" if is_archived else "inactive" if is_inactive else "active"] += n
        kinds[kind or "(none)"] += n
    archived = sum(c["archived"] for c in by_type.values())
    inactive = sum(c["inactive"] for c in by_type.values())
    active = sum(c["active"] for c in by_type.values())
    account_types = {
        name: {"active": c["active"], "archived": c["archived"], "inactive": c["inactive"],
               "total": c["active"] + c["archived"] + c["inactive"]}
        for name, c in sorted(by_type.items(), key=lambda kv: (-sum(kv[1].values()), kv[0].casefold()))
    }
    teams_with_members = set(map(attrgetter("team_id"), sigma.team_memberships))

    statuses: Counter = Counter()
    types: Counter = Counter()
    active_states: Counter = Counter()
    user_guests = 0
    for (status, is_guest, user_type, user_active), n in _tally(idp.users, "status", "is_guest", "user_type",
                                                                "active").items():
        statuses[status or "(none)"] += n
        types["Guest" if is_guest else (user_type or "unknown")] += n
        user_guests += is_guest * n
        active_states[user_active] += n
    nest = nesting(idp.groups)
    severities = Counter(f.severity.value for f in snapshot.findings)

    return {
        "sigma": {
            "directory": str(sigma_dir),
            "members": {
                "total": len(sigma.members), "people": len(people), "system": len(sigma.members) - len(people),
                "active": active, "archived": archived, "inactive": inactive, "guests": kinds["guest"],
                "by_account_type": account_types,
                "by_user_kind": dict(sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0]))),
            },
            "account_types": None if sigma.account_types is None else [t.name for t in sigma.account_types],
            "teams": {
                "total": len(sigma.teams),
                "archived": sum(1 for t in sigma.teams if t.is_archived),
                "without_members": sum(1 for t in sigma.teams if t.team_id not in teams_with_members),
            },
            "team_memberships": {
                "total": len(sigma.team_memberships),
                "team_admins": sum(map(attrgetter("is_team_admin"), sigma.team_memberships)),
            },
        },
        "idp": {
            "format": idp.format,
            "paths": [str(p) for p in idp_paths],
            "users": {
                "total": len(idp.users), "active": active_states[True], "inactive": active_states[False],
                "active_unknown": active_states[None], "guests": user_guests,
                "by_status": dict(sorted(statuses.items(), key=lambda kv: (-kv[1], kv[0]))),
                "by_type": dict(sorted(types.items(), key=lambda kv: (-kv[1], kv[0]))),
            },
            "groups": {
                "total": len(idp.groups),
                "user_memberships": sum(len(g.member_user_ids) for g in idp.groups),
                "group_memberships": sum(len(g.member_group_ids) for g in idp.groups),
                "with_nested_groups": nest.nested_groups,
                "max_nesting_depth": nest.max_depth,
                "cycles": len(nest.cycles),
            },
        },
        "inputs": [
            {"path": i.path, "kind": i.kind, "records": i.records, "sha256": i.sha256}
            for i in (*sigma.inputs, *idp.inputs)
        ],
        "findings": {
            "error": severities.get("error", 0),
            "warning": severities.get("warning", 0),
            "info": severities.get("info", 0),
            "by_code": dict(sorted(Counter(f.code for f in snapshot.findings).items())),
        },
    }


def _tally(records: Sequence, first: str, second: str, *fields: str) -> Counter:
    """How many ``records`` hold each combination of values of two or more fields (keys are tuples of them, in the
    order named), counted in C: one ``attrgetter`` call per record."""
    return Counter(map(attrgetter(first, second, *fields), records))


def to_json(result: CheckResult) -> dict[str, Any]:
    """The ``--json`` document: ``{"summary": {...}, "findings": [{severity, code, file, location, field, message}]}``.
    """
    findings = []
    for f in result.findings:
        item = asdict(f)
        item["severity"] = f.severity.value
        findings.append(item)
    return {"summary": result.summary, "findings": findings}


# --------------------------------------------------------------------------- terminal


def _table(title: str, *columns: str) -> Table:
    table = Table(title=Text(title), title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for i, name in enumerate(columns):
        table.add_column(name, justify="left" if i == 0 else "right")
    return table


def _counts_table(title: str, rows: Iterable[tuple[str | Text, int]]) -> Table:
    """A ``(label, count)`` summary table; labels holding export data are :class:`Text` (no markup)."""
    table = _table(title, "", "count")
    for label, n in rows:
        table.add_row(label, str(n))
    return table


def unloaded_sides(snapshot: Snapshot) -> list[str]:
    """The sides that loaded nothing: ``"Sigma export"`` (no member), ``"IdP export"`` (no user, no group)."""
    out = []
    if not snapshot.sigma.members:
        out.append("Sigma export")
    if not snapshot.idp.users and not snapshot.idp.groups:
        out.append("IdP export")
    return out


def render(result: CheckResult, console: Console | None = None) -> None:
    """Print the summary tables, then the findings (at most :data:`MAX_SHOWN_PER_CODE` per code).

    Without the tables when a side loaded nothing (:func:`unloaded_sides`).
    """
    console = console or Console(highlight=False)
    unloaded = unloaded_sides(result.snapshot)
    if unloaded:
        console.print(Text(f"No summary: nothing could be loaded from the {' and the '.join(unloaded)} "
                           "(see the findings below).", style="bold red"), soft_wrap=True)
    else:
        _render_summary(result, console)
    _render_findings(result, console)


def _render_summary(result: CheckResult, console: Console) -> None:
    s = result.summary
    sm = s["sigma"]["members"]

    t = _table(f"Sigma members ({s['sigma']['directory']})", "account type", "active", "archived",
               "inactive", "total")
    for name, c in sm["by_account_type"].items():
        t.add_row(Text(name), str(c["active"]), str(c["archived"]), str(c["inactive"]), str(c["total"]))
    t.add_row(Text("all people", style="bold"), str(sm["active"]), str(sm["archived"]), str(sm["inactive"]),
              str(sm["people"]))
    caption = (f"{sm['people']} people + {sm['system']} system member(s) (scheduler robot, never counted "
                 "as a person)")
    known = s["sigma"]["account_types"]
    if known is not None:
        caption += f"; account types of the org: {', '.join(known) or '(none)'}"
    t.caption = Text(caption)
    t.caption_justify = "left"
    console.print(t)

    t = _table("Sigma members by userKind", "userKind", "people")
    for kind, n in sm["by_user_kind"].items():
        t.add_row(Text(kind), str(n))
    console.print(t)

    teams, tms = s["sigma"]["teams"], s["sigma"]["team_memberships"]
    console.print(_counts_table("Sigma teams", [
        ("teams", teams["total"]),
        ("archived teams", teams["archived"]),
        ("teams without members", teams["without_members"]),
        ("team memberships", tms["total"]),
        ("team admins", tms["team_admins"]),
    ]))

    users, groups = s["idp"]["users"], s["idp"]["groups"]
    console.print(_counts_table(f"IdP users ({s['idp']['format'] or 'nothing loaded'})", [
        ("users", users["total"]),
        ("active", users["active"]),
        ("inactive", users["inactive"]),
        ("active state unknown", users["active_unknown"]),
        *((Text(f"status {status}"), n) for status, n in users["by_status"].items() if status != "(none)"),
        *((Text(f"type {kind}" if kind != "unknown" else "type not given"), n)
          for kind, n in users["by_type"].items()),
    ]))

    console.print(_counts_table("IdP groups", [
        ("groups", groups["total"]),
        ("user memberships", groups["user_memberships"]),
        ("nested group memberships", groups["group_memberships"]),
        ("groups holding groups", groups["with_nested_groups"]),
        ("max nesting depth", groups["max_nesting_depth"]),
        ("nesting cycles", groups["cycles"]),
    ]))


def _render_findings(result: CheckResult, console: Console) -> None:
    counts = result.summary["findings"]
    console.print(Text(
        f"Findings: {counts['error']} error(s), {counts['warning']} warning(s), {counts['info']} info",
        style="bold",
    ))
    styles = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "dim"}
    shown: Counter = Counter()
    order = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
    for f in sorted(result.findings, key=lambda f: order[f.severity]):
        shown[f.code] += 1
        if shown[f.code] > MAX_SHOWN_PER_CODE:
            continue
        console.print(Text(str(f), style=styles[f.severity]), soft_wrap=True)
    for code, n in sorted(shown.items()):
        if n > MAX_SHOWN_PER_CODE:
            console.print(Text(f"... and {n - MAX_SHOWN_PER_CODE} more {code} finding(s) (--json lists all)",
                               style="dim"))
