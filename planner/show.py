"""``sigma-migrate show``: a plan as a terraform-style diff a reviewer reads top to bottom.

Order (issue 13 item 5): header (organization, digest, inputs, policy); the
**summary** and what blocks approval; the **pre-flight** checklist (Sigma's SCIM
prerequisites, :mod:`planner.rules.preflight`); the **blocking review items**
(each with its candidates and the exact policy snippet that resolves it); then
people in sections, each headed by the plan summary's figure (``summary.outcomes``) in the
report's words: **cannot sign in after the switch** (by why: deactivated, guest disabled, no IdP
identity), **admins losing Admin**, **admin types gained or changed**, **downgrades**, the other
people (plain links folded into a count unless ``--all``); the informational review items;
**teams**; every action no person or team row lists, so ``show`` prints every action of any plan;
the protected owners
(:attr:`planner.model.Outcomes.owners`), the guards and the summary line. Every
person's sections come from the outcomes the plan carries (:func:`person_sections`).
``show --only/--limit`` prints the same layout restricted to the wave (:func:`render`).
Every export value passes through :func:`value`. Markers: ``+`` something is created or linked, ``~`` changed,
``-`` removed or deactivated, ``?`` waiting for a review decision,
``!`` a blocking review item, ``=`` a person an earlier section lists in full. Every action line
ends with its reason and rule id.

:func:`render` returns rich :class:`~rich.text.Text` lines (colour on a
terminal, plain text otherwise, e.g. when piped); :func:`plain_text` the same
as one plain string; ``--json`` prints the plan file's JSON instead
(:func:`planner.planfile.plan_bytes`).
"""

from __future__ import annotations

from typing import Iterable

from rich.console import Console
from .terminal import SafeText as Text
from .unsafe_characters import ADDRESS_FIELDS, escape_address

from .payloads import GroupTarget
from .model import (
    Action, ActionKind, AdminChange, Lockout, OutcomeCounts, PersonRow, Plan, ReviewItem, SeatCount, TeamRow,
    TypeChange,
)
from .outcomes import (
    ADMIN_LOSS_HEADING, LEAVING_KINDS, LOCKOUT_HEADING, LOCKOUT_LABELS, SCIM_MANAGED_HEADING, SCIM_MANAGED_LABELS,
    admin_loss_headline, lockout_headline,
)
from .selection import Wave, wave_heading
from .rules.unfinished_runs import CODE as UNFINISHED_RUN

MARKER = {
    ActionKind.SCIM_CREATE_USER: "+",
    ActionKind.SCIM_LINK_USER: "+",
    ActionKind.SCIM_CREATE_GROUP: "+",
    ActionKind.SCIM_LINK_GROUP: "+",
    ActionKind.MEMBERS_CONVERT_GUEST: "~",
    ActionKind.MEMBERS_REACTIVATE: "+",
    ActionKind.MEMBERS_SET_EMAIL: "~",
    ActionKind.SCIM_SET_ACCOUNT_TYPE: "~",
    ActionKind.SCIM_SET_GROUP_MEMBERS: "~",
    ActionKind.TEAMS_REMOVE_MEMBER: "-",
    ActionKind.MEMBERS_DEACTIVATE: "-",
    ActionKind.MEMBERS_DISABLE_GUEST: "-",
    ActionKind.SCIM_DEACTIVATE_USER: "-",
}
STYLE = {"+": "green", "~": "yellow", "-": "red", "?": "magenta", "!": "bold red", "i": "cyan"}
PERSON_KINDS = {
    ActionKind.SCIM_CREATE_USER,
    ActionKind.SCIM_LINK_USER,
    ActionKind.MEMBERS_CONVERT_GUEST,
    ActionKind.MEMBERS_REACTIVATE,
    ActionKind.MEMBERS_SET_EMAIL,
    ActionKind.SCIM_SET_ACCOUNT_TYPE,
    ActionKind.MEMBERS_DEACTIVATE,
    ActionKind.MEMBERS_DISABLE_GUEST,
    ActionKind.SCIM_DEACTIVATE_USER,
}


def _line(indent: int, marker: str, text: str, note: str = "") -> Text:
    out = Text(" " * indent)
    out.append(marker, style=STYLE.get(marker, ""))
    out.append(" " + text)
    if note:
        out.append("  " + note, style="dim")
    return out


