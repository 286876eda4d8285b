"""``sigma-migrate show``: a plan as a terraform-style diff a reviewer reads top to bottom.

Order: header (organization, digest, inputs, policy), **review items first**
(blocking ones marked ``!``, each with its candidates and the exact policy
snippet that resolves it), then **people** (one block per person with at
least one action or review item), then **teams**, then the guards and the
summary line. Markers: ``+`` something is created or linked, ``~`` changed,
``-`` removed or deactivated, ``?`` waiting for a review decision,
``!`` a blocking review item. Every action line ends with its reason and
rule id.

:func:`render` returns rich :class:`~rich.text.Text` lines (colour on a
terminal, plain text otherwise, e.g. when piped); :func:`plain_text` the same
as one plain string; ``--json`` prints the plan file's JSON instead
(:func:`planner.planfile.plan_bytes`).
"""

from __future__ import annotations

from typing import Iterable

from rich.console import Console
from .terminal import SafeText as Text

from .model import Action, ActionKind, PersonRow, Plan, ReviewItem, TeamRow

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
        lines.append(Text("      - " + ", ".join(f"{k}: {_short(v)}" for k, v in c.items()), style="dim"))
    if item.resolution:
        lines.append(Text("      resolve in the policy with:", style="dim"))
        lines += [Text("        " + ln, style="cyan") for ln in item.resolution.rstrip("\n").splitlines()]
    return lines


def _short(value) -> str:
    if isinstance(value, (list, tuple)):
        return "; ".join(str(v) for v in value)
    return str(value)


def _action_line(a: Action, indent: int = 6) -> Text:
    return _line(indent, MARKER.get(a.kind, "~"), a.reason, f"({a.kind.value}, {a.rule})")


def _person_head(p: PersonRow, acts: list[Action], reviews: list[ReviewItem]) -> Text:
    kinds = {a.kind for a in acts}
    if ActionKind.SCIM_CREATE_USER in kinds:
        marker = "+"
    elif kinds & {ActionKind.MEMBERS_DEACTIVATE, ActionKind.MEMBERS_DISABLE_GUEST}:
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
    out.append(f" {p.email or p.user_name or p.idp_id}", style="bold")
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


