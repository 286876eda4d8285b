"""Policy references: every name a policy gives a Sigma member, team, IdP user or IdP group,
resolved against the directory in one place.

A reviewer names people, teams and groups throughout the policy (docs/policy.md): a typo there
(``wendy.park@acme.exmple``) would otherwise be ignored by the rule reading the entry, and the plan
would act as if the decision had never been written (deactivate Wendy, create a team
``Executive Dashbords``). So each reference that names nothing in the exports is one blocking
``policy.unknown_reference`` review item, naming the entry's ``file:line:column`` and the closest
existing name (did you mean ...); the rules skip such entries.

What each section names (:func:`policy_references`):

- a **member** (memberId or email, a unique match): ``organization.scim_setup_admin``,
  ``api_credential_owner``, ``document_owner``, ``guests.document_owner``,
  ``unmatched.document_owner``, ``unmatched.decisions`` keys, ``linking.duplicates`` keys,
  ``linking.second_accounts`` keys, ``linking.overrides[].member`` (but ``never``);
- an **IdP user** (IdP id, userName or sent userName, a unique match):
  ``linking.overrides[].idp``, ``linking.excluded_idp_users``, ``linking.reused_addresses`` keys,
  ``user_name_guard.overrides`` keys, ``guests.confirm_pending_invitations``;
- a **person** (either of the above, as an individual assignment in the IdP):
  ``account_types.overrides`` and ``several_type_groups_confirmed`` keys, ``acknowledged_downgrades``,
  ``acknowledged_replacements``, ``acknowledged_admin_upgrades``;
- a **team** (exact name of a team): ``teams.map`` keys (one naming an archived team holds its group by a
  blocking ``teams.archived_team`` item, :func:`planner.rules.teams.archived_matches`; one naming a team
  Sigma's SCIM state lists, or whose name no team's is close to, is the blocking ``teams.map_team_missing``
  instead: :func:`map_team_missing`);
- an **IdP group** (exact displayName, or ``re:`` matching at least one): ``teams.map`` values,
  ``teams.confirm_empty``, ``teams.confirm_new_teams``, ``teams.confirm_team_admin_removals``, ``scope.groups``, ``account_types.group_map`` keys;
- an **IdP group pattern** (a regular expression fully matching at least one displayName, written without
  ``re:``): the ``pattern`` of a ``teams.rules`` entry of ``match: regex``. A rule matching no group is as dead as
  a ``scope.groups`` typo (tester14a finding 6: ``^sigma_team-(.+)$`` left three teams unmanaged, two uncreated, in
  silence);
- an **IdP attribute** / **member field** (set, not blank, on at least one IdP user / member):
  ``linking.match_keys[].attribute.idp`` / ``.sigma``. A match key whose attribute the export lacks
  links no one, so the people it was written for would be deactivated and created again (tester2
  finding 8: ``sigmaMemberId`` missing from an Okta export).

A member email two members share names no one person: that is an unknown reference too, listing
the memberIds it could mean. An exact displayName two IdP groups carry (Entra allows it; an Okta group imported
from AD beside one made in Okta) names no one group either, and no entry can name a group by its id: each entry of
``account_types.group_map``, ``scope.groups`` and the ``teams.confirm_*`` lists naming one
is the blocking ``policy.shared_group_name`` (:func:`shared_group_name_items`), whose subject holds the people of
those groups (:func:`planner.planning.hold_questioned`: their account type or scope would be decided through
whichever group came along; tester14a finding 3: Admin through the wrong ``Sigma-Admins``). A ``re:`` pattern names
a set on purpose and is never shared; a ``teams.map`` value naming two groups is ``teams.conflict``'s
(:func:`planner.rules.teams.conflict_item`). Two entries of one collection naming one person (the same name once normalised,
or two names the exports resolve to one person) are :mod:`.repeated_people`'s, which reads these references.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import Iterable, Iterator

from ..did_you_mean import Suggestion, closest, look_alike, look_alike_differences
from ..directory import Directory
from ..matching import clean_attribute, idp_attribute, member_attribute
from ..model import NO_EVIDENCE, ItemEvidence, ItemRef, ReviewItem, email_key
from ..policy import NEVER, REGEX_PREFIX, Policy
from ..yaml_schema import dotted
from . import make_review, teams

CODE = "policy.unknown_reference"


class RefKind(str, Enum):
    """What a policy entry names (the value is the noun messages use)."""

    MEMBER = "member"
    IDP_USER = "IdP user"
    PERSON = "person"
    TEAM = "team"
    GROUP = "IdP group"
    GROUP_PATTERN = "IdP group pattern"
    IDP_ATTRIBUTE = "IdP attribute"
    MEMBER_FIELD = "member field"


EXPORT = {RefKind.MEMBER: "the Sigma export", RefKind.IDP_USER: "the IdP export",
          RefKind.PERSON: "either export", RefKind.TEAM: "the Sigma export (active teams)",
          RefKind.GROUP: "the IdP export", RefKind.GROUP_PATTERN: "the IdP export", RefKind.IDP_ATTRIBUTE: "the IdP export (no user has a value for it)",
          RefKind.MEMBER_FIELD: "the Sigma export (no member has a value for it)"}
ATTRIBUTES = (RefKind.IDP_ATTRIBUTE, RefKind.MEMBER_FIELD)
EXPORT_OF = {RefKind.MEMBER: "in Sigma", RefKind.IDP_USER: "in the IdP", RefKind.PERSON: "in Sigma or the IdP",
             RefKind.TEAM: "in Sigma", RefKind.GROUP: "in the IdP", RefKind.GROUP_PATTERN: "in the IdP",
             RefKind.IDP_ATTRIBUTE: "in the IdP",
             RefKind.MEMBER_FIELD: "in Sigma"}
"""Where the name a reference looks like lives, to rename it there (:func:`unknown_reference_item`)."""


@dataclass(frozen=True, slots=True)
class PolicyRef:
    """One name the policy gives: ``loc`` (pydantic-style location of the node, a trailing
    ``"[key]"`` when the name is a mapping key), ``kind`` and the ``value`` as written."""

    loc: tuple[str | int, ...]
    kind: RefKind
    value: str


def policy_references(policy: Policy) -> tuple[PolicyRef, ...]:
    """Every reference of ``policy`` to a member, IdP user, person, team or group, in section order
    (module docstring). Unset (``null``) references are left out."""
    sections = (_organization_refs, _scope_refs, _linking_refs, _user_name_guard_refs, _account_types_refs,
                _guests_refs, _teams_refs, _unmatched_refs)
    return tuple(ref for section in sections for ref in section(policy) if ref.value)


def _keys(kind: RefKind, section: str, name: str, values: Iterable[str]) -> Iterator[PolicyRef]:
    """A reference for each mapping key ``values`` of ``section.name`` (location ends in ``[key]``)."""
    return (PolicyRef((section, name, value, "[key]"), kind, value) for value in values)


def _items(kind: RefKind, loc: tuple[str, ...], values: Iterable[str | None]) -> Iterator[PolicyRef]:
    """A reference for each entry of the list at ``loc`` (location ends in its index)."""
    return (PolicyRef((*loc, i), kind, value or "") for i, value in enumerate(values))


def _organization_refs(policy: Policy) -> Iterator[PolicyRef]:
    org = policy.organization
    for name in ("scim_setup_admin", "api_credential_owner", "document_owner"):
        yield PolicyRef(("organization", name), RefKind.MEMBER, getattr(org, name) or "")


def _scope_refs(policy: Policy) -> Iterator[PolicyRef]:
    return _items(RefKind.GROUP, ("scope", "groups"), policy.scope.groups)


def _linking_refs(policy: Policy) -> Iterator[PolicyRef]:
    linking = policy.linking
    for i, o in enumerate(linking.overrides):
        yield PolicyRef(("linking", "overrides", i, "idp"), RefKind.IDP_USER, o.idp or "")
        if o.member != NEVER:
            yield PolicyRef(("linking", "overrides", i, "member"), RefKind.MEMBER, o.member or "")
    for i, key in enumerate(linking.match_keys):
        if key.attribute is not None:
            loc = ("linking", "match_keys", i, "attribute")
            yield PolicyRef((*loc, "idp"), RefKind.IDP_ATTRIBUTE, key.attribute.idp or "")
            yield PolicyRef((*loc, "sigma"), RefKind.MEMBER_FIELD, key.attribute.sigma or "")
    yield from _keys(RefKind.MEMBER, "linking", "duplicates", linking.duplicates)
    yield from _keys(RefKind.MEMBER, "linking", "second_accounts", linking.second_accounts)
    yield from _items(RefKind.IDP_USER, ("linking", "excluded_idp_users"), linking.excluded_idp_users)
    yield from _keys(RefKind.IDP_USER, "linking", "reused_addresses", linking.reused_addresses)


def _user_name_guard_refs(policy: Policy) -> Iterator[PolicyRef]:
    return _keys(RefKind.IDP_USER, "user_name_guard", "overrides", policy.user_name_guard.overrides)


def _account_types_refs(policy: Policy) -> Iterator[PolicyRef]:
    at = policy.account_types
    yield from _keys(RefKind.GROUP, "account_types", "group_map", at.group_map)
    yield from _keys(RefKind.PERSON, "account_types", "overrides", at.overrides)
    yield from _keys(RefKind.PERSON, "account_types", "several_type_groups_confirmed", at.several_type_groups_confirmed)
    for name in ("acknowledged_downgrades", "acknowledged_replacements", "acknowledged_admin_upgrades"):
        for i, entry in enumerate(getattr(at, name)):
            if isinstance(entry, str):
                yield PolicyRef(("account_types", name, i), RefKind.PERSON, entry)
            else:
                yield PolicyRef(("account_types", name, i, "person"), RefKind.PERSON, entry.person)


def _guests_refs(policy: Policy) -> Iterator[PolicyRef]:
    yield PolicyRef(("guests", "document_owner"), RefKind.MEMBER, policy.guests.document_owner or "")
    yield from _items(RefKind.IDP_USER, ("guests", "confirm_pending_invitations"),
                      policy.guests.confirm_pending_invitations)


def _teams_refs(policy: Policy) -> Iterator[PolicyRef]:
    for team, group in policy.teams.map.items():
        yield PolicyRef(("teams", "map", team, "[key]"), RefKind.TEAM, team)
        yield PolicyRef(("teams", "map", team), RefKind.GROUP, group or "")
    for i, rule in enumerate(policy.teams.rules):
        if rule.match == "regex":
            yield PolicyRef(("teams", "rules", i, "pattern"), RefKind.GROUP_PATTERN, rule.pattern or "")
    yield from _items(RefKind.GROUP, ("teams", "confirm_empty"), policy.teams.confirm_empty)
    yield from _items(RefKind.GROUP, ("teams", "confirm_new_teams"), policy.teams.confirm_new_teams)
    yield from _items(RefKind.GROUP, ("teams", "confirm_team_admin_removals"), policy.teams.confirm_team_admin_removals)


def _unmatched_refs(policy: Policy) -> Iterator[PolicyRef]:
    yield from _keys(RefKind.MEMBER, "unmatched", "decisions", policy.unmatched.decisions)
    yield PolicyRef(("unmatched", "document_owner"), RefKind.MEMBER, policy.unmatched.document_owner or "")


def team_ids_by_name(directory: Directory) -> dict[str, list[str]]:
    """Active (not archived) teams' ids by exact name: what a ``teams.map`` key names."""
    out: dict[str, list[str]] = {}
    for team in directory.teams.values():
        if not team.is_archived:
            out.setdefault(team.name, []).append(team.team_id)
    return out