def _review_lines(item: ReviewItem) -> list[Text]:
    marker = "!" if item.blocking else "i"
    head = Text("  ")
    head.append(marker, style=STYLE[marker])
    head.append(f" {item.id}", style="bold" if item.blocking else "")
    head.append("  [blocking]" if item.blocking else "  [info]", style=STYLE[marker] if item.blocking else "dim")
    lines = [head, Text(f"      {item.message}")]
    for c in item.candidates:
        lines.append(Text("      - " + ", ".join(f"{k}: {address(v) if k in ADDRESS_FIELDS else _short(v)}"
                                                   for k, v in c.fields().items()), style="dim"))
    if item.resolution:
        lines.append(Text("      resolve in the policy with:", style="dim"))
        lines += [Text("        " + ln, style="cyan") for ln in item.resolution.rstrip("\n").splitlines()]
    return lines


def _short(value) -> str:
    if isinstance(value, (list, tuple)):
        return "; ".join(str(v) for v in value)
    return str(value)


def _action_line(a: Action, indent: int = 6, pulled_in: frozenset[str] = frozenset()) -> Text:
    pulled = "; pulled in as a dependency" if a.id in pulled_in else ""
    return _line(indent, MARKER.get(a.kind, "~"), a.reason, f"({a.kind.value}, {a.rule}{pulled})")


def _person_head(p: PersonRow, acts: list[Action], reviews: list[ReviewItem]) -> Text:
    kinds = {a.kind for a in acts}
    if ActionKind.SCIM_CREATE_USER in kinds:
        marker = "+"
    elif not kinds.isdisjoint(LEAVING_KINDS):
        marker = "-"
    elif acts:
        marker = "~"
    else:
        marker = "?" if any(r.blocking for r in reviews) else "i"
    ids = " <-> ".join(x for x in (p.member_id and f"member {p.member_id}", p.idp_id and f"IdP {p.idp_id}") if x)
    types = ""
    if p.account_type_before != p.account_type_after:
        types = f"  {p.account_type_before or '-'} -> {p.account_type_after or '-'}"
    elif p.account_type_after:
        types = f"  {p.account_type_after}"
    out = Text("  ")
    out.append(marker, style=STYLE.get(marker, ""))
    out.append(f" {address(p.email or p.user_name) or p.idp_id}", style="bold")
    if p.name:
        out.append(f"  {p.name}")
    out.append(f"  [{ids}]" + (f" by {p.link_key}" if p.link_key else "") + types, style="dim")
    return out


def _team_head(t: TeamRow) -> Text:
    marker = {"link": "~", "create": "+", "unmanaged": "i"}[t.mode]
    if t.mode == "unmanaged" and t.is_archived:
        text = f"{t.name}: archived team, no action ({t.members_before} member(s))"
    elif t.mode == "unmanaged":
        text = f"{t.name}: becomes unmanaged (no IdP group), {t.members_before} member(s) stay"
        if t.team_id:
            text += f"  [team {t.team_id}]"
    else:
        where = f"team {t.team_id}" if t.team_id else "new team"
        text = (
            f"{t.name} <- group {t.group_name!r}  [{where}]  members {t.members_before} -> {t.members_after} "
            f"(+{t.members_added} -{t.members_removed})"
        )
    out = Text("  ")
    out.append(marker, style=STYLE[marker])
    out.append(" " + text)
    return out


PREFLIGHT_MARK = {"ok": "ok  ", "confirmed": "ok  ", "unconfirmed": "TODO", "failed": "FAIL", "info": "note"}
PREFLIGHT_STYLE = {"ok": "green", "confirmed": "green", "unconfirmed": "bold red", "failed": "bold red",
                   "info": "cyan"}

SECTIONS = (
    ("lockouts", LOCKOUT_HEADING),
    ("scim_managed", SCIM_MANAGED_HEADING),
    ("admins_losing_admin", ADMIN_LOSS_HEADING),
    ("admin_changes", "Admin types gained or changed"),
    ("downgrades", "Downgrades"),
)
"""The people sections after the blocking items, in order (:func:`person_sections`); each heading is
the plan summary's figure (:func:`section_heading`); ``scim_managed`` only when someone is."""


def value(text) -> str:
    """Every export value ``show`` prints passes here, then into :class:`planner.terminal.SafeText`,
    which escapes control and bidi characters (:func:`planner.terminal.printable`)."""
    return "" if text is None else str(text)


