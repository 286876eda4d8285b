"""``sigma-migrate policy test``: small literal organizations with the decisions a policy must make.

A fixture is one YAML file (docs/policy.md "Policy tests")::

    name: a guest is disabled, an admin linked
    sigma:
      members:                       # memberId, email required; the rest as Sigma spells it
        - {memberId: m1, email: root@example.com, memberType: Admin}
        - {memberId: m2, email: guest@partner.example, userKind: guest}
      teams:
        - {teamId: t1, name: Finance, members: [m1]}
      account_types: [Admin, View]   # optional: the names the organization has
    idp:
      users:                         # id, userName required
        - {id: u1, userName: root@example.com, givenName: Root, familyName: Admin}
      groups:
        - {id: g1, name: Sigma-Admins, users: [u1]}
    expect:                          # at least one key; each one given is compared exactly
      actions: [scim.link_user:m1, members.disable_guest:m2]
      review_items: []
      account_types: {root@example.com: Admin}
      approvable: false

The fixture becomes the same typed snapshot the loaders build (:mod:`planner.model`), is planned
with the real planner (:func:`planner.planning.build_plan`) and the plan's decisions are compared
with ``expect``: action ids and review item ids as sets, account types by person (email or
IdP userName), ``approvable`` = no blocking item, no unmet pre-flight check, no failed guard.

A fixture that does not fit this schema is a :class:`FixtureError` (``file:line:column``), never a
failed or passed test; so is one whose ids do not hold together (:func:`check_references`): every
memberId, teamId, IdP user id and group id once, and every id a team or group lists is one of the
fixture's members, users or groups.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .errors import UserError
from .model import (
    AccountType, Email, IdpDirectory, IdpGroup, IdpUser, InputFile, Plan, SigmaExport, SigmaMember, SigmaTeam,
    Snapshot, TeamMembership, email_key,
)
from .policy import Policy
from .yaml_schema import model_keys, read_marked, schema_problems


class FixtureError(UserError):
    """A fixture file that cannot be read or does not fit the schema (one line); exit status 2."""

    exit_code = 2


class _Strict(BaseModel):
    # strict (no coercion), as the loaders read an export: `active: "false"` is no boolean (docs/formats.md
    # §0.6, unreadable-status), `memberId: 007` no string (YAML 1.1 reads it as 7)
    model_config = ConfigDict(extra="forbid", populate_by_name=True, strict=True)


class FixtureMember(_Strict):
    member_id: str = Field(alias="memberId")
    email: str
    first_name: str = Field("", alias="firstName")
    last_name: str = Field("", alias="lastName")
    member_type: str = Field("View", alias="memberType")
    user_kind: Literal["internal", "guest", "embed"] = Field("internal", alias="userKind")
    is_archived: bool = Field(False, alias="isArchived")
    is_inactive: bool = Field(False, alias="isInactive")


class FixtureTeam(_Strict):
    team_id: str = Field(alias="teamId")
    name: str
    members: list[str] = Field(default_factory=list)
    is_archived: bool = Field(False, alias="isArchived")


class FixtureSigma(_Strict):
    members: list[FixtureMember] = Field(default_factory=list)
    teams: list[FixtureTeam] = Field(default_factory=list)
    account_types: list[str] | None = None


class FixtureUser(_Strict):
    id: str
    user_name: str = Field(alias="userName")
    emails: list[str] = Field(default_factory=list)
    given_name: str | None = Field(None, alias="givenName")
    family_name: str | None = Field(None, alias="familyName")
    active: bool = True
    status: str | None = None
    user_type: str | None = Field(None, alias="userType")
    attributes: dict[str, str] = Field(default_factory=dict)


class FixtureGroup(_Strict):
    id: str
    name: str
    users: list[str] = Field(default_factory=list)
    groups: list[str] = Field(default_factory=list)


class FixtureIdp(_Strict):
    users: list[FixtureUser] = Field(default_factory=list)
    groups: list[FixtureGroup] = Field(default_factory=list)


class Expectation(_Strict):
    """What a fixture asserts: each key given is compared exactly; at least one must be given (an
    ``expect: {}`` asserts nothing and would pass whatever the policy decides: tester8 finding 18).
    ``actions: []`` / ``review_items: []`` are assertions (none at all)."""

    actions: list[str] | None = None
    review_items: list[str] | None = None
    account_types: dict[str, str | None] | None = None
    approvable: bool | None = None

    @model_validator(mode="after")
    def _asserts_something(self) -> "Expectation":
        if not self.model_fields_set:
            raise ValueError("expect asserts nothing, so the fixture would pass whatever the policy decides: "
                             "give at least one of actions, review_items, account_types, approvable")
        return self


class Fixture(_Strict):
    """One fixture file (module docstring)."""

    name: str
    description: str = ""
    sigma: FixtureSigma = Field(default_factory=FixtureSigma)
    idp: FixtureIdp = Field(default_factory=FixtureIdp)
    expect: Expectation


@dataclass(frozen=True)
class FixtureResult:
    """The outcome of one fixture: ``passed`` and, when not, one line per difference."""

    path: str
    name: str
    passed: bool
    differences: tuple[str, ...] = ()


def load_fixture(path: str | Path) -> Fixture:
    """Read and validate a fixture file. Raises :class:`FixtureError` naming file, line and column."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise FixtureError(f"{path}: cannot read fixture: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        read = read_marked(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise FixtureError(f"{where}: not valid YAML: {' '.join(str(exc.problem or exc).split())}") from None
    except yaml.YAMLError as exc:
        raise FixtureError(f"{path}:1:1: not valid YAML: {' '.join(str(exc).split())[:300]}") from None
    if not isinstance(read.data, dict):
        raise FixtureError(f"{path}:1:1: a fixture is a YAML mapping with name, sigma, idp and expect")
    try:
        fixture = Fixture.model_validate(read.data)
    except ValidationError as exc:  # the first problem in file order, read as the policy is (planner.yaml_schema)
        first = schema_problems(exc, read.marks, read.spellings, lambda loc: model_keys(Fixture, loc))[0]
        raise FixtureError(f"{path}:{first.line}:{first.column}: {first.path}: {first.message}") from None
    problem = check_references(fixture)
    if problem:
        loc, message = problem
        line, col = _position(read.node, loc, key=False)
        raise FixtureError(f"{path}:{line}:{col}: {message}")
    return fixture


def check_references(fixture: Fixture) -> tuple[tuple, str] | None:
    """The first id problem of ``fixture`` as (its location in the YAML, message), else ``None``.

    In file order: a memberId, teamId, IdP user id or group id given twice (``memberId 'm1'
    appears twice (first at sigma.members[0])``); a team member that is no fixture member (``'m9'
    is not a member``), a group's user that is no fixture user (``'u9' is not a user``), a nested
    group that is no fixture group (``'g9' is not a group``). The loaders refuse the same
    (``sigma-migrate check``); a fixture says where.
    """
    s, i = fixture.sigma, fixture.idp
    keyed = (("memberId", ("sigma", "members"), [m.member_id for m in s.members]),
             ("teamId", ("sigma", "teams"), [t.team_id for t in s.teams]),
             ("id", ("idp", "users"), [u.id for u in i.users]),
             ("id", ("idp", "groups"), [g.id for g in i.groups]))
    for key, where, ids in keyed:
        first: dict[str, int] = {}
        for n, x in enumerate(ids):
            if x in first:
                return ((*where, n, key), f"{key} {x!r} appears twice (first at {'.'.join(where)}[{first[x]}])")
            first[x] = n
    members, users, groups = set(keyed[0][2]), set(keyed[2][2]), set(keyed[3][2])
    lists = ([(("sigma", "teams", n, "members"), t.members, members, "member") for n, t in enumerate(s.teams)]
             + [(("idp", "groups", n, "users"), g.users, users, "user") for n, g in enumerate(i.groups)]
             + [(("idp", "groups", n, "groups"), g.groups, groups, "group") for n, g in enumerate(i.groups)])
    for where, ids, known, what in lists:
        for n, x in enumerate(ids):
            if x not in known:
                return (*where, n), f"{x!r} is not a {what}"
    return None


def _position(node, loc, *, key: bool = True) -> tuple[int, int]:
    """1-based line/column of the deepest YAML node on ``loc`` (an unknown key, or with ``key`` a
    scalar's key: the key itself; else the value)."""
    best = node
    for part in loc:
        if isinstance(best, yaml.MappingNode):
            pairs = [(k, v) for k, v in best.value if isinstance(k, yaml.ScalarNode) and k.value == str(part)]
            if not pairs:
                break
            found, value = pairs[0]
            best = (found if key and part == loc[-1] and not isinstance(value, (yaml.MappingNode, yaml.SequenceNode))
                    else value)
        elif isinstance(best, yaml.SequenceNode) and isinstance(part, int) and part < len(best.value):
            best = best.value[part]
        else:
            break
    return best.start_mark.line + 1, best.start_mark.column + 1


def fixture_snapshot(fixture: Fixture, path: str, sha256: str) -> Snapshot:
    """The typed :class:`~planner.model.Snapshot` a fixture describes (as the loaders would build it)."""
    s, i = fixture.sigma, fixture.idp
    members = tuple(
        SigmaMember(
            member_id=m.member_id, email=m.email, email_key=email_key(m.email), first_name=m.first_name,
            last_name=m.last_name, member_type=m.member_type, user_kind=m.user_kind, is_archived=m.is_archived,
            is_inactive=m.is_inactive, organization_id="fixture",
            raw={"memberId": m.member_id, "email": m.email, "memberType": m.member_type},
        )
        for m in s.members
    )
    teams = tuple(SigmaTeam(team_id=t.team_id, name=t.name, is_archived=t.is_archived) for t in s.teams)
    memberships = tuple(TeamMembership(team_id=t.team_id, member_id=mid) for t in s.teams for mid in t.members)
    types = None if s.account_types is None else tuple(
        AccountType(account_type_id=f"at-{n}", name=n) for n in s.account_types)
    users = tuple(
        IdpUser(
            id=u.id, user_name=u.user_name, user_name_key=email_key(u.user_name),
            emails=tuple(Email(a, email_key(a), primary=(n == 0)) for n, a in enumerate(u.emails or [u.user_name])),
            given_name=u.given_name, family_name=u.family_name,
            display_name=" ".join(p for p in (u.given_name, u.family_name) if p) or None,
            active=u.active, status=u.status or ("ACTIVE" if u.active else "DEPROVISIONED"),
            user_type=u.user_type, attributes=dict(u.attributes),
        )
        for u in i.users
    )
    groups = tuple(IdpGroup(id=g.id, display_name=g.name, member_user_ids=tuple(g.users),
                            member_group_ids=tuple(g.groups)) for g in i.groups)
    return Snapshot(
        sigma=SigmaExport(members=members, teams=teams, team_memberships=memberships, account_types=types,
                          inputs=(InputFile(path, sha256, "fixture.sigma", len(members)),),
                          scim_users=(), scim_groups=()),  # a literal organization: nothing SCIM provisioned
        idp=IdpDirectory(users=users, groups=groups, format="fixture",
                         inputs=(InputFile(path, sha256, "fixture.idp", len(users)),)),
    )


def compare(plan: Plan, expect: Expectation) -> list[str]:
    """One line per difference between a plan's decisions and ``expect`` (``[]``: it passes)."""
    out: list[str] = []

    def sets(what: str, got: set[str], wanted: list[str] | None) -> None:
        if wanted is None:
            return
        out.extend(f"missing {what} {x}" for x in sorted(set(wanted) - got))
        out.extend(f"unexpected {what} {x}" for x in sorted(got - set(wanted)))

    sets("action", {a.id for a in plan.actions}, expect.actions)
    sets("review item", {r.id for r in plan.review_items}, expect.review_items)
    if expect.account_types is not None:
        by_person: dict[str, str | None] = {}
        for p in plan.people:
            for address in (p.email, p.user_name):
                if address:
                    by_person.setdefault(email_key(address), p.account_type_after)
        for who, wanted in sorted(expect.account_types.items()):
            key = email_key(who)
            if key not in by_person:
                out.append(f"account type of {who}: no such person in the plan")
            elif by_person[key] != wanted:
                out.append(f"account type of {who}: expected {wanted!r}, got {by_person[key]!r}")
    if expect.approvable is not None:
        reasons = ([r.id for r in plan.blocking_items] + [f"preflight {c.id}" for c in plan.unmet_preflight]
                   + [f"guard {g.name}" for g in plan.summary.failed_guards])
        if expect.approvable and reasons:
            out.append("expected approvable, blocked by " + ", ".join(reasons))
        elif not expect.approvable and not reasons:
            out.append("expected not approvable, but nothing blocks approval")
    return out


def run_fixture(policy: Policy, path: str | Path) -> FixtureResult:
    """Plan one fixture under ``policy`` and compare. Raises :class:`FixtureError` for a bad fixture
    and :class:`~planner.policy.PolicyError` when the fixture's data contradicts the policy."""
    from .planning import build_plan

    path = Path(path)
    fixture = load_fixture(path)
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    plan = build_plan(fixture_snapshot(fixture, str(path), sha), policy, created_at="1970-01-01T00:00:00Z")
    differences = compare(plan, fixture.expect)
    return FixtureResult(str(path), fixture.name, not differences, tuple(differences))


def fixture_paths(arguments: tuple[str, ...] | list[str]) -> list[Path]:
    """Files as given; a directory gives its ``*.yaml`` / ``*.yml`` files, sorted. Raises
    :class:`FixtureError` for a path that does not exist or a directory without fixtures."""
    out: list[Path] = []
    for arg in arguments:
        path = Path(arg)
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
            if not found:
                raise FixtureError(f"{path}: no *.yaml fixture in this directory")
            out += found
        elif path.is_file():
            out.append(path)
        else:
            raise FixtureError(f"{path}: no such fixture file or directory")
    return out