def _person_found(ref: str, directory: Directory) -> bool:
    """Whether a person reference (email, memberId, IdP id or userName) names anyone: account types
    apply it to every person it names (:func:`planner.rules.account_types.person_resolver`)."""
    key = email_key(ref)
    return (ref in directory.members or ref in directory.idp_users
            or bool(directory.member_ids_by_email_key.get(key))
            or bool(directory.idp_ids_by_user_name_key.get(key))
            or bool(directory.idp_ids_by_scim_user_name_key.get(key)))


def _group_found(pattern: str, directory: Directory) -> bool:
    return bool(directory.group_ids_matching(pattern))


def _idp_attribute_values(name: str, directory: Directory) -> Iterable[str]:
    return (clean_attribute(idp_attribute(u.attributes, name)) for u in directory.idp_users.values())


def _member_field_values(name: str, directory: Directory) -> Iterable[str]:
    return (clean_attribute(member_attribute(m, name)) for m in directory.members.values())


def resolves(ref: PolicyRef, directory: Directory) -> bool:
    """Whether ``ref`` names something in ``directory`` the way the rule reading it looks it up."""
    if ref.kind is RefKind.MEMBER:
        return directory.find_member_id(ref.value) is not None
    if ref.kind is RefKind.IDP_USER:
        return directory.find_idp_id(ref.value) is not None
    if ref.kind is RefKind.PERSON:
        return _person_found(ref.value, directory)
    if ref.kind is RefKind.TEAM:  # an archived team's name: held by teams.archived_team (planner.rules.teams)
        return any(t.name == ref.value for t in directory.teams.values())
    if ref.kind is RefKind.IDP_ATTRIBUTE:  # as matching.attribute_joins reads it: blank values join nothing
        return any(_idp_attribute_values(ref.value, directory))
    if ref.kind is RefKind.MEMBER_FIELD:
        return any(_member_field_values(ref.value, directory))
    if ref.kind is RefKind.GROUP_PATTERN:  # as teams.rule_candidates reads it: a full match
        return _group_found(REGEX_PREFIX + ref.value, directory)
    return _group_found(ref.value, directory)


