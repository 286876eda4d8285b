"""The HTML migration report and the CSV of actions, rendered from a :class:`planner.model.Plan`.

The report is one self-contained HTML file (inline CSS and JS, no URL of any
kind, a print stylesheet) built from the Jinja2 templates in ``templates/``
(found through :func:`planner.resources.data_dir`). Its sections, in order:

1. header: organization, plan digest, tool version, ``created_at``, inputs and
   policy with their sha256, so an auditor can tie the page to the plan file;
2. lock-out and risk summary (:func:`risk_summary`);
3. action counts per kind and account-type seats before/after, as inline SVG bars;
4. the review queue (candidates, evidence, rule, the policy snippet that resolves it);
5. the people table: every :class:`~planner.model.PersonRow`, embedded once as JSON
   (:func:`script_json`) and paged, searched, filtered and sorted in the browser;
6. the teams table.

Everything that comes from the inputs is escaped: Jinja2 autoescape is on for
the markup, the embedded JSON escapes ``<``, ``>`` and ``&``, the script only
ever sets ``textContent``, and a Content-Security-Policy allows no network
request and runs no inline script but the report's own (by sha256).

The CSV of actions (:func:`actions_csv`) has one row per action, and cells a
spreadsheet would read as a formula are neutralized (:func:`neutralize_cell`).
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Mapping

import jinja2
from markupsafe import Markup

from .errors import UserError
from .gc_pause import gc_paused
from .model import ActionKind, Plan
from .output import write_file
from .resources import data_dir
from .selection import Wave

TEMPLATE = "report.html.j2"
SCRIPT_FILE = "report/report.js"
STYLE_FILE = "report/report.css"

KIND_LABELS: dict[str, str] = {
    ActionKind.SCIM_CREATE_USER.value: "Create user",
    ActionKind.SCIM_LINK_USER.value: "Link user",
    ActionKind.SCIM_SET_ACCOUNT_TYPE.value: "Set account type",
    ActionKind.SCIM_DEACTIVATE_USER.value: "Deactivate user (SCIM)",
    ActionKind.SCIM_CREATE_GROUP.value: "Create team from group",
    ActionKind.SCIM_LINK_GROUP.value: "Link team to group",
    ActionKind.SCIM_SET_GROUP_MEMBERS.value: "Set group members",
    ActionKind.TEAMS_REMOVE_MEMBER.value: "Remove team member",
    ActionKind.MEMBERS_DEACTIVATE.value: "Deactivate member",
    ActionKind.MEMBERS_DISABLE_GUEST.value: "Disable guest",
    ActionKind.MEMBERS_CONVERT_GUEST.value: "Convert guest to internal",
    ActionKind.MEMBERS_SET_EMAIL.value: "Set email to userName",
    ActionKind.MEMBERS_REACTIVATE.value: "Reactivate member",
}
"""Short reviewer-facing label of each :class:`ActionKind` value."""

LOCKOUT_LABELS: dict[str, str] = {
    "deactivated": "Deactivated by the plan",
    "guest_disabled": "Guest disabled (SCIM does not support guests)",
    "unmatched_kept": "No IdP identity, kept: cannot sign in through the IdP",
    "unmatched_review": "No IdP identity yet, decision pending in the review queue",
}
"""Why a person cannot sign in after the switch; keys are the codes in the people JSON."""

LOCKOUT_SHORT: dict[str, str] = {
    "deactivated": "deactivated",
    "guest_disabled": "guest disabled",
    "unmatched_kept": "no IdP identity",
    "unmatched_review": "no IdP identity (in review)",
}
"""The people table's short form of :data:`LOCKOUT_LABELS`."""

_DEACTIVATING_KINDS = frozenset(
    {ActionKind.MEMBERS_DEACTIVATE.value, ActionKind.SCIM_DEACTIVATE_USER.value}
)
_DISABLE_GUEST = ActionKind.MEMBERS_DISABLE_GUEST.value
_CONVERT_GUEST = ActionKind.MEMBERS_CONVERT_GUEST.value
_SCIM_DEACTIVATE = ActionKind.SCIM_DEACTIVATE_USER.value
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
RISK_LIST_LIMIT = 100
"""How many people a risk card lists by name; the rest are one click away in the table."""

