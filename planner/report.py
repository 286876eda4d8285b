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

Nothing from the inputs can reorder or hide text on the page: the characters of
:data:`planner.unsafe_characters.UNSAFE` (controls, bidi overrides and isolates,
zero-width characters) are written visibly (``\u202e``) in every value the templates
show (:func:`page_text`) and in the embedded JSON (:func:`script_json`), as on a terminal.

The CSV of actions (:func:`actions_csv`) has one row per action, written by the one CSV
writer (:mod:`planner.csv_cells`: the same characters escaped, formulas neutralized).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence  # abc, not typing: isinstance checks in C
from functools import lru_cache
from operator import attrgetter
from pathlib import Path
from typing import IO, Any

import jinja2
import msgspec
from markupsafe import Markup

from .csv_cells import csv_text, neutralize_cell  # noqa: F401 (neutralize_cell: also imported from here)
from .errors import UserError
from .gc_pause import gc_paused
from .model import (
    ActionKind, AdminChange, DocumentDestination, DocumentTransfer, OwnerStatus, PersonRow, Plan, ScimManaged,
)
from .show import exports_read_line
from .outcomes import LOCKOUT_LABELS as _LOCKOUT_LABELS
from .outcomes import (
    SCIM_MANAGED_HEADING, SCIM_MANAGED_LABELS, admin_loss_breakdown, admin_loss_headline, lockout_breakdown,
    lockout_headline, review_headline,
)
from .payloads import BaseAction
from .output import write_file
from .resources import data_dir
from .result_file import ApplyResultFile
from .selection import Wave
from .unsafe_characters import ADDRESS_FIELDS, UNSAFE, escape_address, escape_addresses, escape_in_page, escaped

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

LOCKOUT_LABELS: dict[str, str] = {code.value: label for code, label in _LOCKOUT_LABELS.items()}
"""Why a person cannot sign in after the switch (:data:`planner.outcomes.LOCKOUT_LABELS`); keys are
the :class:`~planner.model.Lockout` codes in the people JSON."""

LOCKOUT_SHORT: dict[str, str] = {
    "deactivated": "deactivated",
    "guest_disabled": "guest disabled",
    "guest_held": "guest (held in review)",
    "unmatched_kept": "no IdP identity",
    "unmatched_review": "no IdP identity (in review)",
    "invitation_pending": "invitation not accepted",
}
"""The people table's short form of :data:`LOCKOUT_LABELS`."""

RISK_LIST_LIMIT = 100
"""How many people a risk card lists by name; the rest are one click away in the table."""

CSV_COLUMNS = ("id", "kind", "target", "before", "after", "rule", "reason")
PEOPLE_COLUMNS = (
    "name", "email", "member_id", "sigma_status", "user_kind", "user_name", "idp_id",
    "idp_status", "link_key", "account_type_before", "account_type_after", "kinds",
    "review", "review_items", "lockout", "type_change", "admin_change", "scim_managed",
)
"""Field order of each row of the embedded people JSON (``kinds`` are indexes into ``kinds``,
``review_items`` indexes into ``reviews``; ``review`` is 0 none, 1 informational, 2 blocking;
``lockout``, ``type_change``, ``admin_change`` and ``scim_managed`` are the person row's values, ``""`` for none)."""


class ReportError(UserError):
    """The report or CSV cannot be written (unwritable path, missing template)."""


# --------------------------------------------------------------------------- small text helpers


