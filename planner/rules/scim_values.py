"""Values Sigma refuses: a person the plan links or creates through SCIM must carry what Sigma needs.

Sigma reads ``userName``, ``name.givenName`` and ``name.familyName`` of a SCIM User, **both names
needed** (docs/sigma-api.md §5.2); a ``POST /Users`` without one is answered ``400 'name' is
required`` (the sandbox publishes both as required, :mod:`planner.sandbox.scim`). A plan that sends
a blank name fails mid-apply, half-done (tester report A8). So each person the plan would link or
create (status ``link``, ``reactivate``, ``create``, or a converted guest) whose sent names would be
blank is **held** (:attr:`planner.directory.PersonStatus.HELD`: neither linked nor created nor pushed
in a group, as for any blocking item) with one blocking ``scim.name_required`` item.

The names sent are those :func:`planner.rules.linking.link_actions` writes: the IdP user's, each
falling back to the Sigma member's for a link (:func:`sent_names`), cleaned of control and
invisible characters (:func:`planner.sources.values.clean_text`). A team the plan would create or link (``scim.create_group`` / ``link_group``) needs a ``displayName``
(RFC 7643 §4.2: required; Sigma's ``POST /v2/teams`` refuses a blank name, docs/sigma-api.md §3.2):
a ``teams.rules`` regex whose ``replace`` leaves nothing of a group's name would create a team
named ``''``; such an action is dropped with whatever waits for it (the group's
``scim.set_group_members``), one blocking ``scim.team_name_required`` item each
(:func:`drop_unnamed_teams`). The other values Sigma refuses
are decided where they are made: a ``userName`` that is not an email address
(``user_name_guard.invalid_user_name``, :mod:`.linking`), an account type the organization does not
have (a policy error, :mod:`.account_types`).
"""

from __future__ import annotations

from msgspec.structs import replace

from ..directory import Person, PersonStatus
from ..model import Action, ActionKind, IdpUser, ItemEvidence, ItemRef, ReviewItem, SigmaMember
from ..sources.values import clean_text
from . import make_review, person_ref

CODE = "scim.name_required"

SENDING = frozenset({PersonStatus.LINK, PersonStatus.REACTIVATE, PersonStatus.CREATE})
"""Statuses whose person the plan sends to Sigma's SCIM (``scim.link_user`` / ``create_user``)."""


def sent_names(user: IdpUser, member: SigmaMember | None) -> tuple[str, str]:
    """``(givenName, familyName)`` a link (``member`` given) or create sends for IdP user ``user``:
    the IdP's names, each falling back to the member's for a link, cleaned."""
    given = user.given_name or (member.first_name if member is not None else "")
    family = user.family_name or (member.last_name if member is not None else "")
    return clean_text(given or ""), clean_text(family or "")


def missing_names(given: str, family: str) -> tuple[str, ...]:
    """The SCIM attributes among ``name.givenName``, ``name.familyName`` that would be blank."""
    return tuple(attr for attr, value in (("name.givenName", given), ("name.familyName", family)) if not value)


def name_required_item(user: IdpUser, member: SigmaMember | None, missing: tuple[str, ...]) -> ReviewItem:
    """``scim.name_required`` (blocking): IdP user ``user`` (linked to ``member``, or to be created)
    would be sent without ``missing``; Sigma refuses such a user (docs/sigma-api.md §5.2)."""
    what = f"linking member {member.email!r}" if member is not None else "creating this user"
    blank = " and ".join(missing)
    also = " (the Sigma member has none either)" if member is not None else ""
    return make_review(
        CODE, member.member_id if member is not None else user.id, blocking=True,
        subject=person_ref(member_id=member.member_id if member else None, email=member.email if member else None,
                           idp_id=user.id, user_name=user.user_name),
        message=(f"IdP user {user.id} ({user.user_name}) has a blank {blank}{also}: Sigma's SCIM needs both names "
                 f"and refuses the user (400 'name' is required), so {what} would fail during apply; held "
                 "(neither linked nor created) until the IdP user has both names"),
        rule="scim.name_required",
        evidence=ItemEvidence(missing=list(missing)),
        resolution=(f"# give IdP user {user.id} ({user.user_name}) a first and a last name in the IdP "
                    "(or fix the export's name columns), then export and plan again\n"),
    )


def hold_unnamed(people: tuple[Person, ...]) -> tuple[tuple[Person, ...], list[ReviewItem]]:
    """``people`` (linking's records, after guests) with every person the plan would send to SCIM
    without both names held (and not converted: a held guest is not linked either), and their
    ``scim.name_required`` items (by memberId, then IdP id)."""
    out: list[Person] = []
    items: list[ReviewItem] = []
    for p in people:
        user = p.idp_user
        if user is not None and (p.status in SENDING or p.converted):
            missing = missing_names(*sent_names(user, p.member))
            if missing:
                items.append(name_required_item(user, p.member, missing))
                p = replace(p, status=PersonStatus.HELD, converted=False)
        out.append(p)
    return tuple(out), sorted(items, key=lambda r: r.id)


def team_name_required_item(action: Action) -> ReviewItem:
    """``scim.team_name_required`` (blocking): ``action`` would push IdP group ``group_display_name``
    as a team with a blank name, which Sigma refuses."""
    t = action.target
    return make_review(
        "scim.team_name_required", t.group_id, blocking=True,
        subject=ItemRef(group_id=t.group_id, group_display_name=t.group_display_name),
        message=(f"group {t.group_display_name!r} would become a team with a blank name ({action.rule}): Sigma "
                 "refuses a team without a name, so the team is neither created nor linked"),
        rule=action.rule,
        resolution=(f"# map the group to a named team (teams.map) or fix the rule {action.rule} so that its "
                    "replace leaves a name\n"),
    )


def drop_unnamed_teams(actions: list[Action]) -> tuple[list[Action], list[ReviewItem]]:
    """``actions`` without the ``scim.create_group`` / ``link_group`` whose ``displayName`` is blank
    and without every action waiting for them (transitively); their ``scim.team_name_required`` items."""
    kinds = (ActionKind.SCIM_CREATE_GROUP, ActionKind.SCIM_LINK_GROUP)
    unnamed = [a for a in actions if a.kind in kinds and not a.after.display_name.strip()]
    if not unnamed:
        return actions, []
    dropped = {a.id for a in unnamed}
    kept = list(actions)
    while True:
        waiting = [a for a in kept if a.id not in dropped and dropped.intersection(a.depends_on)]
        if not waiting:
            break
        dropped.update(a.id for a in waiting)
    return [a for a in kept if a.id not in dropped], sorted(map(team_name_required_item, unnamed), key=lambda r: r.id)