CSV_COLUMNS = ("id", "kind", "target", "before", "after", "rule", "reason")
PEOPLE_COLUMNS = (
    "name", "email", "member_id", "sigma_status", "user_kind", "user_name", "idp_id",
    "idp_status", "link_key", "account_type_before", "account_type_after", "kinds",
    "review", "review_items", "lockout", "type_change",
)
"""Field order of each row of the embedded people JSON (``kinds`` are indexes into ``kinds``,
``review_items`` indexes into ``reviews``; ``review`` is 0 none, 1 informational, 2 blocking; ``type_change`` is ``""``, ``change``,
``upgrade`` or ``downgrade``)."""


class ReportError(UserError):
    """The report or CSV cannot be written (unwritable path, missing template)."""


# --------------------------------------------------------------------------- small text helpers


def neutralize_cell(value: str) -> str:
    """Return ``value`` made safe for a spreadsheet cell (OWASP "CSV injection").

    A value beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
    would be read as a formula by Excel/LibreOffice/Sheets; it gets a leading
    apostrophe: ``"=HYPERLINK(...)"`` -> ``"'=HYPERLINK(...)"``. Others are unchanged.
    """
    if value.startswith(_FORMULA_PREFIXES):
        return "'" + value
    return value


def flat_text(value: Any) -> str:
    """One-line text of a target/before/after value for the CSV and the page.

    ``None`` -> ``""``; a mapping -> ``key=value`` pairs joined by ``"; "`` in
    the mapping's order (nested values as compact JSON, ``None`` as ``null``);
    a list -> items joined by ``", "``; anything else -> ``str``.
    """
    if value is None:
        return ""
    if isinstance(value, Mapping):
        return "; ".join(f"{k}={_scalar_text(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(_scalar_text(v) for v in value)
    return str(value)


def _scalar_text(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (Mapping, list, tuple)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    return str(value)


def script_json(value: Any) -> str:
    """JSON text safe to place inside ``<script type="application/json">``.

    ``<``, ``>`` and ``&`` become ``\\u003c``, ``\\u003e`` and ``\\u0026``, so no
    input can close the script element (``</script>``) or open a comment
    (``<!--``); ``JSON.parse`` reads the same values back.
    """
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def mapping_columns(rows: Iterable[Mapping[str, Any]]) -> list[str]:
    """The keys of ``rows`` in first-seen order (the column heads of a candidates table)."""
    seen: dict[str, None] = {}
    for row in rows:
        for key in row:
            seen.setdefault(str(key), None)
    return list(seen)


def kind_label(kind: str) -> str:
    """The reviewer-facing label of an action kind value (the value itself when unknown)."""
    return KIND_LABELS.get(kind, kind)


# --------------------------------------------------------------------------- CSV


def actions_csv(plan: Plan) -> str:
    """The CSV text of the plan's actions, one row per action, in plan order.

    Columns: ``id, kind, target, before, after, rule, reason``; ``target``,
    ``before`` and ``after`` as :func:`flat_text`; every cell passed through
    :func:`neutralize_cell`. Lines end with CRLF (RFC 4180).
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for action in plan.actions:
        cells = (
            action.id,
            _kind_value(action.kind),
            flat_text(action.target),
            flat_text(action.before),
            flat_text(action.after),
            action.rule,
            action.reason,
        )
        writer.writerow([neutralize_cell(c) for c in cells])
    return buffer.getvalue()


def write_actions_csv(plan: Plan, path: str | Path) -> Path:
    """Write :func:`actions_csv` to ``path`` as UTF-8 with a BOM (so Excel reads accents).

    Raises :class:`planner.output.OutputError` when the file cannot be written
    (:func:`planner.output.write_file`: the parent directory must exist).
    """
    return write_file(path, actions_csv(plan), encoding="utf-8-sig")


# --------------------------------------------------------------------------- derived facts


@dataclass(frozen=True)
class PersonFacts:
    """What the report derives for one person (index ``i`` into ``plan.people``).

    ``kinds``: action kind values of the person's actions, sorted; ``lockout``: a
    :data:`LOCKOUT_LABELS` key or ``""``; ``review``: 0 none, 1 informational,
    2 blocking; ``type_change``: ``""``, ``change``, ``upgrade``, ``downgrade`` or
    ``custom_replacement`` (a custom account type replaced, planner.rules.account_types).
    """

    index: int
    kinds: tuple[str, ...]
    lockout: str
    review: int
    type_change: str


_KIND_VALUES: dict[Any, str] = {k: k.value for k in ActionKind}


def _kind_value(kind: Any) -> str:
    value = _KIND_VALUES.get(kind)
    return value if value is not None else str(kind)


def is_admin_type(account_type: str | None) -> bool:
    """True for Sigma's built-in ``Admin`` account type (any letter case)."""
    return (account_type or "").casefold() == "admin"


def lockout_reason(
    kinds: Iterable[str], *, member_id: str | None, idp_id: str | None,
    user_kind: str | None, sigma_status: str | None, in_review: bool = False,
) -> str:
    """Why a person cannot sign in once SCIM is on, as a :data:`LOCKOUT_LABELS` key, or ``""``.

    - ``deactivated``: the plan deactivates them (``members.deactivate`` or
      ``scim.deactivate_user``);
    - ``guest_disabled``: an active guest not converted to an internal user
      (enabling SCIM disables guests, sigma-api.md §5.3);
    - ``unmatched_kept``: an active internal member with no IdP identity and no
      deactivation; SAML-only sign-in needs the IdP (sigma-api.md §5.1, §2.5);
    - ``unmatched_review``: the same while a review item about them is open
      (``in_review``): the decision may still link or deactivate them.

    Members already archived or inactive lose nothing and give ``""``.
    """
    kinds = set(kinds)
    if kinds & _DEACTIVATING_KINDS:
        return "deactivated"
    if _DISABLE_GUEST in kinds:
        return "guest_disabled"
    if member_id is None or sigma_status not in (None, "active"):
        return ""
    if user_kind == "guest":
        return "" if _CONVERT_GUEST in kinds else "guest_disabled"
    if idp_id is None and user_kind in (None, "", "internal"):
        return "unmatched_review" if in_review else "unmatched_kept"
    return ""


def person_facts(plan: Plan) -> list[PersonFacts]:
    """:class:`PersonFacts` for every row of ``plan.people``, in order.

    ``type_change`` takes ``upgrade``/``downgrade``/``custom_replacement`` from the
    ``direction`` (or ``change``) evidence of the person's ``scim.set_account_type``
    action when the planner gives one, else ``change`` when before and after differ;
    leaving ``Admin`` is always a ``downgrade``.
    """
    kind_of = {a.id: _kind_value(a.kind) for a in plan.actions}
    direction_of = {
        a.id: str(a.evidence.get("direction") or a.evidence.get("change") or "")
        for a in plan.actions
        if a.kind == ActionKind.SCIM_SET_ACCOUNT_TYPE and a.evidence
    }
    blocking = {r.id for r in plan.review_items if r.blocking}
    facts = []
    for i, p in enumerate(plan.people):
        kinds = tuple(sorted({kind_of[a] for a in p.actions if a in kind_of}))
        lockout = lockout_reason(
            kinds, member_id=p.member_id, idp_id=p.idp_id,
            user_kind=p.user_kind, sigma_status=p.sigma_status, in_review=bool(p.review_items),
        )
        review = 0
        if p.review_items:
            review = 2 if any(r in blocking for r in p.review_items) else 1
        change = ""
        if (
            not lockout
            and p.account_type_before is not None
            and p.account_type_after is not None
            and p.account_type_before != p.account_type_after
        ):
            # Admin is the top account type: leaving it is a downgrade whatever the planner says
            change = "downgrade" if is_admin_type(p.account_type_before) else "change"
            for a in p.actions:
                if change == "change" and direction_of.get(a) in ("upgrade", "downgrade", "custom_replacement"):
                    change = direction_of[a]
        facts.append(PersonFacts(i, kinds, lockout, review, change))
    return facts


def _person_ref(p: Any) -> dict[str, Any]:
    """The small dict a risk card shows for a person."""
    return {
        "name": p.name or "",
        "email": p.email or p.user_name or "",
        "member_id": p.member_id or "",
        "before": p.account_type_before or "",
        "after": p.account_type_after or "",
    }


_OWNER_POLICY_KEYS = {"provisioning_owner": "scim_setup_admin", "credential_owner": "api_credential_owner"}


def _summary_owner(plan: Plan, key: str) -> dict[str, Any] | None:
    """The ``provisioning_owner`` / ``credential_owner`` entry, or ``None`` when nobody is named.

    ``summary[key]`` when the planner gives it (a mapping with ``email`` /
    ``userName`` / ``memberId``, or a plain string), else the resolved policy's
    ``organization.scim_setup_admin`` / ``organization.api_credential_owner``
    (an email or memberId, planner.policy.Organization).
    """
    owner = plan.summary.get(key)
    if owner is None:
        resolved = plan.policy.get("resolved") or {}
        organization = resolved.get("organization") if isinstance(resolved, Mapping) else None
        if isinstance(organization, Mapping):
            owner = organization.get(_OWNER_POLICY_KEYS[key])
    if owner is None or owner == "":
        return None
    if isinstance(owner, Mapping):
        return dict(owner)
    return {"email": str(owner)}


def _owner_key(owner: Mapping[str, Any]) -> str:
    return str(owner.get("email") or owner.get("userName") or owner.get("memberId") or "").strip().casefold()


def owner_status(
    key: str, owner: Mapping[str, Any] | None,
    people_by_key: Mapping[str, tuple[int, Any]], facts_by_row: Mapping[int, PersonFacts],
) -> dict[str, Any]:
    """Status of the SCIM-setup admin (``provisioning_owner``) or API ``credential_owner``.

    ``owner`` is the policy's entry (``{"email"|"userName"|"memberId": ...}``) or
    ``None``; ``people_by_key`` maps a case-folded email/userName/memberId to
    ``(row index, PersonRow)``. Returns ``{"key", "label", "named": bool, "email",
    "found": bool, "before", "after", "lockout", "ok": bool, "detail"}``. ``ok`` is
    False when the owner is not named, not found among the people, loses sign-in, or
    stops being Admin (sigma-api.md §1.2 and §5.1: deactivating or changing them
    breaks the API credentials / the SCIM token).
    """
    label = "Provisioning owner (SCIM-setup admin)" if key == "provisioning_owner" else "API credential owner"
    status: dict[str, Any] = {
        "key": key, "label": label, "named": owner is not None, "email": "",
        "found": False, "before": "", "after": "", "lockout": "", "ok": False, "detail": "",
    }
    if owner is None:
        status["detail"] = "not named in the policy: the planner cannot protect this person"
        return status
    status["email"] = str(owner.get("email") or owner.get("userName") or owner.get("memberId") or "")
    row = people_by_key.get(_owner_key(owner))
    if row is None:
        status["detail"] = "not found among the Sigma members"
        return status
    index, person = row
    facts = facts_by_row[index]
    after = person.account_type_after or person.account_type_before or ""
    status.update(
        found=True, before=person.account_type_before or "", after=after,
        lockout=facts.lockout,
    )
    if facts.lockout:
        status["detail"] = LOCKOUT_LABELS[facts.lockout]
    elif not is_admin_type(after):
        status["detail"] = f"account type becomes {after or 'unknown'}, not Admin"
    else:
        status["ok"] = True
        status["detail"] = "stays active and Admin"
    return status


def risk_summary(plan: Plan, facts: list[PersonFacts] | None = None) -> dict[str, Any]:
    """The lock-out and risk facts the report shows before anything else.

    Returns a dict with:

    - ``blocking``: the blocking :class:`ReviewItem` objects;
    - ``lockout``: ``{code: [person ref, ...]}`` for each :data:`LOCKOUT_LABELS` code,
      and ``lockout_total``;
    - ``admins_losing_admin``: people whose account type is Admin before and who
      are not an active Admin after;
    - ``owners``: :func:`owner_status` of ``provisioning_owner`` and ``credential_owner``;
    - ``teams_unmanaged`` / ``teams_empty``: :class:`TeamRow` objects whose mode is
      ``unmanaged`` / whose ``members_after`` is 0 (and not unmanaged);
    - ``document_transfers``: ``[{"from", "to", "kind", "action", "missing"}]`` for
      actions whose ``after`` carries ``newOwnerId`` (``missing`` when it is ``null``:
      no document owner named yet) or ``archiveDocuments`` (sigma-api.md §2.5), and
      SCIM deactivations (documents go to the provisioning admin, sigma-api.md §5.3);
    - ``document_groups``: the same grouped by destination (:func:`_group_transfers`);
    - ``guards``: ``summary["guards"]`` entries ``{name, ok, detail}`` (empty when absent),
      split into ``guards_failed`` and ``guards_passed``;
    - ``blocking_groups``: the blocking items grouped by code (:func:`review_groups`).

    A person ref is ``{"name", "email", "member_id", "before", "after"}``.
    """
    facts = person_facts(plan) if facts is None else facts
    people = plan.people
    owner_entries = {k: _summary_owner(plan, k) for k in ("provisioning_owner", "credential_owner")}
    wanted = {_owner_key(o) for o in owner_entries.values() if o is not None}
    moves = []  # (action, kind, new owner memberId or None)
    for a in plan.actions:
        after = a.after if isinstance(a.after, Mapping) else {}
        new_owner = after.get("newOwnerId")
        kind = _kind_value(a.kind)
        if "newOwnerId" in after or after.get("archiveDocuments") or kind == _SCIM_DEACTIVATE:
            moves.append((a, kind, new_owner))
            wanted.update(str(x).casefold() for x in (a.target.get("memberId"), new_owner) if x)
    wanted.discard("")

    lockout: dict[str, list[dict[str, Any]]] = {code: [] for code in LOCKOUT_LABELS}
    admins_losing: list[dict[str, Any]] = []
    found: dict[str, tuple[int, Any]] = {}  # casefolded email / userName / memberId -> (row, person)
    for f in facts:
        p = people[f.index]
        if f.lockout:
            lockout[f.lockout].append(_person_ref(p))
        before = p.account_type_before
        if before and before.casefold() == "admin" and p.sigma_status in (None, "active") and (
            f.lockout or not is_admin_type(p.account_type_after or before)
        ):
            admins_losing.append(_person_ref(p))
        if wanted:
            for ident in (p.member_id, p.email, p.user_name):
                if ident:
                    key = ident.strip().casefold()
                    if key in wanted:
                        found.setdefault(key, (f.index, p))
    facts_by_row = {f.index: f for f in facts}
    owners = [
        owner_status(k, owner_entries[k], found, facts_by_row)
        for k in ("provisioning_owner", "credential_owner")
    ]

    transfers = []
    owner_email = owners[0]["email"] or "the provisioning admin"
    for a, kind, new_owner in moves:
        source_id = a.target.get("memberId")
        source = found.get(str(source_id or "").casefold(), (0, None))[1]
        from_text = a.target.get("email") or (source.email if source else None) or source_id or ""
        missing = False
        if new_owner is not None:
            target = found.get(str(new_owner).casefold(), (0, None))[1]
            to_text = (
                (target.email if target and target.email else "")
                or str(a.evidence.get("newOwnerEmail") or "")
                or str(new_owner)
            )
        elif isinstance(a.after, Mapping) and a.after.get("archiveDocuments"):
            to_text = "archived, not transferred (archiveDocuments)"
        elif kind == _SCIM_DEACTIVATE:
            to_text = f"{owner_email} (Sigma gives an IdP-deactivated user's documents to the provisioning admin)"
        else:
            missing = True
            to_text = "nobody named yet: set organization.document_owner in the policy"
        transfers.append(
            {"from": str(from_text), "to": to_text, "kind": kind, "action": a.id, "missing": missing}
        )

    guards = [g for g in plan.summary.get("guards") or [] if isinstance(g, Mapping)]
    return {
        "blocking": list(plan.blocking_items),
        "lockout": lockout,
        "lockout_total": sum(len(v) for v in lockout.values()),
        "admins_losing_admin": admins_losing,
        "owners": owners,
        "teams_unmanaged": [t for t in plan.teams if t.mode == "unmanaged"],
        "teams_empty": [t for t in plan.teams if t.mode != "unmanaged" and t.members_after == 0],
        "document_transfers": transfers,
        "document_groups": _group_transfers(transfers),
        "guards": guards,
        "guards_failed": [g for g in guards if not g.get("ok")],
        "guards_passed": [g for g in guards if g.get("ok")],
        "blocking_groups": review_groups(plan.blocking_items),
    }


def review_groups(items: Iterable[Any]) -> list[dict[str, Any]]:
    """Review items grouped by ``code``: ``[{"code", "count", "first", "message"}]``.

    ``first`` is the id of the code's first item, ``message`` its message; largest
    groups first, then by code. The risk summary lists these instead of every item.
    """
    groups: dict[str, dict[str, Any]] = {}
    for r in items:
        g = groups.get(r.code)
        if g is None:
            groups[r.code] = {"code": r.code, "count": 1, "first": r.id, "message": r.message}
        else:
            g["count"] += 1
    return sorted(groups.values(), key=lambda g: (-g["count"], g["code"]))


def _group_transfers(transfers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Document transfers grouped by destination: ``[{"to", "missing", "froms": [...]}]``, largest first."""
    groups: dict[str, dict[str, Any]] = {}
    for t in transfers:
        g = groups.setdefault(t["to"], {"to": t["to"], "missing": t["missing"], "froms": []})
        g["froms"].append(t["from"])
    return sorted(groups.values(), key=lambda g: (not g["missing"], -len(g["froms"]), g["to"]))


def seat_counts(plan: Plan, facts: list[PersonFacts]) -> list[dict[str, Any]]:
    """Seats per account type, ``[{"type", "before", "after"}]`` sorted by type name.

    Taken from the planner's ``summary["seats"] = {type: {"before": n, "after": n}}``
    (planner.planning.build_summary) when present; otherwise counted from the
    people: before = active members by ``account_type_before``; after = everyone
    not deactivated or disabled by ``account_type_after`` (a member kept without
    IdP identity keeps their seat).
    """
    seats = plan.summary.get("seats")
    if isinstance(seats, Mapping) and seats and all(isinstance(v, Mapping) for v in seats.values()):
        rows = [
            {"type": str(name), "before": int(v.get("before") or 0), "after": int(v.get("after") or 0)}
            for name, v in seats.items()
        ]
        return sorted(rows, key=lambda r: r["type"].casefold())
    before: Counter[str] = Counter()
    after: Counter[str] = Counter()
    for f in facts:
        p = plan.people[f.index]
        if p.member_id and p.sigma_status in (None, "active") and p.account_type_before:
            before[p.account_type_before] += 1
        if f.lockout in ("deactivated", "guest_disabled"):
            continue
        held = p.account_type_after or (p.account_type_before if f.lockout else None)
        if held:
            after[held] += 1
    names = sorted(set(before) | set(after), key=str.casefold)
    return [{"type": n, "before": before.get(n, 0), "after": after.get(n, 0)} for n in names]


def bar_chart(rows: list[dict[str, Any]], series: tuple[str, ...], *, width: int = 320) -> dict[str, Any]:
    """Geometry of a horizontal bar chart for the template's inline SVG.

    ``rows`` are dicts with a ``label`` and one number per name in ``series``.
    Returns ``{"rows": [{"label", "values": [(value, bar_px)]}], "width", "max"}``
    with bars scaled so the largest value is ``width`` pixels (0 stays 0, any
    other value at least 2 px so it stays visible).
    """
    top = max((r[s] for r in rows for s in series), default=0)
    out = []
    for r in rows:
        values = []
        for s in series:
            v = r[s]
            px = 0 if not v or not top else max(2, round(v / top * width))
            values.append((v, px))
        out.append({"label": r["label"], "values": values})
    return {"rows": out, "width": width, "max": top}


def type_transitions(plan: Plan, facts: list[PersonFacts]) -> list[dict[str, Any]]:
    """Account-type changes of people who keep access: ``[{"before", "after", "count", "direction"}]``.

    Sorted by count (largest first), then names.
    """
    counts: Counter[tuple[str, str, str]] = Counter()
    for f in facts:
        if f.type_change:
            p = plan.people[f.index]
            counts[(p.account_type_before or "(none)", p.account_type_after or "", f.type_change)] += 1
    return [
        {"before": b, "after": a, "direction": d, "count": n}
        for (b, a, d), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ]


# --------------------------------------------------------------------------- HTML


@lru_cache(maxsize=4)
def _environment(folder: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = lambda n: f"{n:,}"
    env.filters["flat"] = flat_text
    env.filters["kind_label"] = kind_label
    env.filters["scalar"] = _scalar_text
    env.filters["columns"] = mapping_columns
    return env


def _template_dir(template_dir: str | Path | None) -> Path:
    if template_dir is not None:
        return Path(template_dir)
    try:
        return data_dir("templates")
    except FileNotFoundError as exc:
        raise ReportError(str(exc)) from None


def _people_payload(plan: Plan, facts: list[PersonFacts]) -> dict[str, Any]:
    """The people JSON: ``{"columns", "kinds", "kind_labels", "reviews", "lockout_labels",
    "lockout_short", "rows"}``.

    Rows are arrays in :data:`PEOPLE_COLUMNS` order (compact for 100k people);
    ``reviews`` lists ``[id, code, blocking 0/1]`` once per review item.
    """
    kinds = sorted({k for f in facts for k in f.kinds} | {_kind_value(a.kind) for a in plan.actions})
    kind_index = {k: i for i, k in enumerate(kinds)}
    reviews = [[r.id, r.code, 1 if r.blocking else 0] for r in plan.review_items]
    review_index = {r.id: i for i, r in enumerate(plan.review_items)}
    rows = []
    for f in facts:
        p = plan.people[f.index]
        review_refs = []
        for rid in p.review_items:
            ref = review_index.get(rid)
            if ref is None:  # an id the plan does not list: still shown, as not blocking
                ref = review_index[rid] = len(reviews)
                reviews.append([rid, "", 0])
            review_refs.append(ref)
        rows.append([
            p.name or "", p.email or "", p.member_id or "", p.sigma_status or "",
            p.user_kind or "", p.user_name or "", p.idp_id or "", p.idp_status or "",
            p.link_key or "", p.account_type_before or "", p.account_type_after or "",
            [kind_index[k] for k in f.kinds], f.review, review_refs,
            f.lockout, f.type_change,
        ])
    return {
        "columns": list(PEOPLE_COLUMNS),
        "kinds": kinds,
        "kind_labels": [kind_label(k) for k in kinds],
        "reviews": reviews,
        "lockout_labels": LOCKOUT_LABELS,
        "lockout_short": LOCKOUT_SHORT,
        "rows": rows,
    }


def report_context(plan: Plan, *, digest: str | None = None) -> dict[str, Any]:
    """Everything the template needs, computed once (no per-row templating).

    ``facts`` holds the :class:`PersonFacts` list (for the people JSON).

    ``digest`` overrides ``plan.digest`` (the ``plan`` command knows it from
    :func:`planner.planfile.write_plan`); when both are empty the page says so.
    """
    facts = person_facts(plan)
    risk = risk_summary(plan, facts)
    kind_counts = Counter(_kind_value(a.kind) for a in plan.actions)
    kind_rows = [
        {"label": kind_label(k), "kind": k, "count": n}
        for k, n in sorted(kind_counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    seats = seat_counts(plan, facts)
    transitions = type_transitions(plan, facts)
    review_counts = Counter(f.review for f in facts)
    blocking_items = [r for r in plan.review_items if r.blocking]
    info_items = [r for r in plan.review_items if not r.blocking]
    people_kind_counts = Counter(k for f in facts for k in f.kinds)
    policy = plan.policy or {}
    return {
        "facts": facts,
        "organization": plan.organization or {},
        "digest": digest or plan.digest or "",
        "policy_path": str(policy.get("path") or ""),
        "policy_sha256": str(policy.get("sha256") or ""),
        "risk": risk,
        "lockout_labels": LOCKOUT_LABELS,
        "lockout_short": LOCKOUT_SHORT,
        "risk_list_limit": RISK_LIST_LIMIT,
        "kind_chart": bar_chart([{"label": r["label"], "n": r["count"]} for r in kind_rows], ("n",)),
        "kind_rows": kind_rows,
        "seats": seats,
        "seat_chart": bar_chart(
            [{"label": s["type"], "before": s["before"], "after": s["after"]} for s in seats],
            ("before", "after"),
        ),
        "transitions": transitions,
        "changes_total": sum(t["count"] for t in transitions),
        "downgrades_total": sum(t["count"] for t in transitions if t["direction"] == "downgrade"),
        # custom account types replaced, as the planner's summary lists them apart from downgrades
        "replacements": list((plan.summary.get("account_types") or {}).get("replacements") or []),
        "review_items": blocking_items + info_items,
        "blocking_count": len(blocking_items),
        "info_count": len(info_items),
        "preflight": plan.preflight,
        "unmet_preflight": plan.unmet_preflight,
        "failed_guards": [g for g in plan.summary.get("guards", []) if not g["ok"]],
        "people_count": len(plan.people),
        "people_review_counts": review_counts,
        "people_kind_counts": people_kind_counts,
        "kind_options": sorted(people_kind_counts),
        "teams": plan.teams,
        "action_count": len(plan.actions),
    }


def wave_context(plan: Plan, wave: Wave) -> dict[str, Any]:
    """What ``report/wave.html.j2`` shows of a wave: its label, counts, the apply arguments and
    its actions in plan order (each ``chosen`` or pulled in as a dependency)."""
    pulled = set(wave.pulled_in)
    by_id = {a.id: a for a in plan.actions}
    arguments = " ".join([*(f"--only {s}" for s in wave.selectors),
                          *([f"--limit {wave.limit}"] if wave.limit is not None else [])])
    return {
        "label": wave.label, "total": len(plan.actions), "chosen": len(wave.chosen), "pulled_in": len(pulled),
        "arguments": arguments,
        "actions": [{"id": aid, "kind": by_id[aid].kind.value, "reason": by_id[aid].reason, "pulled_in": aid in pulled}
                    for aid in wave.action_ids],
    }


def render_html(
    plan: Plan, *, digest: str | None = None, template_dir: str | Path | None = None,
    result: Mapping[str, Any] | None = None, wave: Wave | None = None, handoff: str | None = None,
) -> str:
    """Render the self-contained HTML report of ``plan`` and return it as text.

    ``handoff``: the relative path of the IdP hand-off pack's README.md (``sigma-migrate
    handoff``), linked from the "IdP hand-off" section; without it the section gives the command.

    ``result`` (the apply result file's JSON, :mod:`planner.execute.apply`) adds
    the "Apply result" section (``report/result.html.j2``) right after the header;
    ``wave`` (:func:`planner.selection.select`) the "Wave" section listing what
    ``apply --only/--limit`` will run (``report/wave.html.j2``).
    Raises :class:`ReportError` when the templates cannot be found.
    """
    folder = _template_dir(template_dir)
    env = _environment(str(folder))
    try:
        template = env.get_template(TEMPLATE)
        script = (folder / SCRIPT_FILE).read_text(encoding="utf-8")
        style = (folder / STYLE_FILE).read_text(encoding="utf-8")
    except (jinja2.TemplateNotFound, OSError) as exc:
        raise ReportError(f"{folder}: report template missing: {exc}") from None
    # The rows built below hold no reference cycles, yet allocating ~10 objects per
    # person triggers collections that rescan the whole plan: a third of the time at
    # 100k people. Pause the cyclic collector for this bounded, acyclic build, and for
    # the template render, which allocates as much again (100k: 3.2 s -> 2.3 s,
    # bench/plan_bench.py).
    with gc_paused():
        context = report_context(plan, digest=digest)
        # The people JSON is serialized once and inserted verbatim; at 100k people it is
        # the bulk of the page. Markup() is safe here: script_json escapes < > &.
        facts = context.pop("facts")
        people_json = Markup(script_json(_people_payload(plan, facts)))
        return template.render(
            plan=plan,
            people_json=people_json,
            script=Markup(script),
            style=Markup(style),
            script_hash="sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode(),
            result=result,
            wave=None if wave is None else wave_context(plan, wave),
            handoff=handoff,
            **context,
        )


def write_html(
    plan: Plan, path: str | Path, *, digest: str | None = None,
    template_dir: str | Path | None = None,
) -> Path:
    """Render the report of ``plan`` (:func:`render_html`) and write it to ``path`` (UTF-8).

    Raises :class:`planner.output.OutputError` when the file cannot be written
    (:func:`planner.output.write_file`: the parent directory must exist).
    """
    return write_file(path, render_html(plan, digest=digest, template_dir=template_dir))


def report_headline(plan: Plan) -> str:
    """One line for the terminal after writing a report.

    E.g. ``"7 lose sign-in, 14 account-type changes (3 downgrades), 5 review items (3 blocking)"``.
    """
    facts = person_facts(plan)
    lose = sum(1 for f in facts if f.lockout)
    changes = [f for f in facts if f.type_change]
    down = sum(1 for f in changes if f.type_change == "downgrade")
    blocking = len(plan.blocking_items)
    return (
        f"{lose} lose sign-in, {len(changes)} account-type changes ({down} downgrades), "
        f"{len(plan.review_items)} review items ({blocking} blocking)"
    )