def known_names(kind: RefKind, directory: Directory) -> list[str]:
    """The names a reference of ``kind`` could have meant (emails and memberIds, userNames and IdP
    ids, team or group names)."""
    members = [m.email for m in directory.members.values() if m.email] + list(directory.members)
    users = [u.user_name for u in directory.idp_users.values() if u.user_name] + list(directory.idp_users)
    if kind is RefKind.MEMBER:
        return members
    if kind is RefKind.IDP_USER:
        return users
    if kind is RefKind.PERSON:
        return members + users
    if kind is RefKind.TEAM:
        return sorted(team_ids_by_name(directory))
    if kind is RefKind.IDP_ATTRIBUTE:
        return sorted({n for u in directory.idp_users.values() for n in u.attributes
                       if clean_attribute(idp_attribute(u.attributes, n))})
    if kind is RefKind.MEMBER_FIELD:
        return sorted({n for m in directory.members.values() for n in (m.raw or ())
                       if clean_attribute(member_attribute(m, n))})
    return sorted({g.display_name for g in directory.groups.values()})


def closest_name(value: str, names: Iterable[str]) -> str | None:
    """The name in ``names`` closest to ``value``, letter case aside, or ``None``.

    An address is compared part by part, so a shared domain does not make strangers look alike:
    the same local part under the closest domain (``wendy.park@acme.exmple`` ->
    ``wendy.park@acme.example``), else the closest local part under the same domain. Otherwise
    (and for the parts) difflib's ratio must be :data:`REFERENCE_CUTOFF` or more, among names of the same first
    letter and a length within 3 (a typo keeps both; it also keeps the look-up fast at 100k names).
    """
    if value.startswith(REGEX_PREFIX):
        return None
    by_fold: dict[str, str] = {}
    for name in names:
        by_fold.setdefault(name.casefold(), name)
    folded = value.casefold()
    local, at, domain = folded.partition("@")
    if at and local and domain:
        split = {f: f.partition("@") for f in by_fold}
        same_local = {parts[2]: f for f, parts in split.items() if parts[1] and parts[0] == local}
        close = _close(domain, same_local)
        if close is not None:
            return by_fold[same_local[close]]
        same_domain = {parts[0]: f for f, parts in split.items() if parts[1] and parts[2] == domain}
        close = _close(local, same_domain)
        return by_fold[same_domain[close]] if close is not None else None
    close = _close(folded, by_fold)
    return by_fold[close] if close is not None else None


