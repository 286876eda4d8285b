"""Generate a synthetic Sigma organization and its IdP directory, at any scale.

Usage::

    python bench/generate.py --out DIR --members N [--idp-users M] [--groups G]
        [--memberships K] [--seed S] [--idp-format scim|entra|okta]

writes::

    DIR/sigma/                    the Sigma export exactly as ``sigma-migrate fetch --no-scim-state``
                                  writes it (planner.fetch.export_files): members.json and teams.json
                                  {"entries": [every one], "nextPage": null}, team_members.json
                                  {teamId: {"entries": [{userId, isTeamAdmin, addedBy}], "nextPage":
                                  null, "total": n}}, account_types.json {"entries": [...]} and
                                  fetch-manifest.json {"scimState": "left_out"}
    DIR/idp/...                   the IdP side in the chosen format (docs/formats.md):
        scim  (default) Users.json + Groups.json, RFC 7644 ListResponse, group members
              by id (``type`` User / Group); compact at 500k memberships
        entra users.csv ("Download users"), groups.csv ("Download groups") and
              group_members/<group name>.csv ("Download members", one per group)
        okta  as ``sigma-migrate fetch-idp okta`` writes it: users.json, groups.json (with
              ``_embedded.stats.usersCount``), group_members.json ``{groupId: [User, ...]}`` and
              fetch-idp-manifest.json; repeats whole user objects per membership (~1 KB each):
              fine at 10k, about 500 MB at 500k memberships; Okta has no nested groups, and a
              guest's login is their own address (no Entra ``#EXT#`` name)
    DIR/policy.yaml               a policy for ``sigma-migrate plan`` fitting the groups;
                                  the dirt shows up as review items
    DIR/policy-settled.yaml       the same with every review decision taken (no blocking
                                  item: the plan can be applied)
    DIR/manifest.json             parameters, counts and examples of every planted dirt

Shape of the organization (``--members N`` counts Sigma members incl. the
scheduler robot; ``--memberships K`` counts IdP user->group edges):

- account-type groups ``sigma-admin``, ``sigma-build``, ``sigma-analyze``,
  ``sigma-act``, ``sigma-view`` hold every active IdP user once (1 % hold two, which
  the policy's precedence decides); 85 % of linked people keep their Sigma type;
- the other ``G - 5`` groups are team groups whose sizes follow a Pareto law; 80 %
  of them have a Sigma team of the same name (10 % of those differ in letter case),
  and 5 % more Sigma teams have no group (they become unmanaged). Linked teams hold
  the group's people minus 5 %, plus 2 % pre-SCIM leftovers;
- 3 % of team groups nest one or two later groups (acyclic).

Dirt planted, rates per Sigma person (see ``RATES``): letter-case differences
between Sigma email and IdP userName, the alias domain ``oldcorp.example`` (half
of them also carry the old address as a second IdP email), duplicate Sigma
members (same address in another case), plus-addressed second accounts, guests
(half with an Entra-style ``#EXT#`` IdP guest), archived and inactive members,
leavers (no IdP user, or an inactive one), lower-case ``memberType`` spellings,
and new hires (IdP users with no Sigma member: ``M`` minus the linked ones).

Same arguments and seed give byte-identical files (one ``random.Random(seed)``;
no set or hash ordering reaches the output).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import shutil
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's planner, not an installed one

from planner.fetch import export_files, export_text  # noqa: E402  (the writer of every fetch)
from planner.model import SCIM_STATE_LEFT_OUT  # noqa: E402

GENERATED_AT = "2026-01-01T00:00:00Z"
"""The ``fetchedAt`` of a generated Sigma export's manifest: fixed, so one seed gives the same bytes (the SCIM and
Entra CSV IdP exports carry no fetch manifest, so no export age is judged; the Okta one's is read at this same
time, as if both were pulled together)."""

DOMAIN = "example.com"
ALIAS_DOMAIN = "oldcorp.example"
PARTNER_DOMAINS = ("partner.example", "agency.example", "contractor.example")
TENANT_DOMAIN = "example.onmicrosoft.com"
ORGANIZATION_ID = "0f3c2a9e-1b2d-4c5e-8f70-00000000b0b0"
ROBOT = {"memberId": "SigmaSchedulerRobot", "email": "scheduler-robot@sigmacomputing.com"}

#: account type name -> (IdP group displayName, share of people)
ACCOUNT_TYPES: dict[str, tuple[str, float]] = {
    "Admin": ("sigma-admin", 0.01),
    "Build": ("sigma-build", 0.15),
    "Analyze": ("sigma-analyze", 0.20),
    "Act": ("sigma-act", 0.20),
    "View": ("sigma-view", 0.44),
}
PRECEDENCE = ("Admin", "Build", "Analyze", "Act", "View")

#: share of Sigma people carrying each kind of dirt
RATES = {
    "guest": 0.015,
    "guest_in_idp": 0.5,  # of guests
    "archived": 0.02,
    "inactive": 0.005,
    "leaver": 0.04,  # of active internal people: gone from the IdP or inactive there
    "leaver_absent": 0.5,  # of leavers (and archived/inactive): no IdP user at all
    "alias_domain": 0.03,
    "alias_second_email": 0.5,  # of alias-domain people
    "case_difference": 0.10,
    "duplicate": 0.002,
    "plus_address": 0.001,
    "member_type_lowercase": 0.01,
    "account_type_kept": 0.85,
    "two_account_type_groups": 0.01,
    "team_for_group": 0.80,
    "team_name_case": 0.10,
    "unmanaged_team": 0.05,
    "team_member_dropped": 0.05,
    "team_leftover": 0.02,
    "team_admin": 0.05,
    "nested_group": 0.03,
}

FIRST = (
    "Ana Ben Chloe Dan Eva Farid Grace Hugo Ines Jonas Kira Liam Mona Nils Olga Pablo Quinn "
    "Rosa Sami Tara Umar Vera Wen Xavi Yara Zoe Amir Bea Carl Dora Emil Fay Gus Hana Ivan Jill "
    "Kofi Lena Marc Nora Otto Pia Raj Sara Tom Uma Vic Will Yuki Zack"
).split()
LAST = (
    "Lopez Okafor Martin Reyes Kim Nguyen Smith Garcia Muller Rossi Silva Novak Haddad Sato "
    "Jensen Dubois Kowalski Ivanova Moreau Costa Brown Tanaka Ali Berg Fischer Romero Khan "
    "Weber Olsen Patel Laine Horvat Mensah Byrne Quist Varga Ortiz Shah Lund Pereira"
).split()
DEPARTMENTS = (
    "Finance Sales Marketing Engineering Operations Support Legal People Product Data "
    "Security Procurement Logistics Research Design Analytics Strategy Risk Audit Treasury"
).split()
TEAM_WORDS = (
    "Analysts Leads EMEA APAC Americas Reporting Planning Insights Ops Core Platform Growth "
    "Partners Forecasting Admins Viewers Builders Pipeline Quality Enablement"
).split()
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

SCIM_LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
SCIM_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
SCIM_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"


@dataclass
class Person:
    """One human, seen from Sigma and/or the IdP (internal to the generator)."""

    index: int
    first: str
    last: str
    local: str  # canonical local part, lower case
    domain: str = DOMAIN
    kind: str = "internal"  # userKind
    sigma: bool = True
    status: str = "active"  # Sigma: active | archived | inactive
    member_type: str = "View"
    idp: bool = True
    idp_active: bool = True
    idp_type: str = "View"  # account type the IdP groups grant
    idp_second_type: str | None = None
    sigma_email: str = ""
    user_name: str = ""
    idp_emails: list[str] = field(default_factory=list)
    member_id: str = ""
    idp_id: str = ""
    external_id: str = ""
    tags: list[str] = field(default_factory=list)

    @property
    def email(self) -> str:
        return f"{self.local}@{self.domain}"


class Generator:
    """Build the whole organization in memory from one seeded random source."""

    def __init__(self, members: int, idp_users: int, groups: int, memberships: int, seed: int,
                 duplicates: bool = True):
        if members < 2:
            raise SystemExit("generate: --members must be at least 2 (the scheduler robot + one person)")
        if groups < len(ACCOUNT_TYPES) + 1:
            raise SystemExit(f"generate: --groups must be at least {len(ACCOUNT_TYPES) + 1}")
        self.n_members = members
        self.n_idp_users = idp_users
        self.n_groups = groups
        self.n_memberships = memberships
        self.seed = seed
        self.duplicates = duplicates
        self.rng = random.Random(seed)
        self._locals: dict[str, int] = {}
        self._stamps = [self._stamp(i) for i in range(997)]
        self.people: list[Person] = []
        self.extra_members: list[tuple[Person, str, str]] = []  # (person, email, memberId)
        self.manifest: dict[str, Any] = {}

    # ------------------------------------------------------------------ ids and values

    def _stamp(self, i: int) -> str:
        day = 1 + (i * 7) % 28
        month = 1 + (i * 5) % 12
        year = 2021 + i % 5
        return f"{year}-{month:02d}-{day:02d}T{i % 24:02d}:{(i * 13) % 60:02d}:{(i * 31) % 60:02d}.{i % 1000:03d}Z"

    def stamp(self) -> str:
        return self._stamps[self.rng.randrange(len(self._stamps))]

    def member_id(self) -> str:
        return "".join(self.rng.choices(ALNUM, k=29))

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def okta_id(self, prefix: str) -> str:
        return prefix + "".join(self.rng.choices(ALNUM, k=17))

    def new_person(self) -> Person:
        rng = self.rng
        first, last = rng.choice(FIRST), rng.choice(LAST)
        base = f"{first}.{last}".lower()
        n = self._locals.get(base, 0)
        self._locals[base] = n + 1
        local = base if n == 0 else f"{base}{n + 1}"
        p = Person(len(self.people), first, last, local)
        self.people.append(p)
        return p

    def account_type(self) -> str:
        r = self.rng.random()
        acc = 0.0
        for name, (_, share) in ACCOUNT_TYPES.items():
            acc += share
            if r < acc:
                return name
        return "View"

    # ------------------------------------------------------------------ population

    def build_people(self) -> None:
        """Sigma people with their dirt, then new hires; dirt goes by quota, so even a
        small organization (a few hundred members) carries at least one of each kind."""
        rng, R = self.rng, RATES
        people_in_sigma = self.n_members - 1  # minus the scheduler robot
        n_dup = _quota(people_in_sigma, R["duplicate"]) if self.duplicates else 0
        n_plus = _quota(people_in_sigma, R["plus_address"])
        n_base = max(1, people_in_sigma - n_dup - n_plus)
        base = []
        for _ in range(n_base):
            p = self.new_person()
            p.member_id = self.member_id()
            p.member_type = self.account_type()
            p.user_name = p.sigma_email = p.email
            p.idp_emails = [p.email]
            base.append(p)
        # the first person is the clean admin the policy names as provisioning owner
        base[0].member_type = "Admin"
        order = base[1:]
        rng.shuffle(order)
        cursor = 0

        def take(rate: float) -> list[Person]:
            nonlocal cursor
            chunk = order[cursor:cursor + _quota(len(base), rate)]
            cursor += len(chunk)
            return chunk

        guests, archived, inactive = take(R["guest"]), take(R["archived"]), take(R["inactive"])
        leavers, aliased, cased = take(R["leaver"]), take(R["alias_domain"]), take(R["case_difference"])
        for i, p in enumerate(guests):
            p.kind, p.domain, p.member_type = "guest", rng.choice(PARTNER_DOMAINS), "View"
            p.sigma_email = p.email
            p.idp_emails = [p.email]
            # an Entra B2B guest: UPN carries #EXT#, the real address is the mail
            p.user_name = f"{p.local}_{p.domain}#EXT#@{TENANT_DOMAIN}"
            p.idp = i < len(guests) * R["guest_in_idp"]
            p.tags += ["guest", "guest_in_idp"] if p.idp else ["guest"]
        for status, ps in (("archived", archived), ("inactive", inactive)):
            for p in ps:
                p.status = status
                p.tags.append(status)
        for ps in (archived, inactive, leavers):
            for i, p in enumerate(ps):
                p.idp = i >= len(ps) * R["leaver_absent"]
                p.idp_active = False
                p.tags += ["leaver", "leaver_inactive_in_idp" if p.idp else "leaver_absent"]
        for i, p in enumerate(aliased):
            p.sigma_email = f"{p.local}@{ALIAS_DOMAIN}"
            p.tags.append("alias_domain")
            if i < len(aliased) * R["alias_second_email"]:
                p.idp_emails.append(p.sigma_email)
                p.tags.append("alias_second_email")
        for p in cased:
            p.sigma_email = _mixed_case(p.local, p.domain)
            p.tags.append("case_difference")
        for p in rng.sample(base[1:], min(len(base) - 1, _quota(len(base), R["member_type_lowercase"]))):
            p.member_type = p.member_type.lower()
            p.tags.append("member_type_lowercase")
        for p in base:
            if not p.idp:
                continue
            if p.kind == "guest":
                p.idp_type = "View"
            elif p is base[0] or rng.random() < R["account_type_kept"]:
                p.idp_type = p.member_type.capitalize()
            else:
                p.idp_type = self.account_type()
            if p is not base[0] and rng.random() < R["two_account_type_groups"]:
                p.idp_second_type = rng.choice(PRECEDENCE)
        self.admin = base[0]
        clean = [p for p in base[1:] if not p.tags]
        for p in rng.sample(clean, min(n_dup, len(clean))):
            email = p.sigma_email.upper() if p.sigma_email == p.sigma_email.lower() else p.sigma_email.lower()
            self.extra_members.append((p, email, self.member_id()))
            p.tags.append("duplicate")
        for p in rng.sample(clean, min(n_plus, len(clean))):
            local, domain = p.sigma_email.split("@")
            self.extra_members.append((p, f"{local}+bi@{domain}", self.member_id()))
            p.tags.append("plus_address")
        linked = sum(1 for p in self.people if p.idp)
        for _ in range(max(0, self.n_idp_users - linked)):
            p = self.new_person()
            p.sigma = False
            p.member_type = ""
            p.user_name = p.email
            p.idp_emails = [p.email]
            p.idp_type = self.account_type()
            p.tags.append("new_hire")
        for p in self.people:
            if p.idp:
                p.idp_id = self.uuid()
                p.external_id = self.okta_id("00u")

    # ------------------------------------------------------------------ groups and teams

    def build_groups(self) -> None:
        rng, R = self.rng, RATES
        idp_people = [p for p in self.people if p.idp]
        active = [p for p in idp_people if p.idp_active]
        self.groups: list[dict[str, Any]] = []
        type_groups: dict[str, dict[str, Any]] = {}
        for name, (group_name, _) in ACCOUNT_TYPES.items():
            g = {"id": self.uuid(), "name": group_name, "users": [], "groups": [], "team": None}
            type_groups[name] = g
            self.groups.append(g)
        for p in active:
            type_groups[p.idp_type]["users"].append(p)
            if p.idp_second_type and p.idp_second_type != p.idp_type:
                type_groups[p.idp_second_type]["users"].append(p)
        at_edges = sum(len(g["users"]) for g in self.groups)
        n_team_groups = self.n_groups - len(ACCOUNT_TYPES)
        remaining = max(n_team_groups, self.n_memberships - at_edges)
        weights = [rng.paretovariate(1.3) for _ in range(n_team_groups)]
        total_w = sum(weights)
        names: set[str] = set()
        team_groups = []
        for w in weights:
            while True:
                name = f"{rng.choice(DEPARTMENTS)} {rng.choice(TEAM_WORDS)} {rng.randrange(1, 10 * n_team_groups + 10)}"
                if name.casefold() not in names:
                    names.add(name.casefold())
                    break
            size = max(1, min(len(active), round(remaining * w / total_w)))
            members = rng.sample(active, size) if active else []
            g = {"id": self.uuid(), "name": name, "users": members, "groups": [], "team": None}
            team_groups.append(g)
        n_nested = min(len(team_groups) - 1, _quota(len(team_groups), R["nested_group"], floor_from=3))
        for i in sorted(rng.sample(range(len(team_groups) - 1), max(0, n_nested))):
            # children come later in the list: nesting stays acyclic
            for child in rng.sample(team_groups[i + 1 :], min(rng.choice((1, 2)), len(team_groups) - i - 1)):
                team_groups[i]["groups"].append(child)
        self.groups.extend(team_groups)
        self.team_groups = team_groups

        # Sigma teams: most team groups have a team of the same name
        sigma_people = [p for p in self.people if p.sigma and p.status == "active"]
        self.teams: list[dict[str, Any]] = []
        creator = ROBOT["memberId"]
        admins = [p for p in self.people if p.sigma and p.member_type.lower() == "admin" and p.status == "active"]
        if admins:
            creator = admins[0].member_id
        for g in team_groups:
            if rng.random() >= R["team_for_group"]:
                continue
            name = g["name"]
            if rng.random() < R["team_name_case"]:
                name = name.upper() if rng.random() < 0.5 else name.lower()
            members = [p for p in g["users"] if p.sigma and p.status == "active" and rng.random() >= R["team_member_dropped"]]
            n_left = round(len(g["users"]) * R["team_leftover"])
            if n_left and sigma_people:
                have = {p.index for p in members}
                members += [p for p in rng.sample(sigma_people, min(n_left, len(sigma_people))) if p.index not in have]
            team = self._team(name, creator, members)
            g["team"] = team
            self.teams.append(team)
        avg = max(1, round(sum(len(g["users"]) for g in team_groups) / max(1, len(team_groups))))
        for _ in range(_quota(len(team_groups), R["unmanaged_team"], floor_from=3)):
            name = f"Legacy {rng.choice(DEPARTMENTS)} {rng.randrange(1, 100000)}"
            members = rng.sample(sigma_people, min(avg, len(sigma_people))) if sigma_people else []
            team = self._team(name, creator, members)
            team["unmanaged"] = True
            self.teams.append(team)

    def _team(self, name: str, creator: str, members: list[Person]) -> dict[str, Any]:
        rng = self.rng
        return {
            "teamId": self.uuid(),
            "name": name,
            "description": rng.choice((None, "", f"{name} team")),
            "visibility": rng.choice(("private", "public", None)),
            "createdBy": creator,
            "updatedBy": creator,
            "createdAt": self.stamp(),
            "updatedAt": self.stamp(),
            "members": [(p.member_id, rng.random() < RATES["team_admin"]) for p in members],
        }

    # ------------------------------------------------------------------ writers

    def sigma_members(self) -> list[dict[str, Any]]:
        out = [
            _member(ROBOT["memberId"], "Admin", "Scheduler", "Robot", ROBOT["email"], "internal",
                    False, False, ROBOT["memberId"], self.stamp(), self.stamp(), self.uuid())
        ]
        creator = ROBOT["memberId"]
        for p in self.people:
            if not p.sigma:
                continue
            out.append(_member(p.member_id, p.member_type, p.first, p.last, p.sigma_email, p.kind,
                               p.status == "archived", p.status == "inactive", creator,
                               self.stamp(), self.stamp(), self.uuid()))
        for p, email, member_id in self.extra_members:
            out.append(_member(member_id, p.member_type, p.first, p.last, email, "internal",
                               False, False, creator, self.stamp(), self.stamp(), self.uuid()))
        return out

    def write_sigma(self, out: Path) -> None:
        """The Sigma export as ``sigma-migrate fetch --no-scim-state`` writes it (planner.fetch.export_files,
        export_text): one page per listing, ``fetch-manifest.json`` saying ``scimState: left_out`` (the org
        has members an earlier SCIM setup made inactive: fetch without the SCIM token stops unless told;
        no SCIM state is written, so none is claimed), so every bench reads what a real fetch gives."""
        out.mkdir(parents=True, exist_ok=True)
        members = self.sigma_members()
        teams = [{k: v for k, v in t.items() if k not in ("members", "unmanaged")} for t in self.teams]
        team_members = {}
        for t in self.teams:
            entries = [{"userId": mid, "isTeamAdmin": adm, "addedBy": t["createdBy"]} for mid, adm in t["members"]]
            team_members[t["teamId"]] = {"entries": entries, "nextPage": None, "total": len(entries)}
        types = [{"accountTypeId": self.uuid(), "accountTypeName": name, "description": f"{name} account type",
                  "isCustom": False} for name in ACCOUNT_TYPES]
        files = export_files(types, members, teams, team_members, None, None, SCIM_STATE_LEFT_OUT, GENERATED_AT)
        for name, document in files.items():
            (out / name).write_text(export_text(document), encoding="utf-8")

    def write_scim(self, out: Path) -> None:
        out.mkdir(parents=True, exist_ok=True)
        users = []
        for p in self.people:
            if not p.idp:
                continue
            emails = [{"value": e, "type": "work", "primary": i == 0} for i, e in enumerate(p.idp_emails)]
            users.append({
                "schemas": [SCIM_USER],
                "id": p.idp_id,
                "externalId": p.external_id,
                "userName": p.user_name,
                "name": {"givenName": p.first, "familyName": p.last},
                "displayName": f"{p.first} {p.last}",
                "emails": emails,
                "active": p.idp_active,
                "meta": {"resourceType": "User"},
            })
        _dump(out / "Users.json", _list_response(users))
        groups = []
        for g in self.groups:
            members = [{"value": p.idp_id, "type": "User"} for p in g["users"]]
            members += [{"value": c["id"], "type": "Group"} for c in g["groups"]]
            groups.append({
                "schemas": [SCIM_GROUP],
                "id": g["id"],
                "displayName": g["name"],
                "members": members,
                "meta": {"resourceType": "Group"},
            })
        _dump(out / "Groups.json", _list_response(groups))

    def write_entra(self, out: Path) -> None:
        (out / "group_members").mkdir(parents=True, exist_ok=True)
        with open(out / "users.csv", "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(["id", "userPrincipalName", "displayName", "surname", "mail", "givenName",
                        "userType", "accountEnabled", "otherMails"])
            w.writerows(
                [p.idp_id, p.user_name, f"{p.first} {p.last}", p.last, p.idp_emails[0], p.first,
                 "Guest" if p.kind == "guest" else "Member", "True" if p.idp_active else "False",
                 ";".join(p.idp_emails[1:])]
                for p in self.people if p.idp
            )
        with open(out / "groups.csv", "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(["Object ID", "Display name", "Mail", "Group type", "Membership type"])
            w.writerows([g["id"], g["name"], "", "Security", "Assigned"] for g in self.groups)
        for g in self.groups:
            with open(out / "group_members" / f"{g['name']}.csv", "w", newline="", encoding="utf-8") as fh:
                w = csv.writer(fh)
                w.writerow(["Object ID", "User principal name", "Display name", "Member type"])
                w.writerows([p.idp_id, p.user_name, f"{p.first} {p.last}", "User"] for p in g["users"])
                w.writerows([c["id"], "", c["name"], "Group"] for c in g["groups"])

    def okta_stamp(self) -> str:
        """A time as Okta writes it: ISO 8601 UTC with ``.000Z`` (docs/formats.md §2a)."""
        return self.stamp()[:-4] + "000Z"

    def write_okta(self, out: Path) -> None:
        """The Okta export as ``sigma-migrate fetch-idp okta`` writes it (planner.idp.okta.pull and
        planner.idp.write_pull; docs/formats.md §2a-§2c): users.json, a bare array of User objects of every status
        (the pull's ``search`` lists DEPROVISIONED users too); groups.json with ``_embedded.stats.usersCount``
        (``expand=stats``, the count the loader checks each member listing against); group_members.json
        ``{groupId: [User, ...]}``; fetch-idp-manifest.json vouching for every listing (a users file of a multiple of
        200 users is no cut listing) and read at :data:`GENERATED_AT`, with the Sigma export. A guest logs in to
        Okta by their own address (Okta has no B2B ``#EXT#`` userPrincipalName: that is Entra's, docs/formats.md
        §3f, which the loader would read as a guest), and ``profile.userType`` is Okta's own classification, never
        written as ``Guest`` (the loader never reads it as one). Timestamps end in ``.000Z``; an active user has
        signed in (``lastLogin``)."""
        from planner.sources.manifest import FILE_NAME as MANIFEST_FILE, manifest_document

        out.mkdir(parents=True, exist_ok=True)
        users = {}
        for p in self.people:
            if not p.idp:
                continue
            users[p.index] = {
                "id": p.external_id,
                "status": "ACTIVE" if p.idp_active else "DEPROVISIONED",
                "created": self.okta_stamp(),
                "activated": self.okta_stamp(),
                "statusChanged": self.okta_stamp(),
                "lastLogin": self.okta_stamp() if p.idp_active else None,
                "lastUpdated": self.okta_stamp(),
                "passwordChanged": None,
                "type": {"id": "oty1162QAr8hJjTaq0g4"},
                "profile": {
                    "login": p.idp_emails[0] if p.kind == "guest" else p.user_name,
                    "email": p.idp_emails[0],
                    "secondEmail": p.idp_emails[1] if len(p.idp_emails) > 1 else None,
                    "firstName": p.first,
                    "lastName": p.last,
                },
                "credentials": {"provider": {"type": "FEDERATION", "name": "FEDERATION"}},
                "_links": {},
            }
        okta_group_ids = {g["id"]: self.okta_id("00g") for g in self.groups}
        # Okta has no nested groups: a nested group's people are direct members here
        members = {okta_group_ids[g["id"]]: [users[p.index] for p in _flatten_users(g)] for g in self.groups}
        groups = [
            {"id": okta_group_ids[g["id"]], "created": self.okta_stamp(), "lastUpdated": self.okta_stamp(),
             "lastMembershipUpdated": self.okta_stamp(), "objectClass": ["okta:user_group"],
             "type": "OKTA_GROUP", "profile": {"name": g["name"], "description": None},
             "_embedded": {"stats": {"usersCount": len(members[okta_group_ids[g["id"]]])}}, "_links": {}}
            for g in self.groups
        ]
        _dump(out / "users.json", list(users.values()))
        _dump(out / "groups.json", groups)
        _dump(out / "group_members.json", members)
        _dump(out / MANIFEST_FILE, manifest_document("okta", {
            "users.json": len(users), "groups.json": len(groups),
            "group_members.json": sum(map(len, members.values()))}, GENERATED_AT))

    def policy(self, admin_email: str, settled: bool) -> dict[str, Any]:
        """A policy (schema: policies/default.yaml) fitting the generated groups.

        ``settled=False`` is what an admin writes first: the dirt shows up as review
        items (userName mismatches of alias-domain people, duplicates, same-name
        hints, unmatched members). ``settled=True`` adds the reviewer's decisions so
        the plan has no blocking item and can be applied: duplicates linked to the
        original member by override and the other member of the address deactivated
        first, the Sigma email kept as userName, unmatched members deactivated,
        downgrades allowed (admin downgrades acknowledged), Admin gained acknowledged, thresholds off (team_growth
        too: the generated teams grow far past their exported members).
        """
        policy: dict[str, Any] = {
            "version": 1,
            "organization": {
                "name": "Synthetic Org (bench/generate.py)",
                "scim_setup_admin": admin_email,
                "api_credential_owner": admin_email,
                "document_owner": admin_email,
            },
            "linking": {"domain_aliases": {ALIAS_DOMAIN: DOMAIN}},
            "account_types": {
                "group_map": {group: name for name, (group, _) in ACCOUNT_TYPES.items()},
                "precedence": list(PRECEDENCE),
                "default": "View",
            },
            "guests": {"action": "disable"},
            "teams": {"rules": [{"match": "exact"}, {"match": "case_insensitive"}],
                      "mode": "link", "leftovers": "remove"},
            "unmatched": {"action": "review", "idp_inactive": "deactivate",
                          "exclude_patterns": ["^svc[-_.]"]},
        }
        if settled:
            policy["linking"]["name_hints"] = False
            policy["linking"]["overrides"] = [
                {"idp": p.idp_id, "member": p.member_id}
                for p, email, _ in self.extra_members if "+" not in email and p.idp
            ]
            duplicates = {mid: "deactivate" for _, email, mid in self.extra_members if "+" not in email}
            if duplicates:  # free the shared address before the link (else Sigma answers 409)
                policy["linking"]["duplicates"] = duplicates
            policy["user_name_guard"] = {"on_mismatch": "use_sigma_email"}
            policy["account_types"]["on_downgrade"] = "allow"
            policy["account_types"]["acknowledged_downgrades"] = [
                p.member_id for p in self.people
                if p.sigma and p.member_type.casefold() == "admin" and p.idp and p.idp_active
                and "Admin" not in (p.idp_type, p.idp_second_type)
            ]
            gaining = [{"person": p.member_id if p.sigma else p.idp_id, "to": "Admin"} for p in self.people
                       if p.idp and p.idp_active and "Admin" in (p.idp_type, p.idp_second_type)
                       and not (p.sigma and p.status == "active" and p.member_type.casefold() == "admin")]
            if gaining:  # Admin gained (an upgrade, a create, a reactivation): account_types.admin_upgrade
                policy["account_types"]["acknowledged_admin_upgrades"] = gaining
            policy["unmatched"]["action"] = "deactivate"
            policy["guards"] = {"thresholds": {"deactivations": None, "guest_disables": None,
                                               "team_member_removals": None, "downgrades": None,
                                               "team_growth": None}}
            # the prerequisites no export shows (docs/policy.md "preflight"): the org has members an
            # earlier SCIM setup made inactive, so the old token is taken as removed by Sigma support
            policy["preflight"] = {"saml_only": True, "previous_scim": "removed_by_support",
                                   "guests_informed": True}
        return policy

    def write_policy(self, path: Path, admin_email: str, settled: bool = False) -> None:
        import yaml  # PyYAML is a dependency of the project

        header = "# Generated by bench/generate.py for the synthetic organization next to it.\n"
        if settled:
            header += "# Settled: every review decision taken, so the plan can be applied (apply_bench).\n"
        text = yaml.safe_dump(self.policy(admin_email, settled), sort_keys=False, width=120)
        path.write_text(header + text, encoding="utf-8")

    # ------------------------------------------------------------------ manifest

    def build_manifest(self, idp_format: str, admin_email: str) -> dict[str, Any]:
        tags: dict[str, list[Person]] = {}
        for p in self.people:
            for t in p.tags:
                tags.setdefault(t, []).append(p)
        sigma_emails = [ROBOT["email"]] + [p.sigma_email for p in self.people if p.sigma] + [e for _, e, _ in self.extra_members]
        idp_people = [p for p in self.people if p.idp]
        dirt = {}
        for tag in sorted(tags):
            ps = tags[tag]
            dirt[tag] = {
                "count": len(ps),
                "examples": [
                    {"memberId": p.member_id or None, "email": p.sigma_email or None,
                     "idpId": p.idp_id or None, "userName": p.user_name or None}
                    for p in ps[:5]
                ],
            }
        dirt["duplicate"] = {
            "count": sum(1 for _, e, _ in self.extra_members if "+" not in e),
            "examples": [
                {"memberId": p.member_id, "email": p.sigma_email, "duplicateMemberId": mid, "duplicateEmail": e}
                for p, e, mid in self.extra_members[:5] if "+" not in e
            ],
        }
        nested = [g for g in self.groups if g["groups"]]
        dirt["nested_group"] = {
            "count": len(nested),
            "examples": [{"id": g["id"], "displayName": g["name"], "childIds": [c["id"] for c in g["groups"]]} for g in nested[:5]],
        }
        unmanaged = [t for t in self.teams if t.get("unmanaged")]
        dirt["unmanaged_team"] = {"count": len(unmanaged), "examples": [{"teamId": t["teamId"], "name": t["name"]} for t in unmanaged[:5]]}
        return {
            "generator": "bench/generate.py",
            "seed": self.seed,
            "parameters": {
                "members": self.n_members, "idp_users": self.n_idp_users, "groups": self.n_groups,
                "memberships": self.n_memberships, "idp_format": idp_format,
                "duplicates": self.duplicates,
            },
            "counts": {
                "sigma_members": len(sigma_emails),
                "sigma_teams": len(self.teams),
                "sigma_team_memberships": sum(len(t["members"]) for t in self.teams),
                "idp_users": len(idp_people),
                "idp_groups": len(self.groups),
                "idp_group_memberships": sum(len(g["users"]) for g in self.groups),
                "idp_nested_group_edges": sum(len(g["groups"]) for g in self.groups),
            },
            "account_type_groups": {name: group for name, (group, _) in ACCOUNT_TYPES.items()},
            "admin_email": admin_email,
            "domain": DOMAIN,
            "alias_domain": ALIAS_DOMAIN,
            "dirt": dirt,
        }


# ---------------------------------------------------------------------- helpers


def _quota(n: int, rate: float, floor_from: int = 20) -> int:
    """How many of ``n`` get a dirt planted at ``rate``: rounded, at least one when n >= floor_from."""
    return max(1 if n >= floor_from else 0, round(n * rate))


def _mixed_case(local: str, domain: str) -> str:
    parts = [w.capitalize() for w in local.split(".")]
    return ".".join(parts) + "@" + domain.capitalize()


def _member(member_id: str, member_type: str, first: str, last: str, email: str, kind: str,
            archived: bool, inactive: bool, creator: str, created: str, updated: str,
            folder: str) -> dict[str, Any]:
    return {
        "organizationId": ORGANIZATION_ID,
        "memberId": member_id,
        "memberType": member_type,
        "firstName": first,
        "lastName": last,
        "email": email,
        "profileImgUrl": None,
        "createdBy": creator,
        "updatedBy": creator,
        "createdAt": created,
        "updatedAt": updated,
        "homeFolderId": folder,
        "userKind": kind,
        "isArchived": archived,
        "isInactive": inactive,
    }


def _list_response(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {"schemas": [SCIM_LIST], "totalResults": len(resources), "startIndex": 1,
            "itemsPerPage": len(resources), "Resources": resources}


def _flatten_users(group: dict[str, Any]) -> list[Person]:
    seen: dict[int, Person] = {}
    stack, visited = [group], set()
    while stack:
        g = stack.pop()
        if id(g) in visited:
            continue
        visited.add(id(g))
        for p in g["users"]:
            seen.setdefault(p.index, p)
        stack.extend(g["groups"])
    return list(seen.values())


def _clear(out: Path) -> None:
    """Remove a previous generator output in ``out``; refuse a directory holding anything else."""
    if not out.exists():
        return
    ours = {"sigma", "idp", "policy.yaml", "policy-settled.yaml", "manifest.json"}
    entries = sorted(p.name for p in out.iterdir())
    if entries and not (out / "manifest.json").exists():
        raise SystemExit(f"generate: {out} is not empty and holds no manifest.json; choose a new --out")
    for name in entries:
        if name in ours:
            path = out / name
            shutil.rmtree(path) if path.is_dir() else path.unlink()


def _dump(path: Path, value: Any) -> None:
    # json.dumps, not json.dump: only the one-shot path uses the C encoder (5x faster)
    path.write_text(json.dumps(value, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")


# ---------------------------------------------------------------------- entry points


def default_sizes(members: int) -> dict[str, int]:
    """The issue's proportions: IdP users ~1.1x members, groups ~N/20, ~5 memberships per member.

    100k members give 110k IdP users, 5k groups and 500k memberships (issue 7's target).
    """
    return {
        "idp_users": round(members * 1.1),
        "groups": max(len(ACCOUNT_TYPES) + 5, members // 20),
        "memberships": members * 5,
    }


def generate(out: str | Path, members: int, idp_users: int | None = None, groups: int | None = None,
             memberships: int | None = None, seed: int = 0, idp_format: str = "scim",
             duplicates: bool = True) -> dict[str, Any]:
    """Write a synthetic organization under ``out`` (layout in the module docstring).

    ``idp_users``, ``groups`` and ``memberships`` default to :func:`default_sizes`.
    ``duplicates=False`` plants no duplicate Sigma members (same address in another
    case): apply_bench uses it, since two members answering one SCIM userName make
    the link fail by design (the sandbox answers 409) and the run would not converge.
    Returns the manifest (also written to ``out/manifest.json``): parameters,
    ``counts`` of what was written, and ``dirt``: for each planted kind its count
    and up to five examples with their ids.
    """
    sizes = default_sizes(members)
    idp_users = sizes["idp_users"] if idp_users is None else idp_users
    groups = sizes["groups"] if groups is None else groups
    memberships = sizes["memberships"] if memberships is None else memberships
    if idp_format not in ("scim", "entra", "okta"):
        raise SystemExit(f"generate: unknown --idp-format {idp_format!r} (scim, entra, okta)")
    out = Path(out)
    _clear(out)
    gen = Generator(members, idp_users, groups, memberships, seed, duplicates)
    gen.build_people()
    gen.build_groups()
    gen.write_sigma(out / "sigma")
    {"scim": gen.write_scim, "entra": gen.write_entra, "okta": gen.write_okta}[idp_format](out / "idp")
    admin_email = gen.admin.sigma_email
    gen.write_policy(out / "policy.yaml", admin_email)
    gen.write_policy(out / "policy-settled.yaml", admin_email, settled=True)
    manifest = gen.build_manifest(idp_format, admin_email)
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, help="directory to write (created)")
    parser.add_argument("--members", type=int, required=True, help="Sigma members incl. the scheduler robot")
    parser.add_argument("--idp-users", type=int, help="IdP users (default 1.1 x members)")
    parser.add_argument("--groups", type=int, help="IdP groups (default members / 20)")
    parser.add_argument("--memberships", type=int, help="IdP user->group edges (default 5 x members)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--idp-format", choices=("scim", "entra", "okta"), default="scim")
    parser.add_argument("--no-duplicates", action="store_true",
                        help="plant no duplicate Sigma members (for apply benchmarks)")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    manifest = generate(args.out, args.members, args.idp_users, args.groups, args.memberships,
                        args.seed, args.idp_format, duplicates=not args.no_duplicates)
    counts = ", ".join(f"{k} {v}" for k, v in manifest["counts"].items())
    print(f"wrote {args.out} in {time.perf_counter() - t0:.1f} s: {counts}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
