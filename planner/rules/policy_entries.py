"""Policy entries that settle nothing: each one is a ``policy.unused_entry`` review item, never silent.

A migration runs in waves, and a policy accumulates keyed entries, one per question a reviewer answered
(a link, a downgrade accepted, a member kept). A wave later the question may be gone: the person left the
export, Sigma's SCIM state already holds what the entry asked for, the downgrade is no longer planned. An
entry ignored in silence leaves the admin unable to tell a live decision from a dead one, and a dead one may
settle a later question nobody reviewed.

One mechanism (:func:`unused_entry_items`): the rule families report the keyed entries they consulted to
settle something, one :class:`EntryUse` each, from the decisions they made
(:func:`planner.rules.linking.override_uses` and ``guard_override_uses``,
:meth:`planner.rules.scim_state.PlannedState.verdict` and :func:`~planner.rules.scim_state.conflict_entry_absences`,
:func:`planner.rules.account_types.acknowledgment_uses`, ``confirmed_uses`` and ``override_uses``,
:func:`planner.rules.unmatched.decision_uses`, :func:`planner.rules.teams.map_uses`, ``deleted_group_uses`` and
``confirmation_uses``, :func:`planner.rules.guests.invitation_pending_uses`,
:func:`planner.rules.duplicates.resolve` and ``exclusion_uses``,
:func:`planner.rules.scim_state.reused_address_uses`, :func:`planner.rules.unfinished_runs.closed_run_uses`,
:func:`planner.rules.inputs.identical_groups_uses`); :func:`planner.planning.decide` folds them
(:attr:`planner.rules.Outcome.uses`); every entry of :func:`keyed_entries` no use names is one
``policy.unused_entry`` item naming the entry as written, its ``file:line:column``
(:meth:`planner.policy.Policy.location`, the marks of :mod:`planner.yaml_schema`) and why (the question it answered is no longer asked, and what the family saw,
:attr:`EntryUse.why_not`). An entry naming a person, team or group the exports lack is already the blocking
``policy.unknown_reference`` (or ``teams.map_team_missing``) item of :mod:`.policy_refs`: no second item.

Informational, and where the unused entry is dangerous the item says so (:attr:`KeyedEntry.danger`): an entry
that records no situation would settle whatever later question of that person comes, unreviewed, and the question
may be one of access (a deactivation, a leaver kept, an admin's downgrade):

- ``unmatched.decisions``: ``keep`` / ``deactivate`` says nothing of why the member had no IdP identity, so the
  next time they have none (they leave, an export misses them) it keeps or deactivates them with no question;
- the short form of ``linking.scim_state_conflicts`` (``<id>: idp_export``): it records no value, so it settles
  any later disagreement of that user (tester8 finding 15, :func:`planner.policy.policy_notes`);
- the short form of ``account_types.acknowledged_downgrades`` / ``acknowledged_replacements``: it records no
  change, so it accepts any later downgrade of that person, an admin's too;
- ``linking.duplicates: deactivate``: should another member come to share the address again, it would rename and
  deactivate the entry's member;
- ``linking.excluded_idp_users``: it keeps its IdP user from being linked or created whenever the IdP provisions
  them, whether or not another user shares their address (their member left with no IdP identity);
- ``linking.reused_addresses``: it records no member, so another member's address in doubt would be settled the
  same way (``same_person``: a link to that member, their documents with it);
- ``teams.confirm_empty``: it records no team, so should the group be empty while its team has members (an export
  missing them), it would empty the team.
- ``teams.confirm_team_admin_removals``: it records no person, so it would let the team lose any later team admin.
- ``preflight.identical_groups_confirmed``: should one of its groups' answers be saved again as the other's, it
  would read the copy as true.

Not blocking, on purpose: an unused entry acts in no plan, and the entries a re-plan finds unused are most often
the answers the plan just applied: a re-plan of the same inputs after a complete apply has no changes and nothing
blocking (tests/test_replan_after_apply.py, issue 11 "Done means"), which a blocking item per applied downgrade
would break for every policy. The danger is said in every plan until the entry is removed (``show``, the report).
The entries that record what they were written for say only that they have no effect: a later question they do
not fit is asked again: ``applied.closed_runs`` (it names the plan's digest and the run: closed once, a run stays closed in its journal),
``linking.overrides`` (a pinned link: Sigma's SCIM state contradicting it is a blocking
``linking.override_contradicts_scim``), ``linking.second_accounts`` (a member a userName change left behind),
``user_name_guard.overrides`` and ``account_types.overrides`` (what the IdP is to send that person), the long forms
above and ``account_types.acknowledged_admin_upgrades`` (a person and the admin type they gain),
``guests.confirm_pending_invitations`` (it names the IdP user whose link it lets through),
``account_types.several_type_groups_confirmed`` (it
names the type it confirms), ``teams.map`` (a team and its group:
:func:`planner.rules.teams.check_scim_links` refuses one against Sigma's SCIM links), ``teams.deleted_groups``
(an IdP group id, which a deleted group never takes again), ``teams.confirm_new_teams`` (a new team beside another
is asked of no one's access).

The keys that state a standing rule rather than answer one question are not keyed entries here: ``scope.groups``,
``linking.match_keys`` and ``domain_aliases``, ``account_types.group_map`` and ``precedence``, ``teams.rules``,
``unmatched.exclude_patterns``, ``guards.admin_account_types`` apply to whoever comes (a later hire, a new group),
so one nobody of this plan meets is no dead answer; one naming no group of the export is
``policy.unknown_reference``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Iterator, Mapping

from ..model import ItemRef, ReviewItem
from ..policy import Policy
from . import make_review

CODE = "policy.unused_entry"

QUESTION = {
    "linking.overrides": "which member this IdP user is",
    "linking.duplicates": "which member gives up an address another member shares",
    "linking.excluded_idp_users": "which of the IdP users sharing an address are not the person's",
    "linking.second_accounts": "whether to keep or deactivate the member a userName change left behind",
    "linking.scim_state_conflicts": "which side is newer where Sigma's SCIM state and the IdP export disagree "
                                    "on this user",
    "linking.reused_addresses": "whether this IdP user, who now has the address of a member SCIM provisioned for "
                                "another identity, is that person returning or a new person",
    "user_name_guard.overrides": "which userName a link of this IdP user sends where it is not the member's email",
    "account_types.overrides": "which account type this person gets",
    "account_types.acknowledged_downgrades": "whether this person's downgrade is accepted",
    "account_types.acknowledged_replacements": "whether this person's custom account type replacement is "
                                               "accepted",
    "account_types.acknowledged_admin_upgrades": "whether this person, who holds no admin account type, is meant "
                                                 "to gain this one",
    "account_types.several_type_groups_confirmed": "which account type Entra ID sends this protected person in "
                                                   "groups of different account types",
    "unmatched.decisions": "whether to keep or deactivate this member, who has no IdP identity",
    "guests.confirm_pending_invitations": "whether this IdP user, whose Entra B2B invitation is not accepted, is "
                                          "linked to their Sigma member all the same",
    "teams.map": "which IdP group this team follows",
    "teams.confirm_empty": "whether this IdP group, empty while its team has members, is meant to be empty",
    "teams.deleted_groups": "whether the IdP group a team is linked to by SCIM, which the IdP export lacks, was "
                            "deleted",
    "teams.confirm_new_teams": "whether this IdP group, sharing its people with an unmanaged team, is a team of its "
                               "own rather than that team renamed",
    "teams.confirm_team_admin_removals": "whether this IdP group's team may lose its last team admin",
    "preflight.identical_groups_confirmed": "whether these IdP groups, whose hand-saved members answers list the "
                                            "same members, really have the same members",
    "applied.closed_runs": "whether this interrupted run of a plan given to --applied is closed, this plan deciding "
                           "what it left",
}
"""The question each key's entries answer, as the ``policy.unused_entry`` item says it (the keys
:func:`keyed_entries` lists)."""


@dataclass(frozen=True, slots=True)
class EntryUse:
    """A keyed policy entry a rule family consulted: ``path`` (the policy key, ``unmatched.decisions``), ``key``
    (the entry's mapping key as written, or its index in a list) and ``settled`` (what it settled in this plan,
    one phrase: ``kept member m1``). ``settled`` empty: the family consulted it and it settled nothing;
    ``why_not`` then says why (``Sigma's SCIM state already links them``), which the item quotes."""

    path: str
    key: str | int
    settled: str
    why_not: str = ""


@dataclass(frozen=True, slots=True)
class ConflictEntry:
    """One ``linking.scim_state_conflicts`` entry as the settling reads it: ``key`` (IdP id or ``*``),
    ``newer`` (``idp_export`` | ``scim_state``) and the values the long form recorded (``active``,
    ``user_type``; both ``None``: the short form, which records nothing)."""

    key: str
    newer: str
    active: bool | None = None
    user_type: str | None = None

    @classmethod
    def of(cls, key: str, value: object) -> "ConflictEntry":
        """The entry of a policy value: ``idp_export``/``scim_state``, or the long form
        (:class:`planner.policy.ScimStateConflict`, or a mapping with its keys)."""
        if isinstance(value, str):
            return cls(key, value)
        get = value.get if isinstance(value, Mapping) else lambda k: getattr(value, k, None)
        return cls(key, str(get("newer")), get("active"), get("userType"))

    @property
    def recorded(self) -> bool:
        """True for the long form (it names the value it was written for)."""
        return self.active is not None or self.user_type is not None

    def text(self) -> str:
        """The entry as the policy writes it: ``00u1: idp_export``, ``00u1: {newer: idp_export, active: false}``."""
        if not self.recorded:
            return f"{self.key}: {self.newer}"
        values = [f"newer: {self.newer}"]
        if self.active is not None:
            values.append(f"active: {'true' if self.active else 'false'}")
        if self.user_type is not None:
            values.append(f"userType: {self.user_type}")
        return f"{self.key}: {{{', '.join(values)}}}"


@dataclass(frozen=True, slots=True)
class KeyedEntry:
    """One keyed entry of the policy: ``path``, ``key`` (as :class:`EntryUse`), ``text`` (the entry as the
    policy writes it), ``loc`` (its location, as :meth:`planner.policy.Policy.location` reads it) and ``danger``
    (what, unused and left, it would settle later unreviewed; ``""``: nothing; the module docstring says which)."""

    path: str
    key: str | int
    text: str
    loc: tuple[str | int, ...]
    danger: str = ""


SHORT_FORM_DANGER = ("its short form records no {what}, so it would settle any later {question} of this person "
                     "unreviewed")


def keyed_entries(policy: Policy) -> tuple[KeyedEntry, ...]:
    """Every keyed entry of ``policy`` under the keys of :data:`QUESTION`, in section order."""
    return tuple(_linking_entries(policy)) + tuple(_guard_and_account_type_entries(policy)) + tuple(_other_entries(policy))


def _linking_entries(policy: Policy) -> Iterator[KeyedEntry]:
    linking = policy.linking
    for i, o in enumerate(linking.overrides):
        yield KeyedEntry("linking.overrides", i, f"{{idp: {o.idp}, member: {o.member}}}", ("linking", "overrides", i))
    for ref, how in linking.duplicates.items():
        danger = ("" if how != "deactivate" else
                  "should another member come to share the address, it would rename and deactivate this member "
                  "unreviewed")
        yield KeyedEntry("linking.duplicates", ref, f"{ref}: {how}", ("linking", "duplicates", ref, "[key]"), danger)
    for i, ref in enumerate(linking.excluded_idp_users):
        yield KeyedEntry("linking.excluded_idp_users", i, ref, ("linking", "excluded_idp_users", i),
                         "it keeps this user from being linked or created whenever the IdP provisions them, whether "
                         "or not another IdP user shares their address, with no question asked")
    for ref, what in linking.second_accounts.items():
        yield KeyedEntry("linking.second_accounts", ref, f"{ref}: {what}", ("linking", "second_accounts", ref, "[key]"))
    for key, value in linking.scim_state_conflicts.items():
        entry = ConflictEntry.of(key, value)
        danger = "" if entry.recorded else SHORT_FORM_DANGER.format(what="value", question="disagreement")
        yield KeyedEntry("linking.scim_state_conflicts", key, entry.text(),
                         ("linking", "scim_state_conflicts", key, "[key]"), danger)
    for ref, answer in linking.reused_addresses.items():
        yield KeyedEntry("linking.reused_addresses", ref, f"{ref}: {answer}", ("linking", "reused_addresses", ref, "[key]"),
                         "it records no member, so should another member SCIM provisioned for another identity hold "
                         "this user's address, it would " + ("link them to that member" if answer == "same_person"
                                                             else "give them no Sigma account") + " unreviewed")


def _guard_and_account_type_entries(policy: Policy) -> Iterator[KeyedEntry]:
    for ref, how in policy.user_name_guard.overrides.items():
        yield KeyedEntry("user_name_guard.overrides", ref, f"{ref}: {how}", ("user_name_guard", "overrides", ref, "[key]"))
    at = policy.account_types
    for ref, account_type in at.overrides.items():
        yield KeyedEntry("account_types.overrides", ref, f"{ref}: {account_type}",
                         ("account_types", "overrides", ref, "[key]"))
    for name, question in (("acknowledged_downgrades", "downgrade"), ("acknowledged_replacements", "replacement"),
                           ("acknowledged_admin_upgrades", "admin type gained")):
        for i, entry in enumerate(getattr(at, name)):
            short = isinstance(entry, str)
            yield KeyedEntry(f"account_types.{name}", i, entry if short else entry.text(), ("account_types", name, i),
                             SHORT_FORM_DANGER.format(what="change", question=question) if short else "")
    for ref, account_type in at.several_type_groups_confirmed.items():
        yield KeyedEntry("account_types.several_type_groups_confirmed", ref, f"{ref}: {account_type}",
                         ("account_types", "several_type_groups_confirmed", ref, "[key]"))


def _other_entries(policy: Policy) -> Iterator[KeyedEntry]:
    for ref, what in policy.unmatched.decisions.items():
        yield KeyedEntry("unmatched.decisions", ref, f"{ref}: {what}", ("unmatched", "decisions", ref, "[key]"),
                         f"it records no reason, so it would {what} this member unreviewed the next time they have no "
                         "IdP identity (they leave, an export misses them)")
    for i, ref in enumerate(policy.guests.confirm_pending_invitations):
        yield KeyedEntry("guests.confirm_pending_invitations", i, ref, ("guests", "confirm_pending_invitations", i))
    teams = policy.teams
    for team, group in teams.map.items():
        yield KeyedEntry("teams.map", team, f"{team}: {group}", ("teams", "map", team, "[key]"))
    for i, pattern in enumerate(teams.confirm_empty):
        yield KeyedEntry("teams.confirm_empty", i, pattern, ("teams", "confirm_empty", i),
                         "it records no team, so should the group be empty while its team has members (an export "
                         "missing its members), it would empty the team unreviewed")
    for i, gid in enumerate(teams.deleted_groups):
        yield KeyedEntry("teams.deleted_groups", i, gid, ("teams", "deleted_groups", i))
    for i, pattern in enumerate(teams.confirm_new_teams):
        yield KeyedEntry("teams.confirm_new_teams", i, pattern, ("teams", "confirm_new_teams", i))
    for i, pattern in enumerate(teams.confirm_team_admin_removals):
        yield KeyedEntry("teams.confirm_team_admin_removals", i, pattern, ("teams", "confirm_team_admin_removals", i),
                         "it records no person, so it would let the team lose any later team admin unreviewed")
    for i, names in enumerate(policy.preflight.identical_groups_confirmed):
        yield KeyedEntry("preflight.identical_groups_confirmed", i, f"[{', '.join(names)}]",
                         ("preflight", "identical_groups_confirmed", i),
                         "should one of these groups' answers be saved again as the other's, it would read the copy "
                         "as true unreviewed")
    for i, closed in enumerate(policy.applied.closed_runs):
        yield KeyedEntry("applied.closed_runs", i, f"{{plan: {closed.plan}, run: {closed.run}}}",
                         ("applied", "closed_runs", i))


def unused_entry_items(policy: Policy, uses: Iterable[EntryUse],
                       unknown: Iterable[tuple[str | int, ...]] = ()) -> list[ReviewItem]:
    """One ``policy.unused_entry`` item (:func:`unused_entry_item`) per entry of :func:`keyed_entries` that no
    use in ``uses`` settled anything with, in section order; ``unknown``: the locations of the references
    :mod:`.policy_refs` found naming nothing (their ``policy.unknown_reference`` items say it: an entry holding
    one gets no second item)."""
    settled: set[tuple[str, str | int]] = set()
    why_not: dict[tuple[str, str | int], str] = {}
    for use in uses:
        if use.settled:
            settled.add((use.path, use.key))
        elif use.why_not:
            why_not.setdefault((use.path, use.key), use.why_not)
    unknown = tuple(unknown)
    return [unused_entry_item(entry, policy, why_not.get((entry.path, entry.key), ""))
            for entry in keyed_entries(policy)
            if (entry.path, entry.key) not in settled and not _names_unknown(entry, unknown)]


def _names_unknown(entry: KeyedEntry, unknown: tuple[tuple[str | int, ...], ...]) -> bool:
    """Whether a reference inside ``entry`` names nothing (its location begins with the entry's, the key's
    ``"[key]"`` marker aside)."""
    base = entry.loc[:-1] if entry.loc[-1] == "[key]" else entry.loc
    return any(loc[:len(base)] == base for loc in unknown)


def unused_entry_item(entry: KeyedEntry, policy: Policy, why_not: str = "") -> ReviewItem:
    """The ``policy.unused_entry`` item of ``entry``: where it is, the entry as written, the question it
    answers, which this plan does not ask (``why_not``: what the family saw), and what it would settle unreviewed
    if left (:attr:`KeyedEntry.danger`), or that it has no effect. Informational (the module docstring says why).
    Resolution: remove the entry."""
    where = policy.location(*entry.loc)
    key = f"{entry.path}[{entry.key}]"
    detail = f" ({why_not})" if why_not else ""
    tail = (f"; left, {entry.danger}: remove it" if entry.danger
            else "; the entry has no effect: remove it once its wave is done")
    return make_review(
        CODE, key, blocking=False,
        subject=ItemRef(policy_key=key, name=entry.text, rule=entry.path),
        message=(f"{where}: {entry.path} entry {entry.text} settled nothing in this plan: it answers "
                 f"{QUESTION[entry.path]}, which this plan does not ask{detail}{tail}"),
        rule=entry.path, resolution=f"# remove the entry at {where}: {entry.text}\n",
    )


__all__ = ["CODE", "QUESTION", "EntryUse", "KeyedEntry", "keyed_entries", "unused_entry_item", "unused_entry_items"]