REFERENCE_CUTOFF = 0.75
"""difflib ratio from which a name is proposed for a policy reference (:func:`closest_name`): stricter than
:data:`planner.did_you_mean.CUTOFF`, since the names are people's addresses and a stranger's is no typo."""


def _close(value: str, candidates: Iterable[str]) -> str | None:
    """The candidate closest to ``value`` (:func:`planner.did_you_mean.closest` at :data:`REFERENCE_CUTOFF`)
    among those of its first letter and a length within 3."""
    pool = [c for c in candidates if c[:1] == value[:1] and abs(len(c) - len(value)) <= 3]
    return closest(value, pool, cutoff=REFERENCE_CUTOFF)


def _sharing(ref: PolicyRef, directory: Directory) -> tuple[str, ...]:
    """The ids of the members (or IdP users) sharing the address a member (IdP user) reference gives."""
    key = email_key(ref.value)
    if ref.kind is RefKind.MEMBER:
        return tuple(sorted(set(directory.member_ids_by_email_key.get(key, ()))))
    if ref.kind is RefKind.IDP_USER:
        found = directory.idp_ids_by_user_name_key.get(key, ()) + directory.idp_ids_by_scim_user_name_key.get(key, ())
        return tuple(sorted(set(found)))
    return ()


def renamed_idp_user(value: str, directory: Directory) -> tuple[str, str] | None:
    """``(IdP id, userName it now sends)`` when ``value``, naming no IdP user, is the ``userName`` of a user Sigma's
    SCIM state lists as provisioned (:attr:`planner.directory.ScimState.by_user_name`) whose ``externalId`` is an
    IdP user of the export now sending another userName: the IdP renamed them since (tester11 finding 8); else
    ``None``."""
    key = email_key(value)
    user = directory.scim.by_user_name.get(key) if key else None
    iid = user.external_id if user is not None else None
    if not iid or iid not in directory.idp_users or directory.scim_user_name_keys[iid] == key:
        return None
    return iid, directory.scim_user_names[iid]


