"""Waves: a subset of a plan's actions chosen by selectors (``--only``) and a canary size (``--limit``).

``show``, ``report`` and ``apply`` share this module, so a reviewer sees exactly what
``apply --only ... --limit N`` will run.

Selectors (``--only``, repeatable; a wave is the union of what each one selects):

===================  ==========================================================================
``email:ADDRESS``    a person by Sigma email, SCIM userName or IdP userName (case-insensitive);
                     a bare ``ADDRESS`` (with an ``@``) and ``person:ADDRESS`` are the same
``group:NAME``       the people of an IdP group the plan maps (``scim.set_group_members`` of that
                     group lists them; ``scim.set_account_type`` names the groups that decided the
                     type), exactly as the IdP spells it
``team:NAME``        a Sigma team (or the team a group creates) by name, exactly: its link/create,
                     membership and leftover-removal actions
``kind:KIND``        every action of that kind, e.g. ``kind:scim.link_user``; ``kind:scim.*`` a family
===================  ==========================================================================

``--limit N`` keeps the first N people of what the selectors chose (every person with an action when no
selector is given), with their actions: first the people the plan leaves able to sign in, then those it
locks out (deactivations, disabled guests); within each, first the people whose actions need no other person's
(:func:`_pulls_in_others`: a team member's removal by the team's push needs the link of every member the push
sends), each in the plan's people order (:func:`_person_keys_in_order`); team actions are then kept only when a
kept person's action needs them. The wave says how many people it chose and how many more its dependencies pull
in (:func:`wave_heading`): a 50-person canary that pulls in a team's 200 members says so (tester14b finding 4).

Every action a chosen action depends on (``depends_on``, transitively) is pulled in, so a wave can
always run on its own; actions stay in plan order. The approval covers the whole plan: a wave
needs no approval of its own. A selector that matches nothing is an error (:class:`SelectionError`,
one line), so a typo never runs an empty or unintended wave.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fnmatch import fnmatchcase

import msgspec

from .did_you_mean import suggest
from .errors import UserError
from .model import Action, ActionKind, Plan, email_key
from .payloads import (
    GroupTarget,
    ScimCreateUser,
    ScimSetAccountType,
    ScimSetGroupMembers,
    TeamMemberTarget,
    target_addresses,
    target_member_id,
)

SELECTOR_KINDS = ("email", "group", "team", "kind")

class SelectionError(UserError):
    """A selector that cannot be read, or that matches nothing in the plan (one line)."""


@dataclass(frozen=True)
class Selector:
    """One ``--only`` value: ``kind`` (``email``/``group``/``team``/``kind``) and ``value`` as given."""

    kind: str
    value: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"


@dataclass(frozen=True)
class Wave:
    """The actions one wave runs, in plan order.

    ``action_ids``: everything the wave runs; ``chosen``: what the selectors and limit chose;
    ``pulled_in``: dependencies added so the wave can run alone; ``label``: how the wave is named
    in the journal and the result (e.g. ``only email:a@x.example; limit 5``), ``""`` for the
    whole plan.
    """

    action_ids: tuple[str, ...]
    chosen: tuple[str, ...] = ()
    pulled_in: tuple[str, ...] = ()
    label: str = ""
    selectors: tuple[Selector, ...] = field(default=())
    limit: int | None = None
    people_chosen: int = 0
    """The people (a member, or an IdP user the plan creates) the chosen actions are of."""
    people_pulled_in: int = 0
    """The other people whose actions the wave runs as dependencies (their links, which a team's push needs)."""

    @property
    def is_whole_plan(self) -> bool:
        return not self.selectors and self.limit is None


def parse_selector(text: str) -> Selector:
    """``"email:a@x"`` -> ``Selector("email", "a@x")``; a bare address is an email selector.

    Raises :class:`SelectionError` for an unknown prefix or an empty value.
    """
    raw = (text or "").strip()
    prefix, sep, value = raw.partition(":")
    if prefix == "person":  # `show --only person:ADDRESS` (issue 13) is the same selector as email:
        prefix = "email"
    if not sep or prefix not in SELECTOR_KINDS:
        if "@" in raw and prefix not in SELECTOR_KINDS:
            return Selector("email", raw)
        raise SelectionError(
            f"--only {raw!r}: expected email:ADDRESS, group:NAME, team:NAME or kind:KIND (e.g. kind:scim.link_user)")
    if not value.strip():
        raise SelectionError(f"--only {raw!r}: the {prefix} is empty")
    if prefix == "kind" and not any(fnmatchcase(k.value, value) for k in ActionKind):
        known = ", ".join(k.value for k in ActionKind)
        raise SelectionError(f"--only {raw!r}: no action kind is called {value!r} (kinds: {known})")
    return Selector(prefix, value if prefix in ("group", "team") else value.strip())


def _person_key(action: Action) -> str | None:
    member_id = target_member_id(action)
    if member_id:
        return "m:" + member_id
    if isinstance(action, ScimCreateUser):
        return "i:" + action.target.idp_id
    return None


def _person_keys_in_order(plan: Plan) -> tuple[list[str], set[str]]:
    """The people with actions in canary order (``--limit``), and those of them the plan locks out: first those
    the plan leaves able to sign in (a person row without ``lockout``), then those it locks out (deactivated, guest
    disabled, kept without an IdP identity), each in the plan's people order. A canary probes the path on people
    whose change a rollback can take back; taken by email alone, it deactivated 2 of the sample's first 15 and
    moved their documents, which no undo brings back (tester13 finding 13)."""
    with_actions = [p for p in plan.people if p.actions]
    ordered = [p for p in with_actions if p.lockout is None] + [p for p in with_actions if p.lockout is not None]
    keys = ["m:" + p.member_id if p.member_id else "i:" + str(p.idp_id) for p in ordered]
    return keys, set(keys[sum(1 for p in with_actions if p.lockout is None):])


def _pulls_in_others(key: str, by_person: dict[str, list[str]], by_id: dict[str, Action],
                     person_of: dict[str, str | None]) -> bool:
    """True when an action of person ``key`` depends (``depends_on``, transitively) on an action of another person:
    a canary taking them runs that person's actions too. Walks until it meets one (one team push needs every
    member's link: the walk stops at the first)."""
    seen: set[str] = set()
    stack = list(by_person.get(key, ()))
    while stack:
        for dep in by_id[stack.pop()].depends_on:
            if dep in seen or dep not in by_id:
                continue
            other = person_of[dep]
            if other is not None and other != key:
                return True
            seen.add(dep)
            stack.append(dep)
    return False


def _people_by_address(plan: Plan) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for p in plan.people:
        key = "m:" + p.member_id if p.member_id else "i:" + str(p.idp_id)
        for address in (p.email, p.user_name):
            if address:
                out.setdefault(email_key(address), set()).add(key)
    for a in plan.actions:
        key = _person_key(a)
        if key:
            for address in target_addresses(a):
                out.setdefault(email_key(address), set()).add(key)
    return out


def _match(plan: Plan, selector: Selector, addresses: dict[str, set[str]]) -> tuple[set[str], set[str]]:
    """``(person keys, action ids)`` one selector matches."""
    people: set[str] = set()
    ids: set[str] = set()
    if selector.kind == "email":
        people |= addresses.get(email_key(selector.value), set())
    elif selector.kind == "group":
        for a in plan.actions:
            if isinstance(a, ScimSetGroupMembers) and a.target.group_display_name == selector.value:
                for name in a.after.members:
                    people |= addresses.get(email_key(name), set())
            if isinstance(a, ScimSetAccountType) and selector.value in (a.evidence.groups or ()):
                people.add(_person_key(a) or "")
    elif selector.kind == "team":
        for a in plan.actions:
            if isinstance(a.target, (GroupTarget, TeamMemberTarget)) and a.target.name == selector.value:
                ids.add(a.id)
    else:
        ids |= {a.id for a in plan.actions if fnmatchcase(a.kind.value, selector.value)}
    people.discard("")
    return people, ids


def _names(plan: Plan, kind: str) -> set[str]:
    """Every IdP group (``kind == "group"``) or team name a ``group:``/``team:`` selector could match."""
    names: set[str] = set()
    for a in plan.actions:
        if kind == "group":
            if isinstance(a, ScimSetGroupMembers):
                names.add(a.target.group_display_name)
            if isinstance(a, ScimSetAccountType):
                names.update(a.evidence.groups or ())
        elif isinstance(a.target, (GroupTarget, TeamMemberTarget)) and a.target.name:
            names.add(a.target.name)
    return names


def _did_you_mean(plan: Plan, selector: Selector) -> str:
    """``"; did you mean 'Finance'? ..."`` for a ``group:``/``team:`` selector that matched nothing while
    the plan has a name differing from it in letter case only (or close to it), else ``""``.

    Names stay matched exactly: an IdP group ``displayName`` is the IdP's spelling and Sigma does not
    document team names as case-insensitive (docs/sigma-api.md: only the email is compared without
    case), so ``finance`` and ``Finance`` may be two teams; a wave never runs on a guess."""
    if selector.kind not in ("group", "team"):
        return ""
    names = _names(plan, selector.kind)
    close = sorted(n for n in names if n.casefold() == selector.value.casefold())
    if not close:
        found = suggest(selector.value, sorted(names))
        if found is None:
            return ""
        if found.look_alike:
            return f"; the plan's {selector.kind} {found.phrase()}"
        close = [found.name]
    return (f"; did you mean {', '.join(f'{selector.kind}:{n}' for n in close)}? {selector.kind} names are "
            "matched exactly, letter case included")


def select(plan: Plan, selectors: tuple[str, ...] | list[str] = (), limit: int | None = None) -> Wave:
    """The :class:`Wave` of ``plan`` that ``--only selectors`` and ``--limit limit`` choose.

    No selector and no limit: the whole plan. Raises :class:`SelectionError` (one line) for an
    unreadable selector, a selector matching no action, a limit below 1, or a wave with no action.
    """
    parsed = tuple(parse_selector(s) for s in selectors)
    all_ids = tuple(a.id for a in plan.actions)
    if not parsed and limit is None:
        return Wave(all_ids, all_ids)
    if limit is not None and limit < 1:
        raise SelectionError(f"--limit {limit}: give a number of people, 1 or more")
    addresses = _people_by_address(plan) if parsed else {}
    by_id = {a.id: a for a in plan.actions}
    person_of = {a.id: _person_key(a) for a in plan.actions}
    by_person: dict[str, list[str]] = {}
    for aid, key in person_of.items():
        if key:
            by_person.setdefault(key, []).append(aid)
    ids: set[str] = set()
    for selector in parsed:
        found_people, found_ids = _match(plan, selector, addresses)
        for key in found_people & set(by_person):
            found_ids.update(by_person[key])
        if not found_ids:
            raise SelectionError(f"--only {selector}: matches no action of the plan ({plan.digest or 'unsaved plan'})"
                                 + _did_you_mean(plan, selector))
        ids |= found_ids
    if not parsed:
        ids = {aid for aid, key in person_of.items() if key}
    if limit is not None:
        people = {person_of[i] for i in ids} - {None}
        ordered, locked_out = _person_keys_in_order(plan)
        ranked = [k for k in ordered if k in people]
        ranked += sorted(people - set(ranked))
        ranked.sort(key=lambda k: (k in locked_out, _pulls_in_others(k, by_person, by_id, person_of)))  # stable
        kept = set(ranked[:limit])
        ids = {i for i in ids if person_of[i] in kept}
    if not ids:
        raise SelectionError("--only/--limit choose no action of the plan")
    chosen = ids
    wanted = set(chosen)
    stack = list(chosen)
    while stack:
        for dep in by_id[stack.pop()].depends_on:
            if dep not in wanted and dep in by_id:
                wanted.add(dep)
                stack.append(dep)
    label = "; ".join(filter(None, ["only " + ", ".join(map(str, parsed)) if parsed else "",
                                    f"limit {limit}" if limit is not None else ""]))
    people_chosen = {person_of[i] for i in chosen} - {None}
    people_wanted = {person_of[i] for i in wanted} - {None}
    return Wave(
        action_ids=tuple(i for i in all_ids if i in wanted),
        chosen=tuple(i for i in all_ids if i in chosen),
        pulled_in=tuple(i for i in all_ids if i in wanted and i not in chosen),
        label=label,
        selectors=parsed,
        limit=limit,
        people_chosen=len(people_chosen),
        people_pulled_in=len(people_wanted - people_chosen),
    )


def wave_heading(plan: Plan, wave: Wave) -> str:
    """The line naming a wave and its counts, e.g. ``Wave only team:Finance: 4 of 7 action(s)
    (2 chosen, 2 pulled in as dependencies) of 3 person(s) (1 chosen, 2 pulled in); the plan's approval covers it``
    (``show --only`` starts with it),
    or, for a plan that cannot be approved (:attr:`planner.model.Plan.approvable`), ``...; the plan cannot be
    approved yet (1 blocking review item(s), ...), so neither can this wave run`` (tester9 F7)."""
    covered = ("the plan's approval covers it" if plan.approvable else
               f"the plan cannot be approved yet ({plan.approval_blockers}), so neither can this wave run")
    people = "" if wave.is_whole_plan else (f" of {wave.people_chosen + wave.people_pulled_in} person(s) "
                                            f"({wave.people_chosen} chosen, {wave.people_pulled_in} pulled in)")
    return (f"Wave {wave.label or '(whole plan)'}: {len(wave.action_ids)} of {len(plan.actions)} action(s) "
            f"({len(wave.chosen)} chosen, {len(wave.pulled_in)} pulled in as dependencies){people}; {covered}")


class WaveDocument(msgspec.Struct, frozen=True):
    """``show --json --only/--limit``: the wave as data, what ``apply`` with the same selectors runs (tester13
    F5: the text view was printed instead). ``plan_digest``: the plan's; ``label``: as the journal's
    ``runs.wave`` names it; ``selectors``: as given (``team:Finance``); ``action_ids``: everything the wave runs,
    in plan order, ``chosen`` and ``pulled_in`` splitting them as :class:`Wave` does, ``people_chosen`` and
    ``people_pulled_in`` counting the people of each (:class:`Wave`); ``approvable``: whether
    the plan's approval can cover it; ``actions``: the plan's actions of ``action_ids``, as the plan file holds
    them."""

    plan_digest: str
    label: str
    selectors: list[str]
    limit: int | None
    approvable: bool
    action_ids: list[str]
    chosen: list[str]
    pulled_in: list[str]
    people_chosen: int
    people_pulled_in: int
    actions: list[Action]


def wave_document(plan: Plan, wave: Wave) -> WaveDocument:
    """The :class:`WaveDocument` of ``wave`` (from :func:`select` on ``plan``)."""
    wanted = set(wave.action_ids)
    return WaveDocument(plan_digest=plan.digest, label=wave.label, selectors=[str(s) for s in wave.selectors],
                        limit=wave.limit, approvable=plan.approvable, action_ids=list(wave.action_ids),
                        chosen=list(wave.chosen), pulled_in=list(wave.pulled_in),
                        people_chosen=wave.people_chosen, people_pulled_in=wave.people_pulled_in,
                        actions=[a for a in plan.actions if a.id in wanted])


def wave_marks(wave: Wave) -> dict[str, str]:
    """Action id -> ``chosen`` or ``pulled in`` for the actions of ``wave``: the ``wave`` column of
    ``report --only/--limit --csv`` (:func:`planner.report.actions_csv`)."""
    marks = dict.fromkeys(wave.chosen, "chosen")
    marks.update(dict.fromkeys(wave.pulled_in, "pulled in"))
    return marks


def wave_lines(plan: Plan, wave: Wave) -> list[str]:
    """What a wave runs, one line per action in plan order (``+`` chosen, ``<`` pulled in as a
    dependency), under :func:`wave_heading`."""
    by_id = {a.id: a for a in plan.actions}
    pulled = set(wave.pulled_in)
    lines = [wave_heading(plan, wave)]
    for aid in wave.action_ids:
        a = by_id[aid]
        lines.append(f"  {'<' if aid in pulled else '+'} {aid}: {a.reason}")
    return lines


__all__ = ["SELECTOR_KINDS", "Selector", "SelectionError", "Wave", "WaveDocument", "parse_selector", "select",
           "wave_document", "wave_heading", "wave_lines", "wave_marks"]