def address(text) -> str:
    """An email or ``userName`` ``show`` prints (a person's line, an action's subject, a candidate's address
    field): :func:`planner.unsafe_characters.escape_address`, so white space around it, a zero-width or bidi
    character in it is seen (``\\x20ann@x``, ``ann@x\\u200b``), never hidden (tester16a finding 3); ``""`` for
    ``None``."""
    return "" if not text else escape_address(str(text))


def person_sections(person: PersonRow) -> tuple[str, ...]:
    """The :data:`SECTIONS` keys that count a person, in order (``()``: the other people).

    Reads the row's ``lockout``, ``admin_change`` and ``type_change`` as the plan decided them
    (:mod:`planner.outcomes`), never re-deciding, with the definitions of the summary's
    :class:`~planner.model.OutcomeCounts`: any lock-out -> ``lockouts``; ``scim_managed`` (no lock-out: the IdP
    provisioned them, tester10 finding 4) -> ``scim_managed``; ``admin_change``
    ``loses`` -> ``admins_losing_admin``, ``gains`` / ``changes`` -> ``admin_changes``; a
    downgrade -> ``downgrades``. ``show`` lists the person in full in the first, by one line in
    the others, so that every section lists as many people as its heading's figure.
    """
    keys = []
    if person.lockout is not None:
        keys.append("lockouts")
    elif person.scim_managed is not None:
        keys.append("scim_managed")
    if person.admin_change is AdminChange.LOSES:
        keys.append("admins_losing_admin")
    elif person.admin_change is not None:
        keys.append("admin_changes")
    if person.type_change is TypeChange.DOWNGRADE:
        keys.append("downgrades")
    return tuple(keys)


def section_heading(key: str, counts: OutcomeCounts) -> str:
    """The heading of the people section ``key`` (:data:`SECTIONS`): its title and the plan summary's
    figure (``summary.outcomes``, :class:`~planner.model.OutcomeCounts`), in the words the report uses
    (:func:`planner.outcomes.lockout_headline`, :func:`~planner.outcomes.admin_loss_headline`):
    ``"Cannot sign in after the switch: 14 (10 deactivated, 2 guests disabled, 2 with no IdP identity)"``."""
    if key == "lockouts":
        return lockout_headline(counts.lockouts)
    if key == "scim_managed":
        return f"{SCIM_MANAGED_HEADING}: {counts.scim_managed}"
    if key == "admins_losing_admin":
        return admin_loss_headline(counts.admins_losing_admin)
    if key == "admin_changes":
        total = counts.admin_gains + counts.admin_changes
        parts = ", ".join(x for x in (counts.admin_gains and f"{counts.admin_gains} gained",
                                      counts.admin_changes and f"{counts.admin_changes} from one admin type "
                                                               "to another") if x)
        return f"Admin types gained or changed: {total}" + (f" ({parts})" if parts else "")
    return f"Downgrades: {counts.downgrades}"


def _listed_above(p: PersonRow, title: str) -> Text:
    """The one line of a person a later section counts too: ``= victor.hale@acme.example  Victor
    Hale  Admin -> no access  (listed under Cannot sign in after the switch)``."""
    out = Text("  = ")
    out.append(address(p.email or p.user_name) or value(p.idp_id), style="bold")
    if p.name:
        out.append(f"  {value(p.name)}")
    out.append(f"  {value(p.account_type_before) or '-'} -> {value(p.account_type_after) or 'no access'}")
    out.append(f"  (listed under {title})", style="dim")
    return out


def _is_plain_link(acts: list[Action], reviews: list[ReviewItem], p: PersonRow) -> bool:
    """Only ``scim.link_user`` (no other action, no review item, no account type change)."""
    return (bool(acts) and all(a.kind is ActionKind.SCIM_LINK_USER for a in acts) and not reviews
            and p.account_type_before == p.account_type_after)