def unknown_reference_item(ref: PolicyRef, policy: Policy, directory: Directory) -> ReviewItem:
    """The blocking ``policy.unknown_reference`` item of ``ref`` (which names nothing): where it is
    (``file:line:column`` and dotted key), what it names, and the closest existing name, or for an IdP user the
    IdP renamed since Sigma's SCIM state listed them, that it did and its IdP id (:func:`renamed_idp_user`). Its id is
    ``policy.unknown_reference:<dotted key>``, with ``:team`` after a ``teams.map`` key's (the entry's group,
    its value, has the dotted key alone)."""
    where = policy.location(*ref.loc)
    path = dotted(ref.loc)
    shared = _sharing(ref, directory)
    renamed = renamed_idp_user(ref.value, directory) if ref.kind is RefKind.IDP_USER else None
    alike: str | None = None
    by = "memberId" if ref.kind is RefKind.MEMBER else "IdP id"
    if len(shared) > 1:
        noun = "members" if ref.kind is RefKind.MEMBER else "IdP users"
        why = f"the address of {len(shared)} {noun} ({', '.join(shared)}): it names none of them"
        close = None
    elif ref.kind is RefKind.GROUP_PATTERN or (ref.kind is RefKind.GROUP and ref.value.startswith(REGEX_PREFIX)):
        why, close = "which matches no group in the IdP export", None
    elif renamed is not None:
        why = (f"which is not in the IdP export: the IdP renamed them (Sigma's SCIM state lists {ref.value!r} with "
               f"externalId {renamed[0]}, and IdP user {renamed[0]} now sends userName {renamed[1]!r})")
        close = None
    else:
        why = f"which is not in {EXPORT[ref.kind]}"
        names = known_names(ref.kind, directory)
        alike = look_alike(ref.value, names)
        close = closest_name(ref.value, names) if alike is None else None
    hint = f" (did you mean {close!r}?)" if close else ""
    if alike is not None:
        hint = f" ({Suggestion(ref.value, alike, look_alike=True).phrase()})"
    effect = ("the match key links no one" if ref.kind in ATTRIBUTES else
              "the rule gives no group a team" if ref.kind is RefKind.GROUP_PATTERN else "the entry is ignored")
    # a teams.map entry names a team (its key) and a group (its value) at one dotted path: the key's item
    # gets its own id, else one of the two would drop the other (planning.sort_review_items keeps one per id)
    return make_review(
        CODE, f"{path}:team" if ref.kind is RefKind.TEAM else path, blocking=True,
        subject=ItemRef(policy_key=path, kind=ref.kind.value, name=ref.value),
        message=f"{where}: {path} names {ref.kind.value} {ref.value!r}, {why}{hint}; {effect}",
        rule=_collection(path),
        evidence=(ItemEvidence(external_id=renamed[0]) if renamed else ItemEvidence(closest=close) if close else
                  ItemEvidence(differences=look_alike_differences(ref.value, alike)) if alike else NO_EVIDENCE),
        resolution=(f"# name one of {', '.join(shared)} by its {by} at {where}\n" if len(shared) > 1 else
                    f"# name IdP user {renamed[0]} by its IdP id at {where} (or remove the entry)\n" if renamed else
                    f"# {alike!r} looks like {ref.value!r} and differs: never copy one into the place of the "
                    f"other; rename the one misspelt ({EXPORT_OF[ref.kind]}, then export again), or remove the "
                    f"entry at {where}\n" if alike is not None else
                    f"# correct or remove the entry at {where}" + (f": {close}" if close else "") + "\n"),
    )