def render(plan: Plan) -> list[Text]:
    """The whole ``show`` output as rich text lines (see the module docstring for the layout)."""
    lines: list[Text] = []
    org = plan.organization
    lines.append(Text(f"Plan for {org.get('name') or '(unnamed organization)'} ({org.get('organizationId') or '-'})",
                      style="bold"))
    lines.append(Text(f"  digest {plan.digest or '(not written yet)'}, tool {plan.tool_version}, "
                      f"created {plan.created_at or '-'}", style="dim"))
    for f in plan.inputs:
        lines.append(Text(f"  input {f.path} ({f.kind}, {f.records} records, sha256 {f.sha256[:12]})", style="dim"))
    lines.append(Text(f"  policy {plan.policy.get('path') or '-'} (sha256 {str(plan.policy.get('sha256', ''))[:12]})",
                      style="dim"))
    lines.append(Text(""))

    blocking = [r for r in plan.review_items if r.blocking]
    lines.append(Text(f"Review items: {len(plan.review_items)} ({len(blocking)} blocking)", style="bold"))
    if blocking:
        lines.append(Text("  apply refuses this plan until the blocking items are settled in the policy",
                          style="bold red"))
    for item in plan.review_items:
        lines += _review_lines(item)
    lines.append(Text(""))

    actions = {a.id: a for a in plan.actions}
    position = {a.id: i for i, a in enumerate(plan.actions)}
    reviews = {r.id: r for r in plan.review_items}
    lines.append(Text("People:", style="bold"))
    quiet = 0
    for p in plan.people:
        acts = [actions[i] for i in p.actions if i in actions and actions[i].kind in PERSON_KINDS]
        person_reviews = [reviews[i] for i in p.review_items if i in reviews]
        if not acts and not person_reviews:
            quiet += 1
            continue
        lines.append(_person_head(p, acts, person_reviews))
        for a in sorted(acts, key=lambda a: position[a.id]):
            lines.append(_action_line(a))
        for r in person_reviews:
            lines.append(_line(6, "!" if r.blocking else "i", f"{r.id}: {r.message}"))
        removals = [actions[i] for i in p.actions if i in actions and actions[i].kind is ActionKind.TEAMS_REMOVE_MEMBER]
        for a in removals:
            lines.append(_line(6, "-", f"leaves team {a.target.get('name')!r}", f"({a.kind.value}, {a.rule})"))
    if quiet:
        lines.append(Text(f"  {quiet} other people: no change (already deactivated, or kept as they are)", style="dim"))
    lines.append(Text(""))

    lines.append(Text("Teams:", style="bold"))
    for t in plan.teams:
        lines.append(_team_head(t))
        for i in t.actions:
            a = actions.get(i)
            if a is None:
                continue
            if a.kind is ActionKind.TEAMS_REMOVE_MEMBER:
                lines.append(_line(6, "-", f"remove {a.target.get('email') or a.target.get('memberId')}: {a.reason}",
                                   f"({a.kind.value})"))
            else:
                lines.append(_action_line(a))
    lines.append(Text(""))

    replaced = (plan.summary.get("account_types") or {}).get("replacements") or []
    if replaced:
        lines.append(Text("Custom account types replaced (neither upgrade nor downgrade; "
                          "account_types.on_custom_replacement):", style="bold"))
        for r in replaced:
            lines.append(_line(2, "~", f"{r['from']} -> {r['to']}: {r['members']} member(s)"))
        lines.append(Text(""))

    guards = plan.summary.get("guards", [])
    if guards:
        lines.append(Text("Guards:", style="bold"))
        for g in guards:
            out = Text("  ")
            out.append("ok  " if g["ok"] else "FAIL", style="green" if g["ok"] else "bold red")
            out.append(f" {g['name']}: {g['detail']}")
            lines.append(out)
        lines.append(Text(""))
    lines.append(Text(str(plan.summary.get("text", "")), style="bold"))
    return lines


def plain_text(plan: Plan) -> str:
    """:func:`render` as plain text (no colour), lines joined with ``\\n``."""
    return "\n".join(t.plain for t in render(plan)) + "\n"


def print_plan(plan: Plan, console: Console | None = None) -> None:
    """Print :func:`render` to ``console`` (default: stdout; colour only on a terminal)."""
    console = console or Console(highlight=False, soft_wrap=True)
    for line in render(plan):
        console.print(line)


EXIT_NO_CHANGES, EXIT_READY, EXIT_BLOCKED = 0, 2, 3
"""``plan --detailed-exitcode``: terraform's 0 (no changes) and 2 (changes) and 1 (error) keep their
meaning; 3 is a plan with changes (or items) that blocking review items keep from being approved."""


def detailed_exit_code(plan: Plan) -> int:
    """0: no action and no blocking item; 2: actions, ready to approve; 3: blocking review items
    (a failed guard is one too), whatever the actions."""
    if plan.blocking_items:
        return EXIT_BLOCKED
    return EXIT_READY if plan.actions else EXIT_NO_CHANGES


def summary_lines(plan: Plan) -> Iterable[str]:
    """What ``plan`` prints after writing the file: the summary line, blocking count, failing guards."""
    yield str(plan.summary.get("text", ""))
    if not plan.actions and not plan.blocking_items:
        yield "No changes: Sigma already matches this plan's inputs and policy."
    failing = [g for g in plan.summary.get("guards", []) if not g["ok"]]
    for g in failing:
        yield f"guard failed: {g['name']}: {g['detail']}"
    blocking = [r for r in plan.review_items if r.blocking]
    if blocking:
        yield (f"{len(blocking)} blocking review item(s): the plan can be reviewed but not applied "
               "(`sigma-migrate show` lists them with the policy snippet that settles each)")