def _preflight_lines(plan: Plan) -> list[Text]:
    unmet = plan.unmet_preflight
    lines = [Text(f"Pre-flight (Sigma's SCIM prerequisites): {len(plan.preflight)} check(s), "
                  f"{len(unmet)} blocking approval", style="bold")]
    for c in plan.preflight:
        status = c.status.value
        out = Text("  ")
        out.append(PREFLIGHT_MARK[status], style=PREFLIGHT_STYLE[status])
        out.append(f" {c.id}: {c.title}")
        lines.append(out)
        lines.append(Text(f"       {value(c.detail)}  ({c.source})", style="dim"))
        if c.resolution and (c.stops_approval or status == "info"):
            lines.append(Text("       confirm in the policy with:", style="dim"))
            lines += [Text("         " + ln, style="cyan") for ln in c.resolution.rstrip("\n").splitlines()]
    return lines


def _person_block(p: PersonRow, acts: list[Action], reviews: list[ReviewItem], removals: list[Action],
                  position: dict[str, int], pulled_in: frozenset[str]) -> list[Text]:
    lines = [_person_head(p, acts, reviews)]
    for a in sorted(acts, key=lambda a: position[a.id]):
        lines.append(_action_line(a, pulled_in=pulled_in))
    for r in reviews:
        lines.append(_line(6, "!" if r.blocking else "i", f"{r.id}: {value(r.message)}"))
    for a in removals:
        by = f", by the push {a.evidence.removed_by}" if a.evidence.removed_by else ""
        lines.append(_line(6, "-", f"leaves team {value(a.target.name)!r}{by}", f"({a.kind.value}, {a.rule})"))
    return lines


def _subject(a: Action) -> str:
    """Whom or what an action is about: the team's name for group actions, else the email
    (the ``memberId`` or ``userName`` when there is none)."""
    t = a.target
    if isinstance(t, GroupTarget):
        return t.name
    return (address(getattr(t, "email", None)) or getattr(t, "member_id", None)
            or address(getattr(t, "user_name", None)) or a.id)


def _unlisted_action_lines(unlisted: list[Action], pulled_in: frozenset[str]) -> list[Text]:
    """The actions no person or team row of the plan lists, each as ``<marker> <subject>: <reason>  (<kind>, <rule>)``, in plan
    order, so ``show`` prints every action of any plan; nothing when every action was listed."""
    if not unlisted:
        return []
    lines = [Text(f"Actions not about a person or team of this plan: {len(unlisted)}", style="bold")]
    for a in unlisted:
        pulled = "; pulled in as a dependency" if a.id in pulled_in else ""
        lines.append(_line(2, MARKER.get(a.kind, "~"), f"{value(_subject(a))}: {value(a.reason)}",
                           f"({a.kind.value}, {a.rule}{pulled})"))
    lines.append(Text(""))
    return lines


def seats_line(plan: Plan) -> str:
    """``"Seats (active people per account type): Admin 6 -> 5 (-1; 1 pending review), View 51 -> 53 (+2); 5
    type(s) unchanged; 1 seat(s) pending review (a blocking review item holds their change: counted at their
    current type)"``, from the plan's ``summary.seats`` (decided while planning, :func:`planner.planning.seats_of`,
    as the report's seat card shows them); ``""`` for a plan without seats (tester8 finding 26: a licence owner
    reviewing in the terminal sees what the plan frees; tester12 #3: what a blocking item holds, apart)."""
    seats = plan.summary.seats or {}
    if not seats:
        return ""
    ordered = sorted(seats.items(), key=lambda kv: kv[0].casefold())

    def change(s: SeatCount) -> str:
        moved = [f"{s.after - s.before:+d}"] * (s.before != s.after) + [f"{s.pending} pending review"] * bool(s.pending)
        return f" ({'; '.join(moved)})" if moved else ""

    changed = [f"{value(t)} {s.before} -> {s.after}{change(s)}" for t, s in ordered if s.before != s.after or s.pending]
    same = len(ordered) - len(changed)
    pending = sum(s.pending for _, s in ordered)
    tail = [f"{same} type(s) unchanged"] * bool(same) + [
        f"{pending} seat(s) pending review (a blocking review item holds their change: counted at their current "
        "type)"] * bool(pending)
    return "Seats (active people per account type): " + "; ".join(x for x in (", ".join(changed), *tail) if x)



UNKNOWN_READ = {"Sigma": "at an unknown time (no fetchedAt in fetch-manifest.json)",
                "IdP": "at an unknown time (no fetchedAt in fetch-idp-manifest.json: saved by hand, or pulled by an "
                       "older version; guards.max_idp_export_age_hours not judged)"}