def _collection(path: str) -> str:
    """The collection a dotted entry key is in, the rule of its items: ``scope.groups[2]`` -> ``scope``,
    ``account_types.group_map.Sigma-Admins`` -> ``account_types.group_map``."""
    return path.split("[")[0].rsplit(".", 1)[0] if "[" in path else path.rsplit(".", 1)[0]


def map_team_missing(ref: PolicyRef, policy: Policy, directory: Directory) -> ReviewItem | None:
    """The blocking ``teams.map_team_missing`` item (:func:`planner.rules.teams.map_team_missing_item`) of a
    ``teams.map`` key naming no team when the team is known to have existed rather than misspelt: Sigma's SCIM
    state lists it, a run of a plan given to ``plan --applied`` linked or created it, or no team's name is close to it (neither :func:`closest_name` nor a look-alike); ``None``
    for another reference, or a near-miss spelling (a typo: :func:`unknown_reference_item`, did you mean ...)
    (tester8 finding 4: a deleted team read as a typo)."""
    if ref.kind is not RefKind.TEAM or ref.loc[:2] != ("teams", "map"):
        return None
    names = known_names(ref.kind, directory)
    near = look_alike(ref.value, names) or closest_name(ref.value, names)
    if near is not None and ref.value not in directory.scim.groups_without_team \
            and ref.value not in directory.applied_teams:
        return None
    return teams.map_team_missing_item(ref.value, policy.teams.map[ref.value], policy.location(*ref.loc), directory,
                                       near, policy.preflight.previous_scim)


def unresolved(policy: Policy, directory: Directory) -> list[PolicyRef]:
    """The references of ``policy`` naming nothing in ``directory`` (:func:`policy_references`, :func:`resolves`),
    in section order."""
    return [ref for ref in policy_references(policy) if not resolves(ref, directory)]


def unknown_references(policy: Policy, directory: Directory, refs: Iterable[PolicyRef] | None = None
                       ) -> list[ReviewItem]:
    """One blocking item per reference of ``policy`` naming nothing in ``directory`` (``refs``, :func:`unresolved`
    when not given), in section order: ``policy.unknown_reference``, or for a ``teams.map`` key naming a team
    known to be gone, ``teams.map_team_missing`` (:func:`map_team_missing`)."""
    return [map_team_missing(ref, policy, directory) or unknown_reference_item(ref, policy, directory)
            for ref in (unresolved(policy, directory) if refs is None else refs)]


SHARED_NAME = "policy.shared_group_name"
"""The code of the blocking item of a policy entry naming several IdP groups by one displayName
(:func:`shared_group_name_item`)."""

HOLDING_SECTIONS = {("account_types", "group_map"): "account type", ("scope", "groups"): "scope"}
"""The policy collections whose groups decide their people (``(section, key)`` -> what they decide): an entry naming
a shared displayName holds its groups' people (:func:`shared_group_name_item`)."""