def flat_text(value: Any) -> str:
    """One-line text of a target/before/after value for the CSV and the page.

    ``None`` -> ``""``; a mapping -> ``key=value`` pairs joined by ``"; "`` in
    the mapping's order (nested values as compact JSON, ``None`` as ``null``; an address field,
    :data:`~planner.unsafe_characters.ADDRESS_FIELDS`, through
    :func:`~planner.unsafe_characters.escape_address`: ``email=\\x20ann@x``);
    a list -> items joined by ``", "``; anything else -> ``str``.
    """
    if value is None:
        return ""
    if isinstance(value, msgspec.Struct):  # an action payload (planner.payloads): its JSON fields
        value = msgspec.to_builtins(value)
    if isinstance(value, Mapping):
        return "; ".join(f"{k}={escape_address(v) if k in ADDRESS_FIELDS and v.__class__ is str else _scalar_text(v)}"
                         for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(_scalar_text(v) for v in value)
    return str(value)


def cell_text(value: Any) -> str:
    """The text of a review item's subject, evidence value or candidate cell on the page: a
    string as it is, a mapping, a Struct (an :class:`~planner.model.ItemRef`) or any other iterable
    as :func:`flat_text`, anything else as :func:`_scalar_text` (``null``, ``true``). A filter
    rather than a template macro: the report calls it ~90,000 times at 100k members, and a macro call costs ten times more."""
    if isinstance(value, str):
        return value
    if isinstance(value, (Mapping, msgspec.Struct)):
        return flat_text(value)
    try:
        iter(value)
    except TypeError:
        return _scalar_text(value)
    return flat_text(value)


def _scalar_text(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (Mapping, list, tuple)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    return str(value)


_SCRIPT_JSON = msgspec.json.Encoder(enc_hook=str)


def script_json(value: Any) -> str:
    """JSON text safe to place inside ``<script type="application/json">``.

    ``<``, ``>`` and ``&`` become ``\\u003c``, ``\\u003e`` and ``\\u0026``, so no
    input can close the script element (``</script>``) or open a comment
    (``<!--``); ``JSON.parse`` reads the same values back. A character of
    :data:`~planner.unsafe_characters.UNSAFE` that JSON leaves raw (DEL, C1, bidi, zero-width)
    becomes its visible escape as text (U+202E reads back as the six characters ``\\u202e``).

    The JSON is msgspec's (the same text as ``json.dumps(value, ensure_ascii=False,
    separators=(",", ":"))``: non-ASCII as is, control characters escaped alike), in C: at 100k
    people the table's JSON is 24 MB.
    """
    data = _SCRIPT_JSON.encode(value).replace(b"&", b"\\u0026").replace(b"<", b"\\u003c").replace(b">", b"\\u003e")
    text = data.decode()
    if (data.isascii() and b"\x7f" not in data) or text.isprintable():  # JSON escapes C0 itself; screens in C
        return text
    # a bidi override or zero-width character in a value: the page shows it as text (``\u202e``), as
    # escape_in_page does in the markup (a JSON escape would give the script the character itself)
    return UNSAFE.sub(lambda m: "\\" + escaped(m.group()), text)


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


def actions_csv(plan: Plan, wave: Mapping[str, str] | None = None) -> str:
    """The CSV text of the plan's actions, one row per action, in plan order.

    Columns: ``id, kind, target, before, after, rule, reason``; ``target``,
    ``before`` and ``after`` as :func:`flat_text`; every cell through
    :func:`planner.csv_cells.spreadsheet_cell` (control, bidi and invisible characters escaped
    visibly, formulas neutralized). Lines end with CRLF (RFC 4180). ``wave``: for ``report --only/--limit``,
    action id -> ``chosen`` / ``pulled in`` (:func:`planner.selection.wave_marks`), written in a last column
    ``wave`` (empty for the actions the wave does not run), so a spreadsheet filters the wave's rows (tester13 F5).
    """
    return csv_text(CSV_COLUMNS if wave is None else (*CSV_COLUMNS, "wave"), (
        (action.id, _kind_value(action.kind), flat_text(action.target), flat_text(action.before),
         flat_text(action.after), action.rule, action.reason, *(() if wave is None else (wave.get(action.id, ""),)))
        for action in plan.actions))


def write_actions_csv(plan: Plan, path: str | Path) -> Path:
    """Write :func:`actions_csv` to ``path`` as UTF-8 with a BOM (so Excel reads accents).

    Raises :class:`planner.output.OutputError` when the file cannot be written
    (:func:`planner.output.write_file`: the parent directory must exist).
    """
    return write_file(path, actions_csv(plan), encoding="utf-8-sig")


# --------------------------------------------------------------------------- the plan's decisions, laid out


_KIND_VALUES: dict[Any, str] = {k: k.value for k in ActionKind}


def _kind_value(kind: Any) -> str:
    value = _KIND_VALUES.get(kind)
    return value if value is not None else str(kind)


def _kind_values(actions: Iterable[Any]) -> list[str]:
    """``_kind_value(a.kind)`` of each action, looked up once per action class: a typed action's
    kind is a constant of its class (:class:`planner.payloads.BaseAction`), and hashing a class
    is cheap where hashing an :class:`~enum.Enum` member runs Python code (121k actions at 100k)."""
    actions = list(actions)
    of_class = {cls: _kind_value(cls.kind) for cls in set(map(type, actions)) if issubclass(cls, BaseAction)}
    return [of_class[a.__class__] if a.__class__ in of_class else _kind_value(a.kind) for a in actions]


def _person_ref(p: PersonRow) -> dict[str, Any]:
    """The small dict a risk card shows for a person."""
    return {
        "name": p.name or "",
        "email": escape_address(p.email or p.user_name or ""),
        "member_id": p.member_id or "",
        "before": p.account_type_before or "",
        "after": p.account_type_after or "",
    }


OWNER_LABELS = {
    "scim_setup_admin": "Provisioning owner (SCIM-setup admin)",
    "api_credential_owner": "API credential owner",
}
"""The risk card's label of each :attr:`planner.model.OwnerStatus.role`."""


def _owner_view(owner: OwnerStatus) -> dict[str, Any]:
    """What the owners card shows of an :class:`~planner.model.OwnerStatus` (decided in planning)."""
    return {
        "label": OWNER_LABELS.get(owner.role, owner.role),
        "email": escape_address(owner.email or owner.reference),
        "found": owner.member_id is not None,
        "before": owner.account_type_before or "",
        "after": owner.account_type_after or "no access",
        "ok": owner.ok,
        "detail": owner.detail,
    }


def _transfer_view(transfer: DocumentTransfer) -> dict[str, Any]:
    """``{"from", "to", "kind", "action", "missing"}`` of a :class:`~planner.model.DocumentTransfer`."""
    missing = transfer.destination is DocumentDestination.UNNAMED
    if missing:
        to_text = "nobody named yet: set organization.document_owner in the policy"
    elif transfer.destination is DocumentDestination.PROVISIONING_OWNER:
        to_text = (f"{transfer.to_email or 'the provisioning admin'} "
                   "(Sigma gives an IdP-deactivated user's documents to the provisioning admin)")
    else:
        to_text = transfer.to_email or transfer.to_member_id or ""
    return {"from": escape_address(transfer.email), "to": to_text, "kind": _kind_value(transfer.kind),
            "action": transfer.action,
            "missing": missing}


def risk_summary(plan: Plan) -> dict[str, Any]:
    """The lock-out and risk facts the report shows before anything else, as the plan decided them.

    Returns a dict with:

    - ``blocking``: the blocking :class:`ReviewItem` objects;
    - ``outcomes``: the summary's headline figures (:class:`~planner.model.OutcomeCounts`), which the
      cards and tiles print as they are, in the words ``show`` uses: ``lockout_total``,
      ``lockout_headline`` / ``lockout_breakdown`` (:func:`planner.outcomes.lockout_headline`),
      ``admins_losing_total``, ``admin_loss_headline`` / ``admin_loss_breakdown``;
    - ``lockout``: ``{code: [person ref, ...]}`` for each :data:`LOCKOUT_LABELS` code (the
      people whose :attr:`~planner.model.PersonRow.lockout` it is: the names under the figures);
    - ``admins_losing_admin``: the people whose ``admin_change`` is ``loses``;
    - ``scim_managed``: the people whose :attr:`~planner.model.PersonRow.scim_managed` is set (no lock-out:
      the IdP provisioned them, absent from this IdP export), with ``scim_managed_headline``;
    - ``owners``: the plan's :attr:`~planner.model.Outcomes.owners` as
      ``{"label", "email", "found", "before", "after", "ok", "detail"}``;
    - ``teams_unmanaged`` / ``teams_empty``: :class:`TeamRow` objects whose mode is
      ``unmanaged`` and that are not archived (an archived team has no action: show's "archived team, no action")
      / whose ``members_after`` is 0 (and not unmanaged); ``teams_at_risk``, the card's one count of both (the
      unmanaged ones are the plan's ``summary.teams.unmanaged``);
    - ``document_transfers``: the plan's :attr:`~planner.model.Outcomes.document_transfers` as
      ``{"from", "to", "kind", "action", "missing"}`` (``missing``: nobody named yet);
    - ``document_groups``: the same grouped by destination (:func:`_group_transfers`);
    - ``guards``: ``plan.summary.guards`` (:class:`planner.model.GuardResult`),
      split into ``guards_failed`` and ``guards_passed``;
    - ``blocking_groups``: the blocking items grouped by code (:func:`review_groups`).

    A person ref is ``{"name", "email", "member_id", "before", "after"}``.
    """
    lockout: dict[str, list[dict[str, Any]]] = {code: [] for code in LOCKOUT_LABELS}
    admins_losing: list[dict[str, Any]] = []
    managed: list[dict[str, Any]] = []
    loses = AdminChange.LOSES
    for p in plan.people:
        if p.lockout is not None:
            lockout[p.lockout.value].append(_person_ref(p))
        elif p.scim_managed is not None:
            managed.append(_person_ref(p))
        if p.admin_change is loses:
            admins_losing.append(_person_ref(p))
    transfers = [_transfer_view(t) for t in plan.outcomes.document_transfers]
    guards = plan.summary.guards
    figures = plan.summary.outcomes
    return {
        "blocking": list(plan.blocking_items),
        "outcomes": figures,
        "lockout": lockout,
        "lockout_total": figures.lockouts.total,
        "lockout_headline": lockout_headline(figures.lockouts),
        "lockout_breakdown": lockout_breakdown(figures.lockouts),
        "admins_losing_admin": admins_losing,
        "scim_managed": managed,
        "scim_managed_headline": f"{SCIM_MANAGED_HEADING}: {figures.scim_managed}",
        "scim_managed_label": SCIM_MANAGED_LABELS[ScimManaged.ABSENT_FROM_EXPORT],
        "admins_losing_total": figures.admins_losing_admin.total,
        "admin_loss_headline": admin_loss_headline(figures.admins_losing_admin),
        "admin_loss_breakdown": admin_loss_breakdown(figures.admins_losing_admin),
        "owners": [_owner_view(o) for o in plan.outcomes.owners],
        "teams_unmanaged": (unmanaged := [t for t in plan.teams if t.mode == "unmanaged" and not t.is_archived]),
        "teams_empty": (empty := [t for t in plan.teams if t.mode != "unmanaged" and t.members_after == 0]),
        "teams_at_risk": len(unmanaged) + len(empty),
        "document_transfers": transfers,
        "document_groups": _group_transfers(transfers),
        "guards": guards,
        "guards_failed": [g for g in guards if not g.ok],
        "guards_passed": [g for g in guards if g.ok],
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


def seat_counts(plan: Plan) -> list[dict[str, Any]]:
    """The plan's seats per account type, ``[{"type", "before", "after", "pending"}]`` sorted by type name,
    from ``summary["seats"] = {type: {"before": n, "after": n, "pending": n}}`` (planner.planning.seats_of);
    ``[]`` for a plan without seats (an undo plan of a plan without them)."""
    seats = plan.summary.seats or {}
    rows = [{"type": name, "before": v.before, "after": v.after, "pending": v.pending} for name, v in seats.items()]
    return sorted(rows, key=lambda r: r["type"].casefold())


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


def type_transitions(plan: Plan) -> list[dict[str, Any]]:
    """The plan's account-type changes (:attr:`~planner.model.PersonRow.type_change`) counted by
    ``(before, after, direction)``: ``[{"before", "after", "count", "direction"}]``, largest count
    first, then names."""
    counts: Counter[tuple[str, str, str]] = Counter(
        (p.account_type_before or "(none)", p.account_type_after or "", p.type_change.value)
        for p in plan.people if p.type_change is not None
    )
    return [
        {"before": b, "after": a, "direction": d, "count": n}
        for (b, a, d), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ]


# --------------------------------------------------------------------------- HTML


def page_text(value: Any) -> Any:
    """What the page shows of a template expression's value (the Jinja2 ``finalize`` hook, before
    autoescape): a string with a control, bidi or invisible character has it written visibly
    (:func:`~planner.unsafe_characters.escape_in_page`); anything else, and :class:`Markup` the
    report built itself, as it is. ``str.isprintable`` screens in C: the report has ~240,000
    expressions at 100k members."""
    return value if value.__class__ is not str or value.isprintable() else escape_in_page(value)


@lru_cache(maxsize=4)
def _environment(folder: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder),
        autoescape=True,
        finalize=page_text,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = lambda n: f"{n:,}"
    env.filters["flat"] = flat_text
    env.filters["kind_label"] = kind_label
    env.filters["scalar"] = _scalar_text
    env.filters["columns"] = mapping_columns
    env.filters["records"] = lambda refs: [ref.fields() for ref in refs]
    env.filters["cell"] = cell_text
    env.filters["rendered_pages"] = rendered_pages
    return env


PAGE_SIZE = 256
"""Items a template renders per call in :func:`rendered_pages` (a page of 256 review items is
about 0.3 MB of HTML)."""


@jinja2.pass_environment
def rendered_pages(env: jinja2.Environment, items: Sequence[Any], name: str) -> Iterator[Markup]:
    """The HTML of template ``name`` rendered once per page of :data:`PAGE_SIZE` ``items`` (the
    template's variable ``items``), page by page: the template filter behind the review queue and
    the teams table. Each page is one string joined in C, where a loop in the including template
    would pass every one of its pieces (685,000 at 100k members) up through each template and
    generator frame to the report file. Raises :class:`jinja2.TemplateNotFound`."""
    template = env.get_template(name)
    for start in range(0, len(items), PAGE_SIZE):
        yield Markup(template.render(items=items[start:start + PAGE_SIZE]))


def _template_dir(template_dir: str | Path | None) -> Path:
    if template_dir is not None:
        return Path(template_dir)
    try:
        return data_dir("templates")
    except FileNotFoundError as exc:
        raise ReportError(str(exc)) from None


def _people_payload(
    plan: Plan, kind_values: list[str] | None = None,
) -> tuple[dict[str, Any], Counter[int], Counter[str]]:
    """The people JSON ``{"columns", "kinds", "kind_labels", "reviews", "lockout_labels",
    "lockout_short", "rows"}``, with the people counted per review level and per action kind
    (the table's filter options), in one pass over ``plan.people``.

    ``kind_values``: each action's kind (:func:`_kind_values`), when the caller has them.
    Rows are arrays in :data:`PEOPLE_COLUMNS` order (compact for 100k people);
    ``reviews`` lists ``[id, code, blocking 0/1]`` once per review item; a row's ``review`` is 2
    when one of its items blocks, 1 when it has others, else 0.
    """
    kind_values = _kind_values(plan.actions) if kind_values is None else kind_values
    kinds = sorted(set(kind_values))
    kind_index = {k: i for i, k in enumerate(kinds)}
    action_kind = dict(zip(map(attrgetter("id"), plan.actions), map(kind_index.__getitem__, kind_values)))  # in C
    reviews = [[r.id, r.code, 1 if r.blocking else 0] for r in plan.review_items]
    review_index = {r.id: i for i, r in enumerate(plan.review_items)}
    levels = [2 if r.blocking else 1 for r in plan.review_items]
    one_kind = [[ref] for ref in range(len(kinds))]  # the refs of a person with one action, shared
    people_per_kind = [0] * len(kinds)
    people_per_level = [0, 0, 0]
    rows = []
    append = rows.append
    no_refs: list[int] = []
    emails = escape_addresses([p.email or "" for p in plan.people])
    user_names = escape_addresses([p.user_name or "" for p in plan.people])
    for n, p in enumerate(plan.people):
        actions = p.actions
        if len(actions) == 1 and (ref := action_kind.get(actions[0])) is not None:  # the usual case
            refs = one_kind[ref]
            people_per_kind[ref] += 1
        elif actions:
            refs = sorted({action_kind[a] for a in actions if a in action_kind})
            for ref in refs:
                people_per_kind[ref] += 1
        else:
            refs = no_refs
        if p.review_items:
            review_refs = []
            level = 0
            for rid in p.review_items:
                ref = review_index.get(rid)
                if ref is None:  # an id the plan does not list: still shown, as not blocking
                    ref = review_index[rid] = len(reviews)
                    reviews.append([rid, "", 0])
                    levels.append(1)
                review_refs.append(ref)
                level = max(level, levels[ref])
        else:
            review_refs, level = no_refs, 0
        people_per_level[level] += 1
        lockout, type_change, admin_change, managed = p.lockout, p.type_change, p.admin_change, p.scim_managed
        append([
            p.name or "", emails[n], p.member_id or "", p.sigma_status or "",
            p.user_kind or "", user_names[n], p.idp_id or "", p.idp_status or "",
            p.link_key or "", p.account_type_before or "", p.account_type_after or "",
            refs, level, review_refs,
            "" if lockout is None else lockout.value,
            "" if type_change is None else type_change.value,
            "" if admin_change is None else admin_change.value,
            "" if managed is None else managed.value,
        ])
    payload = {
        "columns": list(PEOPLE_COLUMNS),
        "kinds": kinds,
        "kind_labels": [kind_label(k) for k in kinds],
        "reviews": reviews,
        "lockout_labels": LOCKOUT_LABELS,
        "lockout_short": LOCKOUT_SHORT,
        "rows": rows,
    }
    return (payload, Counter({level: n for level, n in enumerate(people_per_level) if n}),
            Counter({kinds[ref]: n for ref, n in enumerate(people_per_kind) if n}))


def report_context(plan: Plan, *, digest: str | None = None) -> dict[str, Any]:
    """Everything the template needs, laid out from the plan's decisions once (no per-row templating).

    ``people`` holds the people JSON (:func:`_people_payload`), which :func:`render_html`
    serializes once.

    ``digest`` overrides ``plan.digest`` (the ``plan`` command knows it from
    :func:`planner.planfile.write_plan`); when both are empty the page says so.
    """
    kind_values = _kind_values(plan.actions)
    people, review_counts, people_kind_counts = _people_payload(plan, kind_values)
    risk = risk_summary(plan)
    kind_counts = Counter(kind_values)
    kind_rows = [
        {"label": kind_label(k), "kind": k, "count": n}
        for k, n in sorted(kind_counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    seats = seat_counts(plan)
    transitions = type_transitions(plan)
    blocking_items = [r for r in plan.review_items if r.blocking]
    info_items = [r for r in plan.review_items if not r.blocking]
    return {
        "people": people,
        "organization": plan.organization,
        "exports_read": (exports_read_line(plan) or "").removeprefix("exports read: "),
        "digest": digest or plan.digest or "",
        "policy_path": plan.policy.path,
        "policy_sha256": plan.policy.sha256,
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
        "replacements": (msgspec.to_builtins(plan.summary.account_types.replacements)
                         if plan.summary.account_types else []),
        "review_items": blocking_items + info_items,
        "blocking_items": blocking_items,
        "info_items": info_items,
        "blocking_count": len(blocking_items),
        "info_count": len(info_items),
        "preflight": plan.preflight,
        "unmet_preflight": plan.unmet_preflight,
        "undo_preflight": plan.undo_preflight,
        "failed_guards": list(plan.summary.failed_guards),
        "people_count": len(plan.people),
        "people_review_counts": review_counts,
        "people_kind_counts": people_kind_counts,
        "kind_options": sorted(people_kind_counts),
        "teams": plan.teams,
        "action_count": len(plan.actions),
    }


def wave_context(plan: Plan, wave: Wave) -> dict[str, Any]:
    """What ``report/wave.html.j2`` shows of a wave: its label, counts, the apply arguments, whether the
    plan can be approved (``approvable``, else the ``blockers``: :attr:`planner.model.Plan.approval_blockers`)
    and its actions in plan order (each ``chosen`` or pulled in as a dependency)."""
    pulled = set(wave.pulled_in)
    by_id = {a.id: a for a in plan.actions}
    arguments = " ".join([*(f"--only {s}" for s in wave.selectors),
                          *([f"--limit {wave.limit}"] if wave.limit is not None else [])])
    return {
        "label": wave.label, "total": len(plan.actions), "chosen": len(wave.chosen), "pulled_in": len(pulled),
        "people_chosen": wave.people_chosen, "people_pulled_in": wave.people_pulled_in,
        "arguments": arguments, "approvable": plan.approvable, "blockers": plan.approval_blockers,
        "actions": [{"id": aid, "kind": by_id[aid].kind.value, "reason": by_id[aid].reason, "pulled_in": aid in pulled}
                    for aid in wave.action_ids],
    }


def render_html(
    plan: Plan, *, digest: str | None = None, template_dir: str | Path | None = None,
    result: ApplyResultFile | None = None, wave: Wave | None = None, handoff: str | None = None,
) -> str:
    """Render the self-contained HTML report of ``plan`` and return it as text.

    ``handoff``: the relative path of the IdP hand-off pack's README.md (``sigma-migrate
    handoff``), linked from the "IdP hand-off" section; without it the section gives the command.

    ``result`` (the apply result file, :class:`planner.result_file.ApplyResultFile`) adds
    the "Apply result" section (``report/result.html.j2``) right after the header;
    ``wave`` (:func:`planner.selection.select`) the "Wave" section listing what
    ``apply --only/--limit`` will run (``report/wave.html.j2``).
    Raises :class:`ReportError` when the templates cannot be found.
    """
    return "".join(_html_chunks(plan, digest=digest, template_dir=template_dir, result=result, wave=wave,
                                handoff=handoff))


def stream_html(
    plan: Plan, fh: IO[str], *, digest: str | None = None, template_dir: str | Path | None = None,
    wave: Wave | None = None, handoff: str | None = None,
) -> None:
    """Render the report of ``plan`` (as :func:`render_html`) straight into the text file ``fh``,
    piece by piece as the template yields it: the page (45 MB at 100k members, held as a
    2-byte-per-character ``str`` since it is not ASCII) is never held whole, nor its encoding.
    Raises :class:`ReportError` when the templates cannot be found (before anything is written)."""
    fh.writelines(_html_chunks(plan, digest=digest, template_dir=template_dir, wave=wave, handoff=handoff))


def _html_chunks(
    plan: Plan, *, digest: str | None, template_dir: str | Path | None,
    result: ApplyResultFile | None = None, wave: Wave | None, handoff: str | None,
) -> Iterator[str]:
    """The report's text in the pieces the template yields (:func:`render_html`, :func:`stream_html`)."""
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
        people_json = Markup(script_json(context.pop("people")))
        yield from template.generate(
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
    """One line for the terminal after writing a report or the CSV: the summary's headline figures
    (``summary.outcomes``) in the words ``show`` and the report use, then the account-type changes
    and review items.

    E.g. ``"Cannot sign in after the switch: 14 (10 deactivated, 2 guests disabled, 2 with no IdP
    identity); Admins losing Admin: 2 (1 deactivated, 1 downgraded); 8 account-type changes (4
    downgrades), 12 review items (0 blocking)"``, then the pre-flight checks that stop approval
    (:func:`planner.outcomes.review_headline`: ``"...; 1 blocking pre-flight check unmet"``, walk21).
    """
    figures = plan.summary.outcomes
    changes = sum(1 for p in plan.people if p.type_change is not None)
    return (
        f"{lockout_headline(figures.lockouts)}; {admin_loss_headline(figures.admins_losing_admin)}; "
        f"{changes} account-type change{'' if changes == 1 else 's'} "
        f"({figures.downgrades} downgrade{'' if figures.downgrades == 1 else 's'}), "
        f"{review_headline(len(plan.review_items), len(plan.blocking_items), len(plan.preflight_blockers))}"
    )