"""How :func:`exports_read_line` says an export's time the plan does not record; of the IdP's, what the plan then
cannot judge (:func:`planner.rules.inputs.idp_export_old_item` needs the time; tester17 finding 11)."""


def exports_read_line(plan: Plan) -> str | None:
    """When each export was read, as the plan records it (``PlanOrganization.sigmaFetchedAt`` /
    ``idpFetchedAt``), an unknown time said so (:data:`UNKNOWN_READ`, tester8 finding 21): ``exports read: Sigma
    2026-12-06T09:00:00Z, IdP at an unknown time (...)``; ``None`` for an undo plan (``summary.undoes``),
    which reads no export (:mod:`planner.execute.undo`)."""
    if plan.summary.undoes:
        return None
    org = plan.organization
    sigma = org.sigma_fetched_at or UNKNOWN_READ["Sigma"]
    idp = org.idp_fetched_at or UNKNOWN_READ["IdP"]
    return f"exports read: Sigma {sigma}, IdP {idp}"


def render(plan: Plan, *, show_all: bool = False, wave: Wave | None = None) -> list[Text]:
    """The whole ``show`` output as rich text lines (see the module docstring for the layout).

    ``show_all``: list people whose only change is a plain link (else folded into a count).
    ``wave`` (``show --only/--limit``, :func:`planner.selection.select`): the same layout under a
    line naming the wave (:func:`planner.selection.wave_heading`), restricted to it: people and
    teams with an action in the wave and only those actions (a dependency pulled in says so),
    informational items about those people; the summary, pre-flight checks, blocking items,
    owners and guards stay the plan's, since the plan's approval covers every wave.
    """
    lines: list[Text] = []
    in_wave: set[str] | None = None
    pulled_in: frozenset[str] = frozenset()
    if wave is not None:
        lines.append(Text(wave_heading(plan, wave), style="bold"))
        in_wave, pulled_in = set(wave.action_ids), frozenset(wave.pulled_in)
    org = plan.organization
    lines.append(Text(f"Plan for {value(org.name) or '(unnamed organization)'} "
                      f"({value(org.organization_id) or '-'})", style="bold"))
    lines.append(Text(f"  digest {plan.digest or '(not written yet)'}, tool {plan.tool_version}, "
                      f"created {plan.created_at or '-'}", style="dim"))
    for f in plan.inputs:
        lines.append(Text(f"  input {value(f.path)} ({f.kind}, {f.records} records, sha256 {f.sha256[:12]})",
                          style="dim"))
    lines.append(Text(f"  policy {value(plan.policy.path) or '-'} (sha256 {plan.policy.sha256[:12]})", style="dim"))
    read = exports_read_line(plan)
    if read:
        lines.append(Text("  " + read, style="dim"))
    lines.append(Text(""))

    # --- summary and everything that blocks, first
    blocking = [r for r in plan.review_items if r.blocking]
    lines.append(Text("Summary: " + plan.summary.text, style="bold"))
    seats = seats_line(plan)
    if seats:
        lines.append(Text("  " + seats))
    if not plan.approvable:
        lines.append(Text(f"  approve and apply refuse this plan: {plan.approval_blockers}", style="bold red"))
    else:
        lines.append(Text("  nothing blocks approval", style="green"))
    lines.append(Text(""))
    if plan.preflight:
        lines += _preflight_lines(plan)
        lines.append(Text(""))
    elif plan.summary.undoes:
        lines.append(Text(plan.undo_preflight, style="bold"))
        lines.append(Text(""))
    lines.append(Text(f"Blocking review items: {len(blocking)}", style="bold"))
    for item in blocking:
        lines += _review_lines(item)
    lines.append(Text(""))

    actions = {a.id: a for a in plan.actions if in_wave is None or a.id in in_wave}
    position = {a.id: i for i, a in enumerate(plan.actions)}
    reviews = {r.id: r for r in plan.review_items}
    titles = dict(SECTIONS)
    sections: dict[str, list[Text]] = {key: [] for key, _ in SECTIONS}
    lockout_blocks: dict[Lockout, list[Text]] = {code: [] for code in LOCKOUT_LABELS}
    wave_lockouts: dict[Lockout, int] = {code: 0 for code in LOCKOUT_LABELS}  # people listed, by why
    counts = {key: 0 for key, _ in SECTIONS}
    others: list[Text] = []
    quiet = links = 0
    wave_reviews: set[str] = set()
    listed: set[str] = set()  # actions a person or team line shows (or folds into a count)
    for p in plan.people:
        if in_wave is not None and in_wave.isdisjoint(p.actions):
            continue
        acts = [actions[i] for i in p.actions if i in actions and actions[i].kind in PERSON_KINDS]
        removals = [actions[i] for i in p.actions
                    if i in actions and actions[i].kind is ActionKind.TEAMS_REMOVE_MEMBER]
        person_reviews = [reviews[i] for i in p.review_items if i in reviews]
        wave_reviews.update(p.review_items)
        keys = person_sections(p)
        if not keys and not acts and not person_reviews:
            quiet += 1
            continue
        listed.update(a.id for a in acts + removals)
        if not keys and not show_all and _is_plain_link(acts, person_reviews, p) and not removals:
            links += 1
            continue
        block = _person_block(p, acts, person_reviews, removals, position, pulled_in)
        if not keys:
            others += block
            continue
        for key in keys:
            counts[key] += 1
        first, *again = keys
        if first == "lockouts":
            lockout_blocks[p.lockout] += block
            wave_lockouts[p.lockout] += 1
        elif first == "scim_managed" and not sections[first]:
            sections[first] += [Text(f"  {SCIM_MANAGED_LABELS[p.scim_managed]}:", style="bold")] + block
        else:
            sections[first] += block
        for key in again:
            sections[key].append(_listed_above(p, titles[first]))
    figures = plan.summary.outcomes
    for code, blocks in lockout_blocks.items():
        if blocks:
            n = getattr(figures.lockouts, code.value) if in_wave is None else wave_lockouts[code]
            sections["lockouts"] += [Text(f"  {LOCKOUT_LABELS[code]} ({n}):", style="bold")] + blocks
    for key, _ in SECTIONS:
        if key == "scim_managed" and not figures.scim_managed:
            continue
        heading = section_heading(key, figures)
        if in_wave is not None:
            heading += f"; in this wave: {counts[key]}"
        lines.append(Text(heading, style="bold"))
        lines += sections[key]
        lines.append(Text(""))
    lines.append(Text("Other people:", style="bold"))
    lines += others
    if links:
        lines.append(Text(f"  {links} plain link(s): linked to their IdP user, nothing else changes "
                          "(--all lists them)", style="dim"))
    if quiet:
        lines.append(Text(f"  {quiet} other people: no change (already deactivated, or kept as they are)",
                          style="dim"))
    lines.append(Text(""))

    informational = [r for r in plan.review_items if not r.blocking and (in_wave is None or r.id in wave_reviews)]
    lines.append(Text(f"Informational review items: {len(informational)} (nothing to decide)", style="bold"))
    for item in informational:
        lines += _review_lines(item)
    lines.append(Text(""))

    lines.append(Text("Teams:", style="bold"))
    for t in plan.teams:
        team_actions = [actions[i] for i in t.actions if i in actions]
        listed.update(a.id for a in team_actions)
        if in_wave is not None and not team_actions:
            continue
        lines.append(_team_head(t))
        for a in team_actions:
            if a.kind is ActionKind.TEAMS_REMOVE_MEMBER:
                who = address(a.target.email) or value(a.target.member_id)
                lines.append(_line(6, "-", f"remove {who}: {value(a.reason)}", f"({a.kind.value})"))
            else:
                lines.append(_action_line(a, pulled_in=pulled_in))
    lines.append(Text(""))
    lines += _unlisted_action_lines([a for a in actions.values() if a.id not in listed], pulled_in)

    replaced = plan.summary.account_types.replacements if plan.summary.account_types else ()
    if replaced:
        lines.append(Text("Custom account types replaced (neither upgrade nor downgrade; "
                          "account_types.on_custom_replacement):", style="bold"))
        for r in replaced:
            lines.append(_line(2, "~", f"{value(r.from_type)} -> {value(r.to)}: {r.members} member(s)"))
        lines.append(Text(""))

    if plan.outcomes.owners:
        lines.append(Text("Protected owners:", style="bold"))
        for o in plan.outcomes.owners:
            out = Text("  ")
            out.append("ok  " if o.ok else "FAIL", style="green" if o.ok else "bold red")
            out.append(f" {o.role}: {value(o.account_type_before) or '-'} -> {value(o.account_type_after) or '-'}: "
                       f"{value(o.detail)}")
            lines.append(out)
        lines.append(Text(""))

    guards = plan.summary.guards
    if guards:
        lines.append(Text("Guards:", style="bold"))
        for g in guards:
            out = Text("  ")
            out.append("ok  " if g.ok else "FAIL", style="green" if g.ok else "bold red")
            out.append(f" {g.name}: {value(g.detail)}")
            lines.append(out)
        lines.append(Text(""))
    lines.append(Text(plan.summary.text, style="bold"))
    return lines