def shared_group_names(policy: Policy, directory: Directory) -> list[tuple[PolicyRef, tuple[str, ...]]]:
    """``(reference, the ids of the IdP groups it names)`` for each reference of ``policy`` naming IdP groups by an
    exact displayName (no ``re:``) that more than one group of the export carries
    (:meth:`~planner.directory.Directory.group_ids_matching`), in section order. A ``teams.map`` value is left out:
    two groups it names claim one team, :func:`planner.rules.teams.conflict_item`."""
    out = []
    for ref in policy_references(policy):
        if ref.kind is RefKind.GROUP and not ref.value.startswith(REGEX_PREFIX) and ref.loc[:2] != ("teams", "map"):
            ids = directory.group_ids_matching(ref.value)
            if len(ids) > 1:
                out.append((ref, ids))
    return out


def shared_group_name_item(ref: PolicyRef, group_ids: tuple[str, ...], policy: Policy, directory: Directory
                           ) -> ReviewItem:
    """The blocking ``policy.shared_group_name`` item of ``ref``, an entry naming the IdP groups ``group_ids`` (two or
    more, export order) by one exact displayName: where it is (``file:line:column``, dotted key), each group's id and
    member count (candidates ``groupId``, ``members``: its members as the rules count them, nested flattened under
    ``teams.flatten_nested``). A policy names a group by its displayName alone (docs/policy.md), so it cannot say which
    is meant, and the IdP assigns each on its own. An entry of :data:`HOLDING_SECTIONS` holds the people of every such
    group (subject ``idpIds``, sorted; :func:`planner.planning.hold_questioned`): neither linked, created, given an
    account type nor deactivated until it is settled. Settled outside the policy by renaming one group in the IdP
    (export and plan again), or in it by a ``re:`` pattern of the name when every group of it is meant (a pattern
    names a set). Its id is ``policy.shared_group_name:<dotted key>``."""
    where = policy.location(*ref.loc)
    path = dotted(ref.loc)
    groups = [directory.groups[gid] for gid in group_ids]
    listed = "; ".join(f"{g.group_id}, {len(g.member_ids)} member(s)" for g in groups)
    decides = HOLDING_SECTIONS.get((str(ref.loc[0]), str(ref.loc[1])))
    held = sorted({i for g in groups for i in g.member_ids if i in directory.idp_users}) if decides else []
    effect = (f"the {len(held)} people in them, whose {decides} it decides, are held: neither linked, created, "
              "given an account type nor deactivated until it is settled" if decides else
              "the plan cannot say which group it confirms")
    pattern = REGEX_PREFIX + re.escape(ref.value).replace("\\ ", " ")  # a space needs no escape outside re.VERBOSE
    return make_review(
        SHARED_NAME, path, blocking=True,
        subject=ItemRef(policy_key=path, kind=RefKind.GROUP.value, name=ref.value, group_ids=list(group_ids),
                        **({"idp_ids": held} if held else {})),
        message=(f"{where}: {path} names IdP group {ref.value!r}, the displayName of {len(groups)} IdP groups "
                 f"({listed}): a policy names a group by its displayName alone, so the entry cannot say which one; "
                 f"{effect}"),
        rule=_collection(path),
        candidates=[ItemRef(group_id=g.group_id, group_display_name=g.display_name, members=len(g.member_ids))
                    for g in groups],
        resolution=(f"# rename all but one of the IdP groups named {ref.value!r} ({', '.join(group_ids)}) in the IdP, "
                    f"export again and plan again; only if every group of that name is meant, write the entry at "
                    f"{where} as the pattern {pattern!r}, which names them all\n"),
    )


def shared_group_name_items(policy: Policy, directory: Directory) -> list[ReviewItem]:
    """One blocking ``policy.shared_group_name`` item per entry of ``policy`` naming several IdP groups by one
    displayName (:func:`shared_group_names`, :func:`shared_group_name_item`), in section order."""
    return [shared_group_name_item(ref, ids, policy, directory) for ref, ids in shared_group_names(policy, directory)]