def plain_text(plan: Plan, **options) -> str:
    """:func:`render` as plain text (no colour), lines joined with ``\\n``; ``options`` as render's."""
    return "\n".join(t.plain for t in render(plan, **options)) + "\n"


def print_plan(plan: Plan, console: Console | None = None, **options) -> None:
    """Print :func:`render` to ``console`` (default: stdout; colour only on a terminal)."""
    console = console or Console(highlight=False, soft_wrap=True)
    for line in render(plan, **options):
        console.print(line)


EXIT_NO_CHANGES, EXIT_READY, EXIT_BLOCKED = 0, 2, 3
"""``plan --detailed-exitcode``: terraform's 0 (no changes) and 2 (changes) and 1 (error) keep their
meaning; 3 is a plan with changes (or items) that blocking review items keep from being approved."""


def detailed_exit_code(plan: Plan) -> int:
    """0: no action and no blocking item; 2: actions, ready to approve; 3: blocking review items
    (a failed guard is one too) or an unmet blocking pre-flight check, whatever the actions."""
    if plan.blocking_items or plan.unmet_preflight:
        return EXIT_BLOCKED
    return EXIT_READY if plan.actions else EXIT_NO_CHANGES


def summary_lines(plan: Plan) -> Iterable[str]:
    """What ``plan`` prints after writing the file: the summary line, the headline figures about
    people (``summary.outcomes``, in the words of ``show`` and the report), failing guards, unmet
    pre-flight checks (but one that is a failed guard's own verdict, the same name and words:
    :func:`planner.rules.preflight.protected_person`, said once, tester18 finding 10), each ``applied.unfinished_run`` item (a run of a plan given to ``--applied`` did not finish),
    the blocking count."""
    yield plan.summary.text
    yield lockout_headline(plan.summary.outcomes.lockouts)
    yield admin_loss_headline(plan.summary.outcomes.admins_losing_admin)
    if not plan.actions and not plan.blocking_items:
        yield "No changes: Sigma already matches this plan's inputs and policy."
    for g in plan.summary.failed_guards:
        yield f"guard failed: {g.name}: {g.detail}"
    echoes = plan.guard_echoes[0]
    for c in plan.unmet_preflight:
        if c not in echoes:  # a protected person's check is their guard's verdict: said above
            yield f"pre-flight {c.status.value}: {c.id}: {c.detail}"
    for r in plan.review_items:  # a run of an applied plan that did not finish (tester12 #12): said at once
        if r.code == UNFINISHED_RUN:
            yield f"{r.id}: {r.message}"
    blocking = [r for r in plan.review_items if r.blocking]
    if blocking:
        yield (f"{len(blocking)} blocking review item(s): the plan can be reviewed but not applied "
               "(`sigma-migrate show` lists them with the policy snippet that settles each)")


def summary_document(plan: Plan, path: str = "") -> dict:
    """What ``plan --json`` prints: the plan's summary, its pre-flight checks and what blocks approval.

    ``{"plan": path, "digest", "summary": plan.summary, "preflight": [check as dict, ...],
    "blocking": {"review_items": [id, ...], "preflight": [id, ...], "guards": [name, ...]},
    "approvable": bool}``. JSON-ready; nothing is re-decided.
    """
    import msgspec
    from msgspec.structs import asdict

    blocking = {
        "review_items": [r.id for r in plan.review_items if r.blocking],
        "preflight": [c.id for c in plan.unmet_preflight],
        "guards": [g.name for g in plan.summary.failed_guards],
    }
    return {
        "plan": path,
        "digest": plan.digest,
        "summary": msgspec.to_builtins(plan.summary),
        "preflight": [{**asdict(c), "status": c.status.value} for c in plan.preflight],
        "blocking": blocking,
        "approvable": plan.approvable,
    }
