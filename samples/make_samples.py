"""Write the bundled sample organization ``samples/acme/`` (Acme Corp), deterministically.

Usage::

    python samples/make_samples.py            # (re)write samples/acme/
    python samples/make_samples.py --check    # regenerate into a temp dir, compare with the
                                              # committed files, and validate them

Standard library only. Same script => byte-identical files: every random choice
comes from ``random.Random`` seeded with a fixed string, every id is a hash of
a stable key (an email, a group name), and every timestamp is derived from the
seed (nothing reads the clock).

What it writes (formats per ``docs/formats.md`` and ``docs/sigma-api.md``):

- ``acme/sigma/``: the Sigma REST export:
  ``members.json`` (``GET /v2/members?limit=100&includeArchived=true&includeInactive=true``
  saved page by page: a JSON array of ``{"entries", "nextPage"}`` pages, docs/sigma-api.md §2.2/§2.3),
  ``teams.json`` (one ``GET /v2/teams?limit=1000`` page, §3.2),
  ``team_members.json`` (``{teamId: GET /v2/teams/{teamId}/members}``, §3.3),
  ``account_types.json`` (``GET /v2/accountTypes`` pages with ``nextPageToken``, §4.1).
- ``acme/okta/``: ``users.json`` (``GET /api/v1/users``, bare array, DEPROVISIONED included as a
  ``search=`` export would), ``groups.json`` (``GET /api/v1/groups``) and ``group_members.json``
  (``{groupId: [User, ...]}``, the answers of ``GET /api/v1/groups/{id}/users``) (docs/formats.md §2a-2c).
- ``acme/entra/``: ``users.csv`` ("Download users", UTF-8 with BOM, §3a), ``groups.csv``
  ("Download groups", §3c) and ``group_members/<group name>.csv`` ("Download members", §3b);
  ``Finance.csv`` is an Excel re-save (BOM, ``;``), ``Leadership.csv`` has an old
  ``version:v1.0`` preamble. Entra groups nest (Finance > Finance Contractors; Sigma-Build >
  sigma-team-Data Engineering <> Data Platform Core is a cycle); Okta's groups are flat and list
  the flattened members. Entra ID provisions only direct members, so the account-type group
  Sigma-Build lists its flattened people directly too (its nested group row kept): both IdP views
  give the same people the same scope and account types.
- ``acme/expected.json``: the planted cases (people with their memberId / Okta id / Entra id and
  the outcome the planner should reach), the guards' admins, and per-person account types and
  per-team membership changes computed under the policy described in ``acme/README.md``.
- ``acme/policy-{okta,entra}.yaml``: that policy in the planner's schema (``planner.policy``);
  ``acme/policy-{okta,entra}-reviewed.yaml``: the same with every blocking review item settled.

``acme/README.md`` is written by hand (the story and the cases); ``--check`` ignores it.
"""

from __future__ import annotations

import argparse
import csv
import filecmp
import hashlib
import io
import json
import random
import sys
import tempfile
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

SEED = "acme-corp-2025"
HERE = Path(__file__).resolve().parent
OUT = HERE / "acme"

DOMAIN = "acme.example"
OLD_DOMAIN = "oldacme.example"
OKTA_BASE = "https://acme.okta.example"
EXPORT_TIME = datetime(2025, 6, 2, 9, 30, 0, tzinfo=timezone.utc)
ORGANIZATION_ID = str(uuid.UUID(hashlib.sha256(b"org:acme").hexdigest()[:32], version=4))
ROBOT_ID = "SigmaSchedulerRobot"
ROBOT_EMAIL = "scheduler-robot@sigmacomputing.com"

# --------------------------------------------------------------------------- account types

#: (accountTypeName, description, isCustom, IdP group), in precedence order (highest first).
ACCOUNT_TYPES = [
    ("Admin", "Full administrative access", False, "Sigma-Admins"),
    ("Data Steward", "Build plus data model certification (custom)", True, "Sigma-Data-Stewards"),
    ("Build", "Create and publish workbooks and data models", False, "Sigma-Build"),
    ("Analyze", "Explore data and create workbooks", False, "Sigma-Analyze"),
    ("Act", "Interact with workbooks, input tables and actions", False, "Sigma-Act"),
    ("External Viewer", "View shared content, no exports (custom, for partners)", True, "Sigma-Partners"),
    ("View", "View and explore published workbooks", False, "Sigma-Viewers"),
]
PRECEDENCE = [t[0] for t in ACCOUNT_TYPES]
TYPE_GROUP = {t[0]: t[3] for t in ACCOUNT_TYPES}
GROUP_TYPE = {t[3]: t[0] for t in ACCOUNT_TYPES}
DEFAULT_TYPE = "View"

# --------------------------------------------------------------------------- teams and groups

#: department -> (Sigma team or None, IdP group). How the group reaches the team is the policy's
#: job: exact name, case-insensitive name, regex ``^sigma-team-(.+)$`` -> ``\1``.
DEPARTMENTS = {
    "Finance": ("Finance", "Finance"),                                   # exact
    "Sales EMEA": ("Sales EMEA", "sales emea"),                          # case differs
    "Sales Americas": ("Sales Americas", "Sales Americas"),              # exact (AD group)
    "Marketing": ("Marketing", "marketing"),                             # case differs
    "Data Engineering": ("Data Engineering", "sigma-team-Data Engineering"),     # regex
    "Product Analytics": ("Product Analytics", "sigma-team-Product Analytics"),  # regex
    "Operations": ("Operations", "Operations"),                          # exact
    "HR": ("HR Analytics", "sigma-team-HR Analytics"),                   # regex
    "Customer Support": ("Customer Support", "Customer Support"),        # exact
    "Supply Chain": ("Supply Chain", "Supply Chain"),                    # exact
    "Customer Success": (None, "sigma-team-Customer Success"),           # regex, creates a team
    "Revenue Operations": (None, "sigma-team-Revenue Operations"),       # regex, creates a team
}
#: explicit map in the policy: IdP group -> Sigma team
EXPLICIT_TEAM_MAP = {"Leadership": "Executive Dashboards"}
TEAM_REGEX = r"^sigma-team-(.+)$"

#: Sigma teams: name -> (description, visibility, isArchived)
TEAMS = {
    "Finance": ("Month-end and FP&A reporting", "private", False),
    "Sales EMEA": ("Pipeline and bookings, EMEA", "public", False),
    "Sales Americas": (None, "public", False),
    "Marketing": ("Campaign performance", "public", False),
    "Data Engineering": ("Owners of the warehouse data models", "private", False),
    "Product Analytics": ("Product usage and experiments", "public", False),
    "Executive Dashboards": ("Board and leadership KPIs", "private", False),
    "Operations": ("Fulfilment and logistics KPIs", "public", False),
    "HR Analytics": ("Headcount and attrition", "private", False),
    "Customer Support": ("Ticket volumes and SLAs", "public", False),
    "Supply Chain": ("", None, False),
    "Board Reporting": ("Quarterly board pack (kept by hand)", "private", False),
    "Sandbox Testers": ("Try-outs, not production", None, False),
    "External Partners": ("Content shared with partners", "private", False),
    "Project Falcon (old)": ("Retired 2023 pricing project", None, True),
}

#: IdP groups that are neither account-type nor team groups (Okta + Entra): name -> description
OTHER_GROUPS = {
    "Finance Contractors": "Contractors working for Finance (nested in Finance in Entra)",
    "Data Platform Core": "Platform engineers (Entra: nests sigma-team-Data Engineering, a cycle)",
    "VPN Users": "Remote access",
    "Engineering": "All of engineering",
}
#: Entra nesting: group -> groups it contains as "Member type: Group" rows
ENTRA_NESTING = {
    "Finance": ["Finance Contractors"],
    "Sigma-Build": ["sigma-team-Data Engineering"],
    "sigma-team-Data Engineering": ["Data Platform Core"],
    "Data Platform Core": ["sigma-team-Data Engineering"],
}

# --------------------------------------------------------------------------- the bulk population

FIRST = [
    "Adrian", "Beatrice", "Caleb", "Delia", "Edwin", "Fiona", "Gavin", "Harriet", "Ivan", "Jasmine",
    "Kieran", "Lucia", "Mateo", "Nora", "Owen", "Pilar", "Quinn", "Rosa", "Stefan", "Tessa",
    "Umar", "Vera", "Wesley", "Xenia", "Yusuf", "Zara", "Anton", "Bianca", "Cyrus", "Dorothea",
    "Emil", "Freya", "Gustav", "Hana", "Idris", "Joanna", "Kofi", "Lotte", "Milan", "Nadine",
    "Oren", "Paloma", "Rafael", "Saskia", "Theo", "Ursula", "Viktor", "Wanda", "Yara", "Zeynep",
    "Arjun", "Brigid", "Cormac", "Dalia", "Enzo", "Greta", "Hugo", "Ingrid", "Jakob", "Kamala",
]
LAST = [
    "Abbott", "Barros", "Castell", "Dunmore", "Eriksen", "Falk", "Gallo", "Hargreaves", "Iqbal",
    "Janssen", "Kowalski", "Lindqvist", "Marsh", "Nakamura", "Osei", "Pereira", "Quarles", "Rinaldi",
    "Sandoval", "Thorne", "Ueda", "Varga", "Whitaker", "Yilmaz", "Zielinski", "Achterberg",
    "Bramley", "Cruz", "Delacroix", "Eastwood", "Ferreira", "Grieve", "Holm", "Ivanova", "Jaramillo",
    "Kerr", "Lacroix", "Moreau", "Nilsen", "Oduya", "Pasternak", "Rowe", "Stavros", "Tanaka-Ross",
    "Underhill", "Vance", "Wojcik", "Ashford", "Blackwood", "Caruso",
]
#: department -> (people, {account type: weight})
BULK = {
    "Finance": (10, {"Analyze": 5, "Act": 3, "View": 2}),
    "Sales EMEA": (10, {"View": 5, "Act": 4, "Analyze": 1}),
    "Sales Americas": (10, {"View": 5, "Act": 4, "Analyze": 1}),
    "Marketing": (8, {"Act": 4, "Analyze": 4, "View": 2}),
    "Data Engineering": (9, {"Build": 1}),
    "Product Analytics": (8, {"Analyze": 5, "Build": 4, "Data Steward": 1}),
    "Operations": (8, {"View": 4, "Act": 4, "Analyze": 2}),
    "HR": (5, {"Analyze": 1, "View": 1}),
    "Customer Support": (9, {"View": 7, "Act": 3}),
    "Supply Chain": (7, {"Act": 1, "View": 1}),
    "Customer Success": (5, {"View": 3, "Act": 2}),
    "Revenue Operations": (3, {"Analyze": 1}),
}
OUT_OF_SCOPE_DEPTS = ["Facilities", "Warehouse", "Legal", "IT Support"]
OUT_OF_SCOPE_COUNT = 18
TITLES = {
    "Finance": "Financial Analyst", "Sales EMEA": "Account Executive",
    "Sales Americas": "Account Executive", "Marketing": "Marketing Manager",
    "Data Engineering": "Data Engineer", "Product Analytics": "Product Analyst",
    "Operations": "Operations Analyst", "HR": "HR Business Partner",
    "Customer Support": "Support Specialist", "Supply Chain": "Supply Planner",
    "Customer Success": "Customer Success Manager", "Revenue Operations": "RevOps Analyst",
    "Leadership": "Vice President", "Facilities": "Facilities Coordinator",
    "Warehouse": "Warehouse Lead", "Legal": "Counsel", "IT Support": "IT Technician",
    "Partner": "Consultant",
}

# --------------------------------------------------------------------------- ids, times

_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def b62(key: str, n: int) -> str:
    """``n`` base-62 characters derived from sha256 of ``key`` (stable, deterministic)."""
    out, counter = "", 0
    while len(out) < n:
        value = int.from_bytes(hashlib.sha256(f"{SEED}:{key}:{counter}".encode()).digest(), "big")
        while value and len(out) < n:
            value, r = divmod(value, 62)
            out += _B62[r]
        counter += 1
    return out


def hash_uuid(key: str) -> str:
    """A version-4-shaped UUID string derived from ``key``."""
    return str(uuid.UUID(hashlib.sha256(f"{SEED}:{key}".encode()).hexdigest()[:32], version=4))


def member_id(email: str) -> str:
    """29-char alphanumeric memberId (docs/sigma-api.md §2.2), from the email as spelled."""
    return b62("member:" + email, 29)


def stamp(t: datetime, ms: bool = True) -> str:
    """ISO 8601 UTC; Sigma and Okta write milliseconds and ``Z``."""
    if ms:
        return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def rand_time(rng: random.Random, start: str, end: str) -> datetime:
    a = datetime.fromisoformat(start).replace(tzinfo=timezone.utc)
    b = datetime.fromisoformat(end).replace(tzinfo=timezone.utc)
    t = a + timedelta(seconds=rng.randrange(int((b - a).total_seconds())))
    return t.replace(microsecond=rng.randrange(1000) * 1000)


def ascii_local(first: str, last: str) -> str:
    table = str.maketrans("éèëáàíóúüñçøåÁÉÍÓÚ", "eeeaaiouuncoaAEIOU")
    return f"{first}.{last}".translate(table).lower().replace(" ", "")


# --------------------------------------------------------------------------- the people


class Person:
    """One human (or service account) with an optional Sigma member and an optional IdP user.

    ``sigma``: dict(email, type, kind, archived, inactive, teams, team_admin_of, created) or None.
    ``idp``: dict(login, email, status, groups (direct), upn, mail, enabled, user_type, extra)
    or None. A few people own two Sigma members (``sigma2``).
    """

    def __init__(self, first: str, last: str, dept: str, *, case: str = "",
                 sigma: dict[str, Any] | None = None, idp: dict[str, Any] | None = None,
                 sigma2: dict[str, Any] | None = None, title: str | None = None) -> None:
        self.first, self.last, self.dept, self.case = first, last, dept, case
        self.sigma, self.idp, self.sigma2 = sigma, idp, sigma2
        self.title = title or TITLES.get(dept, "Analyst")
        self.local = ascii_local(first, last)


def std_email(first: str, last: str, domain: str = DOMAIN) -> str:
    return f"{ascii_local(first, last)}@{domain}"


def make_sigma(email: str, mtype: str, *, teams: list[str] | None = None, kind: str = "internal",
               archived: bool = False, inactive: bool = False, team_admin_of: tuple[str, ...] = (),
               created: tuple[str, str] = ("2021-02-01", "2025-03-31"),
               first: str | None = None, last: str | None = None) -> dict[str, Any]:
    return {"email": email, "type": mtype, "teams": list(teams or []), "kind": kind,
            "archived": archived, "inactive": inactive, "team_admin_of": tuple(team_admin_of),
            "created": created, "first": first, "last": last}


def make_idp(login: str, *, email: str | None = None, status: str = "ACTIVE",
             groups: list[str] | None = None, upn: str | None = None, mail: str | None = None,
             enabled: bool | None = None, user_type: str = "Member", org: str = "Acme Corp",
             extra: dict[str, Any] | None = None,
             created: tuple[str, str] = ("2019-06-01", "2025-03-01")) -> dict[str, Any]:
    email = email or login
    if enabled is None:
        enabled = status not in ("SUSPENDED", "DEPROVISIONED", "STAGED")
    return {"login": login, "email": email, "status": status, "groups": list(groups or []),
            "upn": upn or login, "mail": mail or email, "enabled": enabled,
            "user_type": user_type, "org": org, "extra": dict(extra or {}), "created": created}


def team_and_type_groups(dept: str, mtype: str | None) -> list[str]:
    groups = []
    group = DEPARTMENTS.get(dept, (None, None))[1]
    if group:
        groups.append(group)
    # Data engineers are in Sigma-Build through Okta's flattened listing; in Entra Sigma-Build nests
    # their team group and also lists them directly (Entra provisions direct members only).
    if mtype and not (dept == "Data Engineering" and mtype == "Build"):
        groups.append(TYPE_GROUP[mtype])
    return groups


def dept_teams(dept: str) -> list[str]:
    team = DEPARTMENTS.get(dept, (None, None))[0]
    return [team] if team else []


def linked(first: str, last: str, dept: str, mtype: str, *, case: str = "",
           idp_type: str | None = None, sigma_email: str | None = None, login: str | None = None,
           member_type: str | None = None, extra_groups: list[str] | None = None,
           teams: list[str] | None = None, groups: list[str] | None = None, status: str = "ACTIVE",
           team_admin_of: tuple[str, ...] = (), title: str | None = None,
           sigma_created: tuple[str, str] = ("2021-02-01", "2025-03-31"),
           **idp_kw: Any) -> Person:
    """A person with a Sigma member and an IdP user; groups/teams follow the department."""
    email = std_email(first, last)
    idp_type = mtype if idp_type is None else idp_type
    if groups is None:
        groups = team_and_type_groups(dept, idp_type or None) + list(extra_groups or [])
    return Person(
        first, last, dept, case=case, title=title,
        sigma=make_sigma(sigma_email or email, member_type or mtype,
                         teams=dept_teams(dept) if teams is None else teams,
                         team_admin_of=team_admin_of, created=sigma_created),
        idp=make_idp(login or email, groups=groups, status=status, **idp_kw),
    )


def planted_people() -> list[Person]:
    """Every person a README case names. Order is the order of the files."""
    P: list[Person] = []
    add = P.append

    # ---- admins and the guards' people
    add(linked("Priya", "Raman", "Product Analytics", "Admin", case="scim-setup-admin",
               extra_groups=["Sigma-Viewers"], teams=["Product Analytics", "Sandbox Testers"],
               team_admin_of=("Product Analytics",), title="BI Platform Lead",
               sigma_created=("2021-01-05", "2021-01-06")))
    add(linked("Marcus", "Webb", "Data Engineering", "Admin", idp_type="Build",
               case="api-credential-owner", teams=["Data Engineering"],
               team_admin_of=("Data Engineering",), extra_groups=["Engineering"],
               title="Data Platform Manager", sigma_created=("2021-01-06", "2021-01-08")))
    add(linked("Helen", "Ortiz", "Finance", "Admin", idp_type="Analyze", case="admin-downgrade",
               team_admin_of=("Finance",), title="Finance Systems Lead"))
    add(linked("Tomasz", "Nowak", "Operations", "Admin", case="document-owner",
               teams=["Operations", "External Partners", "Board Reporting"],
               team_admin_of=("External Partners", "Operations"), title="Head of BI",
               sigma_created=("2021-01-04", "2021-01-05")))
    add(linked("Grace", "Liu", "Marketing", "Admin", member_type="admin", case="admin-lowercase-type",
               team_admin_of=("Marketing",), title="Marketing Ops Lead"))
    add(Person("Victor", "Hale", "Sales Americas", case="idp-deprovisioned-admin",
               sigma=make_sigma(std_email("Victor", "Hale"), "Admin", teams=[],
                                created=("2021-03-01", "2021-06-01")),
               idp=make_idp(std_email("Victor", "Hale"), status="DEPROVISIONED")))

    # ---- letter case
    for first, last, dept, mtype, spelled in [
        ("Alice", "Smith", "Finance", "Analyze", "Alice.Smith@Acme.example"),
        ("Michael", "Turner", "Sales EMEA", "View", "Michael.Turner@acme.example"),
        ("Jessica", "Hall", "Marketing", "Act", "JESSICA.HALL@ACME.EXAMPLE"),
        ("Peter", "Novak", "Supply Chain", "Act", "Peter.Novak@Acme.Example"),
    ]:
        add(linked(first, last, dept, mtype, sigma_email=spelled, case="mixed-case-sigma-email"))
    add(linked("Kevin", "Brown", "Customer Support", "View", idp_type="Analyze",
               login="Kevin.Brown@acme.example", upn="Kevin.Brown@acme.example",
               case="mixed-case-idp-login+upgrade"))
    add(linked("Ruby", "Evans", "HR", "Analyze", login="Ruby.Evans@Acme.example",
               upn="Ruby.Evans@Acme.example", case="mixed-case-idp-login"))

    # ---- old email domain (domain_aliases oldacme.example -> acme.example)
    for first, last, dept, mtype, spelled in [
        ("Robert", "Chen", "Finance", "Analyze", f"robert.chen@{OLD_DOMAIN}"),
        ("Linda", "Okafor", "Sales EMEA", "View", f"linda.okafor@{OLD_DOMAIN}"),
        ("Samuel", "Diaz", "Operations", "Act", "Samuel.Diaz@OldAcme.example"),
        ("Yuki", "Sato", "Product Analytics", "Build", f"yuki.sato@{OLD_DOMAIN}"),
    ]:
        add(linked(first, last, dept, mtype, sigma_email=spelled, case="old-domain",
                   sigma_created=("2021-02-01", "2022-12-31")))

    # ---- IdP userName is not the email; the email is (other email key)
    add(linked("Nina", "Patel", "Marketing", "Analyze", login=f"npatel@{DOMAIN}",
               email=std_email("Nina", "Patel"), case="other-email"))

    # ---- duplicate: two Sigma members whose emails differ only by letter case
    add(Person("Bob", "Ray", "Sales Americas", case="duplicate-sigma-member",
               sigma=make_sigma(f"bob.ray@{DOMAIN}", "Act", teams=["Sales Americas"],
                                created=("2023-04-01", "2023-05-01")),
               sigma2=make_sigma(f"Bob.Ray@{DOMAIN}", "View", teams=[],
                                 created=("2021-05-01", "2021-06-01")),
               idp=make_idp(f"bob.ray@{DOMAIN}", groups=["Sales Americas", "Sigma-Act"])))

    # ---- plus address: dana.whitfield+bi@ is a second account of dana.whitfield@
    add(Person("Dana", "Whitfield", "Product Analytics", case="plus-address",
               sigma=make_sigma(f"dana.whitfield@{DOMAIN}", "Analyze", teams=["Product Analytics"]),
               sigma2=make_sigma(f"dana.whitfield+bi@{DOMAIN}", "Build", teams=["Sandbox Testers"]),
               idp=make_idp(f"dana.whitfield@{DOMAIN}",
                            groups=["sigma-team-Product Analytics", "Sigma-Analyze"])))

    # ---- leavers: Sigma members with no IdP user at all
    add(Person("Jordan", "Lee", "Sales EMEA", case="leaver+same-name",
               sigma=make_sigma(std_email("Jordan", "Lee"), "View", created=("2021-09-01", "2022-03-01"))))
    add(Person("Wendy", "Park", "Finance", case="leaver",
               sigma=make_sigma(std_email("Wendy", "Park"), "Analyze", teams=["Board Reporting"])))
    add(Person("George", "Hill", "Operations", case="leaver",
               sigma=make_sigma(std_email("George", "Hill"), "Act", teams=["Sandbox Testers"])))
    add(Person("Alan", "Brooks", "Marketing", case="leaver",
               sigma=make_sigma(std_email("Alan", "Brooks"), "View")))
    add(Person("Irene", "Costa", "Customer Support", case="leaver",
               sigma=make_sigma(std_email("Irene", "Costa"), "View")))
    add(Person("ETL", "Service", "Data Engineering", case="service-account+team-leftover",
               sigma=make_sigma(f"svc-etl@{DOMAIN}", "Build", teams=["Data Engineering"],
                                created=("2021-02-01", "2021-02-10"))))
    add(Person("dbt", "Service", "Data Engineering", case="service-account",
               sigma=make_sigma(f"svc-dbt@{DOMAIN}", "build", teams=["Sandbox Testers"],
                                created=("2022-02-01", "2022-02-10"))))

    # ---- IdP side deactivated or suspended, Sigma member still active
    add(Person("Paula", "Jensen", "Data Engineering", case="idp-deprovisioned",
               sigma=make_sigma(std_email("Paula", "Jensen"), "Build", teams=["Sandbox Testers"]),
               idp=make_idp(std_email("Paula", "Jensen"), status="DEPROVISIONED")))
    add(linked("Tom", "Becker", "Supply Chain", "Analyze", status="SUSPENDED", case="idp-suspended"))

    # ---- renamed person: only an attribute pair can link (Okta custom attribute sigmaMemberId)
    sarah_sigma = f"sarah.oconnor@{DOMAIN}"
    add(Person("Sarah", "Kim", "HR", case="attribute-only",
               sigma=make_sigma(sarah_sigma, "Analyze", teams=["HR Analytics"],
                                first="Sarah", last="O'Connor"),
               idp=make_idp(f"sarah.kim@{DOMAIN}",
                            groups=["sigma-team-HR Analytics", "Sigma-Analyze"],
                            extra={"sigmaMemberId": member_id(sarah_sigma)})))

    # ---- guests
    add(Person("Carol", "Nguyen", "Partner", case="guest-with-idp-user",
               sigma=make_sigma("carol.nguyen@northpartners.example", "External Viewer",
                                kind="guest", teams=["External Partners"]),
               idp=make_idp("carol.nguyen@northpartners.example", groups=["Sigma-Partners"],
                            upn="carol.nguyen_northpartners.example#EXT#@acme.example",
                            user_type="Guest", org="North Partners")))
    add(Person("Felix", "Brandt", "Partner", case="guest-without-idp-user",
               sigma=make_sigma("felix.brandt@consultco.example", "View", kind="guest",
                                teams=["External Partners"])))
    add(Person("Mei", "Tanaka", "Partner", case="guest-without-idp-user",
               sigma=make_sigma("mei.tanaka@consultco.example", "External Viewer", kind="guest",
                                teams=["External Partners"])))
    add(Person("Omar", "Haddad", "Partner", case="new-guest-in-idp",
               idp=make_idp("omar.haddad@northpartners.example", groups=["Sigma-Partners"],
                            upn="omar.haddad_northpartners.example#EXT#@acme.example",
                            user_type="Guest", org="North Partners",
                            created=("2025-05-05", "2025-05-20"))))

    # ---- embed user
    add(Person("Embed", "Viewer", "Partner", case="embed-user",
               sigma=make_sigma("portal.viewer@customer-a.example", "View", kind="embed")))

    # ---- archived / inactive Sigma members
    add(Person("Ruth", "Adler", "Finance", case="rehire-archived",
               sigma=make_sigma(std_email("Ruth", "Adler"), "Analyze", archived=True,
                                created=("2021-04-01", "2021-08-01")),
               idp=make_idp(std_email("Ruth", "Adler"), groups=["Finance", "Sigma-Analyze"],
                            created=("2025-03-01", "2025-04-15"))))
    add(Person("Henrik", "Larsen", "Operations", case="archived+idp-deprovisioned",
               sigma=make_sigma(std_email("Henrik", "Larsen"), "Act", archived=True),
               idp=make_idp("hlarsen", email=std_email("Henrik", "Larsen"), status="DEPROVISIONED",
                            upn=std_email("Henrik", "Larsen"))))
    add(Person("Maria", "Gomez", "Marketing", case="archived+idp-deprovisioned",
               sigma=make_sigma(std_email("Maria", "Gomez"), "Analyze", archived=True),
               idp=make_idp(std_email("Maria", "Gomez"), status="DEPROVISIONED")))
    for first, last, team in [("Frank", "Miller", "Project Falcon (old)"),
                              ("Laura", "Bianchi", "Project Falcon (old)"),
                              ("Chloé", "Dubois", None)]:
        add(Person(first, last, "Finance", case="archived",
                   sigma=make_sigma(std_email(first, last), "Analyze", archived=True,
                                    teams=[team] if team else [],
                                    created=("2021-02-01", "2022-06-01"))))
    add(Person("Quentin", "Moss", "Sales Americas", case="inactive+team-leftover",
               sigma=make_sigma(std_email("Quentin", "Moss"), "View", inactive=True,
                                teams=["Sales Americas"]),
               idp=make_idp(std_email("Quentin", "Moss"), status="DEPROVISIONED")))
    add(Person("Nadia", "Rahman", "Operations", case="inactive",
               sigma=make_sigma(std_email("Nadia", "Rahman"), "Act", inactive=True),
               idp=make_idp(std_email("Nadia", "Rahman"), status="DEPROVISIONED")))

    # ---- account-type changes
    add(linked("Aisha", "Bello", "Finance", "Act", idp_type="Build", case="upgrade"))
    add(linked("Martin", "Schulz", "Product Analytics", "Analyze", idp_type="Data Steward",
               case="upgrade-to-custom"))
    add(linked("Olivia", "Grant", "Marketing", "View", idp_type="Build", case="upgrade"))
    add(linked("Ethan", "Wright", "Operations", "Build", idp_type="View", case="downgrade"))
    add(linked("Sofia", "Rossi", "Sales EMEA", "Analyze", idp_type="Act", case="downgrade"))
    add(linked("Daniel", "Kim", "Data Engineering", "Build", member_type="build",
               extra_groups=["Sigma-Analyze", "Engineering"], case="several-type-groups"))
    add(linked("Hannah", "Moore", "Product Analytics", "Data Steward",
               extra_groups=["Sigma-Analyze"], case="several-type-groups"))
    add(linked("Lucas", "Meyer", "Customer Support", "View", idp_type="", case="default-type"))
    add(linked("Zoe", "Adams", "Supply Chain", "Analyze", idp_type="", case="default-type-downgrade"))

    # ---- team leftovers (in the Sigma team, not in the linked group)
    add(linked("Oscar", "Reyes", "Operations", "Act", teams=["Finance"], case="team-leftover"))
    add(linked("Lena", "Fischer", "Marketing", "Act", teams=["Sales EMEA"], case="team-leftover"))
    add(linked("Liam", "O'Brien", "Finance", "Analyze", case="apostrophe-email"))
    add(linked("José", "Álvarez", "Sales Americas", "Act", case="accented-name"))

    # ---- new hires: IdP users (in Sigma groups) with no Sigma member
    for first, last, dept, mtype in [
        ("Amelia", "Clarke", "Finance", "Analyze"),
        ("Benjamin", "Hart", "Data Engineering", "Build"),
        ("Camila", "Ortega", "Sales Americas", "View"),
        ("Diego", "Ramos", "Customer Success", "View"),
        ("Elena", "Petrova", "Product Analytics", "Analyze"),
        ("Farah", "Siddiqui", "Marketing", "Act"),
        ("Gabriel", "Silva", "Revenue Operations", "Analyze"),
        ("Isla", "Murphy", "HR", "View"),
        ("Kenji", "Mori", "Supply Chain", "Act"),
        ("Leila", "Karimi", "Customer Support", "View"),
    ]:
        add(Person(first, last, dept, case="new-hire",
                   idp=make_idp(std_email(first, last), groups=team_and_type_groups(dept, mtype),
                                created=("2025-04-01", "2025-05-25"))))
    add(Person("Jonas", "Weber", "Finance", case="new-hire+nested-group", title="Contractor",
               idp=make_idp(std_email("Jonas", "Weber"), groups=["Finance Contractors", "Sigma-Act"],
                            created=("2025-04-01", "2025-05-25"))))
    add(Person("Jordan", "Lee", "Customer Success", case="new-hire+same-name",
               idp=make_idp(f"jordan.lee2@{DOMAIN}",
                            groups=["sigma-team-Customer Success", "Sigma-Viewers"],
                            created=("2025-05-02", "2025-05-20"))))
    for first, last, dept in [("Beatriz", "Santos", "Sales EMEA"), ("Noah", "Fischer", "Data Engineering")]:
        add(Person(first, last, dept, case="new-hire-staged",
                   idp=make_idp(std_email(first, last), status="STAGED",
                                groups=team_and_type_groups(dept, "View" if dept == "Sales EMEA" else "Build"),
                                created=("2025-05-26", "2025-05-30"))))
    return P


def bulk_people(planted: list[Person]) -> list[Person]:
    """The unremarkable majority: linked, same email, same type, same team."""
    rng = random.Random(SEED + ":bulk")
    taken = {(p.first, p.last) for p in planted} | {(p.first, "") for p in planted}
    used_first = {p.first for p in planted}
    names = [(f, l) for f in FIRST for l in LAST if f not in used_first]
    assert len(set(FIRST)) == len(FIRST) and len(set(LAST)) == len(LAST)
    rng.shuffle(names)
    it = iter(names)

    def next_name() -> tuple[str, str]:
        while True:
            f, l = next(it)
            if (f, l) not in taken:
                taken.add((f, l))
                return f, l

    people: list[Person] = []
    for dept, (count, weights) in BULK.items():
        types, w = list(weights), list(weights.values())
        for i in range(count):
            f, l = next_name()
            mtype = rng.choices(types, w)[0]
            spelled = "build" if mtype == "Build" and rng.random() < 0.3 else mtype
            status = "ACTIVE"
            p = linked(f, l, dept, mtype, member_type=spelled, status=status)
            people.append(p)
    # a few second teams, kept consistent on both sides
    # (not Data Engineering: in Entra that group sits inside Sigma-Build and would upgrade them)
    team_depts = [d for d, (t, _) in DEPARTMENTS.items() if t and d != "Data Engineering"]
    for p in rng.sample(people, 14):
        other = rng.choice([d for d in team_depts if d != p.dept])
        team, group = DEPARTMENTS[other]
        if team not in p.sigma["teams"]:
            p.sigma["teams"].append(team)
            p.idp["groups"].append(group)
    # leadership: explicit map Leadership -> Executive Dashboards; some sit on Board Reporting
    execs = rng.sample([p for p in people if p.dept in ("Finance", "Sales EMEA", "Sales Americas",
                                                        "Marketing", "Operations")], 5)
    for i, p in enumerate(execs):
        p.title = "Vice President"
        p.sigma["teams"].append("Executive Dashboards")
        p.idp["groups"].append("Leadership")
        if i < 3:
            p.sigma["teams"].append("Board Reporting")
    execs[0].sigma["team_admin_of"] = ("Executive Dashboards",)
    # Finance contractors: in Entra they are members of Finance only through the nested group
    contractors = [p for p in people if p.dept == "Finance" and p not in execs][:2]
    for p in contractors:
        p.title = "Contractor"
        p.idp["groups"] = ["Finance Contractors" if g == "Finance" else g for g in p.idp["groups"]]
    # platform engineers: direct members of Data Platform Core instead of the team group
    platform = [p for p in people if p.dept == "Data Engineering"][:2]
    for p in platform:
        p.idp["groups"] = ["Data Platform Core" if g == "sigma-team-Data Engineering" else g
                           for g in p.idp["groups"]] + ["Engineering"]
    # sandbox testers, VPN users, noise
    for p in rng.sample(people, 4):
        p.sigma["teams"].append("Sandbox Testers")
    for p in rng.sample(people, 25):
        p.idp["groups"].append("VPN Users")
    for p in people:
        if p.dept == "Data Engineering" and "Engineering" not in p.idp["groups"]:
            p.idp["groups"].append("Engineering")
    # IdP statuses that still count as active (docs/formats.md §2a)
    for p, status in zip(rng.sample(people, 4), ["PROVISIONED", "LOCKED_OUT", "PASSWORD_EXPIRED",
                                                 "RECOVERY"]):
        p.idp["status"] = status
    # people in IdP only, not assigned to Sigma at all
    for i in range(OUT_OF_SCOPE_COUNT):
        f, l = next_name()
        dept = OUT_OF_SCOPE_DEPTS[i % len(OUT_OF_SCOPE_DEPTS)]
        groups = ["VPN Users"] if i % 3 == 0 else []
        if dept == "IT Support":
            groups.append("Engineering")
        people.append(Person(f, l, dept, case="not-assigned-to-sigma",
                             idp=make_idp(std_email(f, l), groups=groups)))
    return people


# --------------------------------------------------------------------------- building records


class Org:
    """The whole organization, built once, then written in each format."""

    def __init__(self) -> None:
        planted = planted_people()
        self.people = planted + bulk_people(planted)
        self.rng = random.Random(SEED + ":records")
        self.members: list[dict[str, Any]] = []   # Sigma member objects, file order
        self.member_person: dict[str, Person] = {}
        self.email_to_mid: dict[str, str] = {}
        self.teams: dict[str, dict[str, Any]] = {}
        self.team_entries: dict[str, list[dict[str, Any]]] = {}
        self.okta_users: list[dict[str, Any]] = []
        self.okta_by_login: dict[str, dict[str, Any]] = {}
        self.entra_ids: dict[str, str] = {}        # login.lower() -> Entra object id
        self.group_direct: dict[str, list[Person]] = {}
        self.build()

    # -- Sigma
    def _member(self, p: Person, s: dict[str, Any], creator: str) -> dict[str, Any]:
        r = random.Random(f"{SEED}:member:{s['email']}")
        created = rand_time(r, *s["created"])
        updated = created + timedelta(days=r.randrange(0, 700), seconds=r.randrange(86400))
        if updated > EXPORT_TIME - timedelta(days=2):
            updated = EXPORT_TIME - timedelta(days=2 + r.randrange(30), seconds=r.randrange(86400))
        updated = max(updated, created)
        mid = member_id(s["email"])
        m = {
            "organizationId": ORGANIZATION_ID,
            "memberId": mid,
            "memberType": s["type"],
            "firstName": s["first"] or p.first,
            "lastName": s["last"] or p.last,
            "email": s["email"],
            "profileImgUrl": (f"https://avatars.acme.example/{mid}.png" if r.random() < 0.3 else None),
            "createdBy": creator,
            "updatedBy": creator if r.random() < 0.7 else mid,
            "createdAt": stamp(created),
            "updatedAt": stamp(updated),
            "homeFolderId": hash_uuid("home:" + mid),
            "userKind": s["kind"],
            "isArchived": s["archived"],
            "isInactive": s["inactive"],
        }
        return m

    def build(self) -> None:
        # founding admins first: they created everyone else
        tomasz = next(p for p in self.people if p.first == "Tomasz")
        priya = next(p for p in self.people if p.first == "Priya")
        self.founder = member_id(tomasz.sigma["email"])
        self.priya_id = member_id(priya.sigma["email"])
        robot = {
            "organizationId": ORGANIZATION_ID, "memberId": ROBOT_ID, "memberType": "admin",
            "firstName": "Scheduler", "lastName": "Robot", "email": ROBOT_EMAIL,
            "profileImgUrl": None, "createdBy": ROBOT_ID, "updatedBy": ROBOT_ID,
            "createdAt": "2021-01-04T08:00:00.000Z", "updatedAt": "2021-01-04T08:00:00.000Z",
            "homeFolderId": hash_uuid("home:" + ROBOT_ID), "userKind": "internal",
            "isArchived": False, "isInactive": False,
        }
        sigma_rows: list[tuple[Person, dict[str, Any]]] = []
        for p in self.people:
            for s in (p.sigma, p.sigma2):
                if s:
                    sigma_rows.append((p, s))
        built = []
        for p, s in sigma_rows:
            mid = member_id(s["email"])
            creator = self.founder if mid != self.founder else mid
            if mid == self.priya_id:
                creator = self.founder
            elif mid != self.founder and self.rng.random() < 0.4:
                creator = self.priya_id
            m = self._member(p, s, creator)
            built.append((m["createdAt"], m, p, s))
        built.sort(key=lambda x: (x[0], x[1]["memberId"]))
        self.members = [robot] + [m for _, m, _, _ in built]
        for _, m, p, s in built:
            self.member_person[m["memberId"]] = p
            assert m["email"] not in self.email_to_mid
            self.email_to_mid[m["email"]] = m["memberId"]
        self.sigma_of: dict[str, dict[str, Any]] = {m["memberId"]: s for _, m, _, s in built}
        self.members_by_id = {m["memberId"]: m for m in self.members}

        # teams
        for name, (desc, vis, archived) in TEAMS.items():
            r = random.Random(f"{SEED}:team:{name}")
            created = rand_time(r, "2021-01-10", "2023-06-30")
            updated = created + timedelta(days=r.randrange(0, 500))
            team = {
                "teamId": hash_uuid("team:" + name), "name": name, "description": desc,
                "visibility": vis,
                "createdBy": self.founder if r.random() < 0.6 else self.priya_id,
                "updatedBy": self.founder, "createdAt": stamp(created), "updatedAt": stamp(updated),
            }
            if archived:
                team["isArchived"] = True
            self.teams[name] = team
            self.team_entries[name] = []
        for m in self.members[1:]:
            s = self.sigma_of[m["memberId"]]
            for team in s["teams"]:
                self.team_entries[team].append({
                    "userId": m["memberId"],
                    "isTeamAdmin": team in s["team_admin_of"],
                    "addedBy": self.teams[team]["createdBy"],
                })
        for team, entries in self.team_entries.items():
            if entries and not any(e["isTeamAdmin"] for e in entries):
                entries[0]["isTeamAdmin"] = True

        # IdP users
        for p in self.people:
            if not p.idp:
                continue
            d = p.idp
            self.okta_users.append(self._okta_user(p))
            self.okta_by_login[d["login"].lower()] = self.okta_users[-1]
            self.entra_ids[d["login"].lower()] = hash_uuid("entra-user:" + d["upn"].lower())
            for g in d["groups"]:
                self.group_direct.setdefault(g, []).append(p)
        self.okta_users.sort(key=lambda u: (u["created"], u["id"]))

    def _okta_user(self, p: Person) -> dict[str, Any]:
        d = p.idp
        r = random.Random(f"{SEED}:okta:{d['login'].lower()}")
        created = rand_time(r, *d["created"])
        status = d["status"]
        activated = None if status == "STAGED" else created + timedelta(minutes=r.randrange(1, 90))
        last_login = None
        if status not in ("STAGED", "PROVISIONED"):
            last_login = EXPORT_TIME - timedelta(seconds=r.randrange(2 * 3600, 20 * 86400))
        status_changed = activated
        if status in ("SUSPENDED", "DEPROVISIONED", "LOCKED_OUT", "PASSWORD_EXPIRED", "RECOVERY"):
            status_changed = EXPORT_TIME - timedelta(days=r.randrange(3, 120), seconds=r.randrange(86400))
            if last_login and last_login > status_changed:
                last_login = status_changed - timedelta(seconds=r.randrange(3600, 5 * 86400))
        if last_login and last_login < (activated or created):
            last_login = (activated or created) + timedelta(hours=3)
        last_updated = max(t for t in (created, activated, status_changed) if t)
        uid = "00u" + b62("okta-user:" + d["login"].lower(), 17)
        employee_number = None if p.dept == "Partner" else f"E{10000 + int(b62('emp:' + d['login'].lower(), 6), 36) % 90000}"
        profile: dict[str, Any] = {
            "firstName": p.first,
            "lastName": p.last,
            "mobilePhone": None,
            "secondEmail": None,
            "login": d["login"],
            "email": d["email"],
            "displayName": f"{p.first} {p.last}",
            "title": p.title,
            "department": p.dept,
            "organization": d["org"],
            "employeeNumber": employee_number,
        }
        profile.update(d["extra"])
        provider = "ACTIVE_DIRECTORY" if d["login"] == "hlarsen" else "OKTA"
        return {
            "id": uid,
            "status": status,
            "created": stamp(created),
            "activated": stamp(activated) if activated else None,
            "statusChanged": stamp(status_changed) if status_changed else None,
            "lastLogin": stamp(last_login) if last_login else None,
            "lastUpdated": stamp(last_updated),
            "passwordChanged": (stamp((activated or created) + timedelta(days=r.randrange(1, 300)))
                                if status not in ("STAGED", "DEPROVISIONED") else None),
            "type": {"id": "oty" + b62("okta-usertype:default", 17)},
            "profile": profile,
            "credentials": {
                "provider": {"type": provider, "name": provider},
            },
            "_links": {"self": {"href": f"{OKTA_BASE}/api/v1/users/{uid}"}},
        }

    # -- groups
    def all_groups(self) -> list[str]:
        names = [t[3] for t in ACCOUNT_TYPES]
        names += [g for _, g in DEPARTMENTS.values()]
        names += list(EXPLICIT_TEAM_MAP)
        names += list(OTHER_GROUPS)
        return names

    def flattened(self, group: str) -> list[Person]:
        """Users of ``group`` through Entra nesting (cycle-safe), in first-seen order."""
        seen_groups, out, seen = set(), [], set()
        stack = [group]
        while stack:
            g = stack.pop(0)
            if g in seen_groups:
                continue
            seen_groups.add(g)
            for p in self.group_direct.get(g, []):
                if id(p) not in seen:
                    seen.add(id(p))
                    out.append(p)
            stack.extend(ENTRA_NESTING.get(g, []))
        return out

    def group_description(self, name: str) -> str:
        if name in GROUP_TYPE:
            return f"Sigma account type: {GROUP_TYPE[name]}"
        if name in EXPLICIT_TEAM_MAP:
            return "Leadership team"
        if name in OTHER_GROUPS:
            return OTHER_GROUPS[name]
        return f"Sigma team: {name.removeprefix('sigma-team-')}"


# --------------------------------------------------------------------------- writers


def dump_json(path: Path, value: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def write_csv(path: Path, header: list[str], rows: list[list[Any]], *, bom: bool = False,
              delimiter: str = ",", preamble: str | None = None) -> None:
    """CSV as Windows downloads write it: CRLF line ends, minimal quoting."""
    buf = io.StringIO()
    if preamble:
        buf.write(preamble + "\r\n")
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    w.writerow(header)
    for row in rows:
        w.writerow(["" if v is None else v for v in row])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + buf.getvalue().encode("utf-8"))


def write_sigma(org: Org, out: Path) -> None:
    members = org.members
    page_size = 100
    pages = []
    for i in range(0, len(members), page_size):
        chunk = members[i:i + page_size]
        last = i + page_size >= len(members)
        pages.append({"entries": chunk, "nextPage": None if last else b62(f"members-page:{i}", 24)})
    dump_json(out / "members.json", pages)
    teams = sorted(org.teams.values(), key=lambda t: (t["createdAt"], t["teamId"]))
    dump_json(out / "teams.json", {"entries": teams, "nextPage": None})
    dump_json(out / "team_members.json", {
        t["teamId"]: {"entries": org.team_entries[t["name"]], "nextPage": None,
                      "total": len(org.team_entries[t["name"]])}
        for t in teams
    })
    entries = [{"accountTypeId": hash_uuid("accountType:" + name), "accountTypeName": name,
                "description": desc, "isCustom": custom}
               for name, desc, custom, _ in ACCOUNT_TYPES]
    builtin = [e for e in entries if not e["isCustom"]]
    custom = [e for e in entries if e["isCustom"]]
    dump_json(out / "account_types.json", [
        {"entries": builtin, "nextPageToken": b62("accountTypes-page:1", 20)},
        {"entries": custom},
    ])


def write_okta(org: Org, out: Path) -> None:
    dump_json(out / "users.json", org.okta_users)
    groups, members = [], {}
    builtin_everyone = "Everyone"
    names = [builtin_everyone] + org.all_groups()
    for name in names:
        r = random.Random(f"{SEED}:okta-group:{name}")
        gid = "00g" + b62("okta-group:" + name, 17)
        created = rand_time(r, "2020-03-01", "2023-09-30")
        gtype = "BUILT_IN" if name == builtin_everyone else "OKTA_GROUP"
        object_class = ["okta:user_group"]
        profile: dict[str, Any] = {"name": name, "description": org.group_description(name)}
        if name == builtin_everyone:
            profile["description"] = "All users in your organization"
        if name == "Sales Americas":  # imported from Active Directory
            gtype = "APP_GROUP"
            object_class = ["okta:windows_security_principal"]
            profile.update({"description": "Synced from AD", "samAccountName": "Sales Americas",
                            "dn": "CN=Sales Americas,OU=Groups,DC=ad,DC=acme,DC=example",
                            "windowsDomainQualifiedName": "ACME\\Sales Americas",
                            "groupType": "Security", "groupScope": "Global"})
        groups.append({
            "id": gid,
            "created": stamp(created),
            "lastUpdated": stamp(created + timedelta(days=r.randrange(1, 400))),
            "lastMembershipUpdated": stamp(EXPORT_TIME - timedelta(days=r.randrange(1, 40),
                                                                   seconds=r.randrange(86400))),
            "objectClass": object_class,
            "type": gtype,
            "profile": profile,
            "_links": {
                "logo": [{"name": "medium", "href": f"{OKTA_BASE}/assets/img/logos/groups/okta-medium.png",
                          "type": "image/png"}],
                "users": {"href": f"{OKTA_BASE}/api/v1/groups/{gid}/users"},
                "apps": {"href": f"{OKTA_BASE}/api/v1/groups/{gid}/apps"},
            },
        })
        if name == builtin_everyone:
            people_in = [org.okta_by_login[u["profile"]["login"].lower()] for u in org.okta_users
                         if u["status"] != "DEPROVISIONED"]
            members[gid] = people_in
        else:
            members[gid] = [org.okta_by_login[p.idp["login"].lower()] for p in org.flattened(name)]
    dump_json(out / "groups.json", groups)
    dump_json(out / "group_members.json", members)


ENTRA_USER_COLUMNS = [
    "id", "userPrincipalName", "displayName", "surname", "mail", "givenName", "userType",
    "jobTitle", "department", "accountEnabled", "usageLocation", "companyName", "employeeId",
    "createdDateTime", "creationType", "externalUserState", "onPremisesSyncEnabled",
]


def write_entra(org: Org, out: Path) -> None:
    rows = []
    for u in org.okta_users:  # same people, same order (by creation)
        login = u["profile"]["login"].lower()
        p = next(x for x in org.people if x.idp and x.idp["login"].lower() == login)
        d = p.idp
        guest = d["user_type"] == "Guest"
        rows.append([
            org.entra_ids[login], d["upn"], f"{p.first} {p.last}",
            "" if guest else p.last, d["mail"], "" if guest else p.first, d["user_type"],
            "" if guest else p.title, "" if guest else p.dept,
            "True" if d["enabled"] else "False",
            "" if guest else ("DE" if p.dept in ("Sales EMEA",) else "US"),
            d["org"] if not guest else "", u["profile"]["employeeNumber"] or "",
            stamp(datetime.fromisoformat(u["created"].replace("Z", "+00:00")), ms=False),
            "Invitation" if guest else "",
            "Accepted" if guest else "",
            "" if guest else ("True" if d["login"] == "hlarsen" or p.dept == "Sales Americas" else ""),
        ])
    write_csv(out / "users.csv", ENTRA_USER_COLUMNS, rows, bom=True)

    group_ids = {name: hash_uuid("entra-group:" + name) for name in org.all_groups()}
    grows = []
    for name in org.all_groups():
        dynamic = name in ("Sigma-Viewers", "Engineering")
        m365 = name in ("marketing", "Leadership")
        grows.append([group_ids[name], name,
                      f"{name.lower().replace(' ', '-')}@{DOMAIN}" if m365 else "",
                      "Microsoft 365" if m365 else "Security", "Dynamic" if dynamic else "Assigned"])
    write_csv(out / "groups.csv", ["Object ID", "Display name", "Mail", "Group type", "Membership type"],
              grows)

    for name in org.all_groups():
        rows = []
        # Entra ID provisions only an assigned group's direct members (docs/formats.md §3e): an
        # account-type group lists everyone it types directly, its nested group rows kept
        listed = org.flattened(name) if name in GROUP_TYPE else org.group_direct.get(name, [])
        for p in listed:
            rows.append([org.entra_ids[p.idp["login"].lower()], p.idp["upn"],
                         f"{p.first} {p.last}", "User"])
        for nested in ENTRA_NESTING.get(name, []):
            rows.append([group_ids[nested], "", nested, "Group"])
        kw: dict[str, Any] = {}
        if name == "Finance":  # re-saved by Excel in a comma-decimal locale
            kw = {"bom": True, "delimiter": ";"}
        if name == "Leadership":  # an old download with the historical preamble
            kw = {"preamble": "version:v1.0"}
        write_csv(out / "group_members" / f"{name}.csv",
                  ["Object ID", "User principal name", "Display name", "Member type"], rows, **kw)


# --------------------------------------------------------------------------- expectations

#: case -> outcome under the Acme policy (README "The Acme policy"); "okta"/"entra" when they differ.
CASE_OUTCOMES: dict[str, dict[str, str]] = {
    "scim-setup-admin": {"both": "link (email); Admin by precedence over Sigma-Viewers; guarded"},
    "api-credential-owner": {"both": "link (email); IdP says Build: the plan keeps the API credential "
                             "owner Admin and raises a blocking account_types.protected_account item "
                             "(the IdP must assign Admin too)"},
    "admin-downgrade": {"both": "link (email); Admin -> Analyze downgrade of an admin: blocking "
                        "review item unless acknowledged in the policy"},
    "document-owner": {"both": "link (email); Admin unchanged; receives transferred documents"},
    "admin-lowercase-type": {"both": "link (email); memberType 'admin' = accountTypeName 'Admin': "
                             "unchanged, no finding"},
    "idp-deprovisioned-admin": {"both": "IdP user cannot sign in: deactivate (members.deactivate; "
                                "an admin lost; admins remain)"},
    "mixed-case-sigma-email": {"both": "link (email, case-insensitive); no userName guard item"},
    "mixed-case-idp-login": {"both": "link (email, case-insensitive); no userName guard item"},
    "mixed-case-idp-login+upgrade": {"both": "link (email, case-insensitive); no userName guard "
                                     "item; View -> Analyze upgrade"},
    "old-domain": {"both": "without domain_aliases: blocking review item naming both sides (hint "
                   "old domain), no create; with oldacme.example -> acme.example: link "
                   "(domain_alias) plus a blocking userName guard item"},
    "other-email": {"both": "link (other email: userName npatel@ is not the email); blocking "
                    "userName guard item"},
    "duplicate-sigma-member": {"both": "check warns duplicate-email naming both memberIds; one blocking "
                               "duplicate-email review item listing both; override picks bob.ray@ and "
                               "linking.duplicates renames Bob.Ray@ before the link"},
    "plus-address": {"both": "link dana.whitfield@; dana.whitfield+bi@ stays unmatched (deactivate, "
                     "with a plus-address hint), never merged; with plus folding on: ambiguous"},
    "leaver+same-name": {"both": "never linked to jordan.lee2@; same-name hint (a blocking review "
                         "item when name hints are on); once settled: deactivate, documents to "
                         "the document owner"},
    "leaver": {"both": "deactivate (members.deactivate, newOwnerId = document owner)"},
    "service-account": {"both": "kept: excluded from unmatched handling by pattern ^svc-"},
    "service-account+team-leftover": {"both": "kept: excluded by pattern ^svc-; its Data Engineering "
                                      "membership is a leftover (teams.remove_member)"},
    "idp-deprovisioned": {"both": "IdP user cannot sign in: deactivate (members.deactivate)"},
    "idp-suspended": {"okta": "IdP user SUSPENDED, a hold Okta can lift: a blocking unmatched.suspended "
                              "item (unmatched.idp_suspended: review); the reviewed policy's unmatched.decisions "
                              "deactivates him; still in his Supply Chain group (not a leftover)",
                      "entra": "IdP user cannot sign in (accountEnabled False, disabled, no suspension): "
                               "deactivate; still in his Supply Chain group (not a leftover)"},
    "attribute-only": {"okta": "link (attribute sigmaMemberId = memberId) plus a blocking userName "
                       "guard item",
                       "entra": "no key links them: the Entra policy carries an override "
                       "sarah.kim@ -> memberId; then link (override) plus the userName guard item"},
    "guest-with-idp-user": {"okta": "link (email) and convert the guest to internal "
                            "(members.convert_guest); External Viewer unchanged",
                            "entra": "IdP userName is the #EXT# UPN, the email is mail: blocking "
                            "userName guard item unless the policy resolves it; else disable"},
    "guest-without-idp-user": {"both": "disable the guest, documents to the document owner "
                               "(members.disable_guest)"},
    "new-guest-in-idp": {"okta": "create (External Viewer)",
                         "entra": "an IdP guest (#EXT# UPN): not created unless the policy "
                         "creates accounts from IdP guests; then its userName is the #EXT# UPN"},
    "embed-user": {"both": "kept: excluded (userKind embed, pattern @customer-a.example)"},
    "rehire-archived": {"both": "IdP user matches an archived member: review item (reactivate or "
                        "not), never a silent second account"},
    "archived+idp-deprovisioned": {"both": "no action"},
    "archived": {"both": "no action (already deactivated; not counted as a deactivation)"},
    "inactive": {"both": "no action"},
    "inactive+team-leftover": {"both": "no member action; Sales Americas leftover cannot be removed "
                               "(inactive members cannot be removed, docs/sigma-api.md §3.3): report only"},
    "upgrade": {"both": "link; account type upgrade (scim.set_account_type)"},
    "upgrade-to-custom": {"both": "link; Analyze -> Data Steward (custom type) upgrade"},
    "downgrade": {"both": "link; account type downgrade (not an admin: not blocking)"},
    "several-type-groups": {"both": "link; in two type groups, precedence decides: unchanged"},
    "default-type": {"both": "link; in no type group: default View, unchanged"},
    "default-type-downgrade": {"both": "link; in no type group: default View, Analyze -> View "
                               "downgrade"},
    "team-leftover": {"both": "link; removed from the old team (teams.remove_member), added to "
                      "the new one by the group"},
    "apostrophe-email": {"both": "link (email); the apostrophe must survive SCIM filters"},
    "accented-name": {"both": "link (email); names kept in UTF-8"},
    "new-hire": {"both": "create (scim.create_user) with the group's account type, joins teams"},
    "new-hire+nested-group": {"both": "create (Act); Finance member only through the nested "
                              "Finance Contractors group in Entra"},
    "new-hire+same-name": {"both": "never linked to jordan.lee@ (same-name hint); once settled: "
                           "create jordan.lee2@"},
    "new-hire-staged": {"both": "not created (Okta STAGED / Entra accountEnabled False)"},
}



def idp_type_of(org: Org, p: Person) -> str:
    """Account type the IdP assigns: highest-precedence type group (flattened), else the default."""
    hits = {GROUP_TYPE[g] for g in GROUP_TYPE if any(q is p for q in org.flattened(g))}
    for t in PRECEDENCE:
        if t in hits:
            return t
    return DEFAULT_TYPE


def group_for_team(team: str) -> str | None:
    for group, t in EXPLICIT_TEAM_MAP.items():
        if t == team:
            return group
    for dept, (t, g) in DEPARTMENTS.items():
        if t == team:
            return g
    return None


def build_expected(org: Org) -> dict[str, Any]:
    canon = {t.lower(): t for t in PRECEDENCE}
    mid_of = {id(p): member_id(p.sigma["email"]) for p in org.people if p.sigma}

    def ids(p: Person) -> dict[str, Any]:
        row: dict[str, Any] = {"name": f"{p.first} {p.last}"}
        for label, s in (("sigma", p.sigma), ("sigma_second", p.sigma2)):
            if s:
                row[label] = {"memberId": member_id(s["email"]), "email": s["email"],
                              "memberType": s["type"], "userKind": s["kind"],
                              "isArchived": s["archived"], "isInactive": s["inactive"]}
        if p.idp:
            u = org.okta_by_login[p.idp["login"].lower()]
            row["idp"] = {"okta_id": u["id"], "entra_id": org.entra_ids[p.idp["login"].lower()],
                          "userName_okta": p.idp["login"], "userName_entra": p.idp["upn"],
                          "email": p.idp["email"], "status_okta": p.idp["status"],
                          "accountEnabled_entra": p.idp["enabled"], "groups_direct": p.idp["groups"]}
        return row

    cases: dict[str, dict[str, Any]] = {}
    for p in org.people:
        if p.case and p.case != "not-assigned-to-sigma":
            case = cases.setdefault(p.case, {"outcome": CASE_OUTCOMES[p.case], "people": []})
            case["people"].append(ids(p))
    assert set(cases) == set(CASE_OUTCOMES), set(cases) ^ set(CASE_OUTCOMES)
    cases["not-assigned-to-sigma"] = {
        "outcome": {"both": "IdP users in no Sigma group: out of scope, nothing planned"},
        "people": [p.idp["email"] for p in org.people if p.case == "not-assigned-to-sigma"]}

    # account types for every linkable pair (same email key, both sides present)
    types = []
    for p in org.people:
        if not (p.sigma and p.idp) or p.sigma["archived"] or p.sigma["inactive"]:
            continue
        if p.idp["status"] in ("DEPROVISIONED",):
            continue
        before = canon[p.sigma["type"].lower()]
        after = idp_type_of(org, p)
        if before == after:
            change = "unchanged"
        else:
            change = "upgrade" if PRECEDENCE.index(after) < PRECEDENCE.index(before) else "downgrade"
        types.append({"email": p.sigma["email"], "memberId": mid_of[id(p)],
                      "memberType": p.sigma["type"], "before": before, "after": after,
                      "change": change})
    changes = [t for t in types if t["change"] != "unchanged"]

    teams = []
    for name, team in org.teams.items():
        group = group_for_team(name)
        in_team = [e["userId"] for e in org.team_entries[name]]
        row: dict[str, Any] = {"team": name, "teamId": team["teamId"],
                               "archived": bool(team.get("isArchived")), "group": group,
                               "members_before": len(in_team)}
        if group is None:
            row["mode"] = "unmanaged"
        else:
            row["mode"] = "link"
            group_people = org.flattened(group)
            group_mids = {member_id(p.sigma["email"]) for p in group_people if p.sigma}
            row["leftovers"] = [{"memberId": m, "email": org.members_by_id[m]["email"],
                                 "isInactive": org.members_by_id[m]["isInactive"]}
                                for m in in_team if m not in group_mids]
            row["group_members_not_in_team"] = [
                p.idp["email"] for p in group_people
                if not (p.sigma and member_id(p.sigma["email"]) in in_team)]
        teams.append(row)
    for group in ("sigma-team-Customer Success", "sigma-team-Revenue Operations"):
        teams.append({"team": group.removeprefix("sigma-team-"), "teamId": None, "group": group,
                      "mode": "create", "members_before": 0,
                      "group_members": [p.idp["email"] for p in org.flattened(group)]})

    seats_before: dict[str, int] = {}
    for m in org.members[1:]:
        if m["isArchived"] or m["isInactive"] or m["userKind"] != "internal":
            continue
        t = canon[m["memberType"].lower()]
        seats_before[t] = seats_before.get(t, 0) + 1

    def person(first: str, last: str) -> Person:
        return next(p for p in org.people if p.first == first and p.last == last)

    priya, marcus, tomasz = person("Priya", "Raman"), person("Marcus", "Webb"), person("Tomasz", "Nowak")
    return {
        "organization": {"organizationId": ORGANIZATION_ID, "name": "Acme Corp",
                         "domain": DOMAIN, "old_domain": OLD_DOMAIN},
        "generated_by": "samples/make_samples.py",
        "guards": {
            "scim_setup_admin": {"email": priya.sigma["email"], "memberId": mid_of[id(priya)]},
            "api_credential_owner": {"email": marcus.sigma["email"], "memberId": mid_of[id(marcus)]},
            "document_owner": {"email": tomasz.sigma["email"], "memberId": mid_of[id(tomasz)]},
            "scheduler_robot": {"email": ROBOT_EMAIL, "memberId": ROBOT_ID},
        },
        "policy_assumed": {
            "account_type_groups": TYPE_GROUP,
            "precedence": PRECEDENCE,
            "default_type": DEFAULT_TYPE,
            "team_map": EXPLICIT_TEAM_MAP,
            "team_name_rules": ["exact (link)", "case-insensitive (link)",
                                f"regex {TEAM_REGEX} -> \\1 (link or create)"],
            "domain_aliases": {OLD_DOMAIN: DOMAIN},
            "unmatched_exclude_patterns": [r"^svc-[^@]+@acme\.example$", r"@customer-a\.example$"],
        },
        "counts": {
            "sigma_members": len(org.members),
            "sigma_people": len(org.members) - 1,
            "sigma_teams": len(org.teams),
            "team_memberships": sum(len(v) for v in org.team_entries.values()),
            "idp_users": len(org.okta_users),
            "idp_groups_okta": len(org.all_groups()) + 1,
            "idp_groups_entra": len(org.all_groups()),
            "active_internal_seats_before": dict(sorted(seats_before.items())),
        },
        "cases": cases,
        "account_type_changes": changes,
        "teams": teams,
    }


POLICY_TEMPLATE = """\
# The Acme policy ({flavour} flavour): the decisions samples/acme/README.md assumes, for
# `sigma-migrate plan --sigma samples/acme/sigma --idp samples/acme/{flavour} --policy <this>`.
# Written by samples/make_samples.py. Reference of every key: docs/policy.md.
version: 1
organization:
  name: Acme Corp
  scim_setup_admin: {scim_setup_admin}
  api_credential_owner: {api_credential_owner}
  document_owner: {document_owner}
scope:
  groups: [{scope}]
linking:
  match_keys: [{match_keys}]
  domain_aliases: {{{old}: {new}}}
  overrides:
    # case 4: the duplicate Bob Ray; the lower-case member is the one in use
    - {{idp: bob.ray@acme.example, member: {bob}}}
{extra_overrides}account_types:
  group_map: {{{group_map}}}
  precedence: [{precedence}]
  default: {default}
  on_downgrade: allow
guests:
  action: convert
teams:
  map: {{{team_map}}}
  rules:
    - match: exact
    - match: case_insensitive
    - {{match: regex, pattern: '{regex}', replace: '\\1'}}
  mode: create
  leftovers: remove
unmatched:
  action: deactivate
  exclude_patterns: ['^svc-[^@]+@acme\\.example$', '@customer-a\\.example$']
"""


def write_policies(org: Org, out: Path, expected: dict[str, Any]) -> None:
    """``policy-okta.yaml`` / ``policy-entra.yaml``: the Acme policy in the planner's schema."""
    guards = expected["guards"]
    bob = member_id(f"bob.ray@{DOMAIN}")
    sarah = member_id(f"sarah.oconnor@{DOMAIN}")
    scope = [t[3] for t in ACCOUNT_TYPES] + list(EXPLICIT_TEAM_MAP)
    scope += [g for _, g in DEPARTMENTS.values() if not g.startswith("sigma-team-")]
    scope.append('"re:^sigma-team-.+$"')

    def flow(items: list[str]) -> str:
        return ", ".join(items)

    for flavour in ("okta", "entra"):
        extra = ""
        if flavour == "entra":
            # no attribute match key: a key no IdP user has a value for links no one and blocks the plan
            extra = ("    # case 6: Entra's CSV cannot carry sigmaMemberId; Sarah Kim is Sarah O'Connor\n"
                     f"    - {{idp: sarah.kim@acme.example, member: {sarah}}}\n")
        text = POLICY_TEMPLATE.format(
            flavour=flavour,
            scim_setup_admin=guards["scim_setup_admin"]["email"],
            api_credential_owner=guards["api_credential_owner"]["email"],
            document_owner=guards["document_owner"]["email"],
            scope=flow(scope), old=OLD_DOMAIN, new=DOMAIN, bob=bob, extra_overrides=extra,
            match_keys=flow(["user_name", "emails", "domain_aliases"]
                            + (["{attribute: {idp: sigmaMemberId, sigma: memberId}}"] if flavour == "okta" else [])),
            group_map=flow([f"{g}: {t}" for t, g in TYPE_GROUP.items()]),
            precedence=flow(PRECEDENCE), default=DEFAULT_TYPE,
            team_map=flow([f"{t}: {g}" for g, t in EXPLICIT_TEAM_MAP.items()]),
            regex=TEAM_REGEX,
        )
        (out / f"policy-{flavour}.yaml").write_text(text, encoding="utf-8")
        (out / f"policy-{flavour}-reviewed.yaml").write_text(
            reviewed_policy(text, flavour), encoding="utf-8")


def reviewed_policy(text: str, flavour: str) -> str:
    """The Acme policy after a reviewer settled every blocking review item of its plan."""
    text = text.replace(
        f"# The Acme policy ({flavour} flavour): the decisions samples/acme/README.md assumes, for\n",
        f"# The Acme policy ({flavour} flavour) after review: every blocking item of its plan settled\n"
        "# (README \"After review\"), so the plan can be approved and applied. For\n")
    text = text.replace(
        "account_types:\n",
        "    # case 7: a different person with the same name; create jordan.lee2@, deactivate jordan.lee@\n"
        f"    - {{idp: jordan.lee2@{DOMAIN}, member: never}}\n"
        "    # case 25: Ruth Adler is back under an IdP account made after her archive, which\n"
        "    # linking.archived_members does not decide: reactivate her archived member and link it\n"
        f"    - {{idp: ruth.adler@{DOMAIN}, member: {member_id(f'ruth.adler@{DOMAIN}')}}}\n"
        "  # an archived member whose IdP user is older than the archive (archived in Sigma only) is reactivated\n"
        "  archived_members: reactivate\n"
        "  # case 4: free Bob.Ray@'s address (the same as bob.ray@'s) before bob.ray@ is linked\n"
        f"  duplicates: {{{member_id(f'Bob.Ray@{DOMAIN}')}: rename}}\n"
        "user_name_guard:\n"
        "  overrides:\n"
        "    # cases 2 and 6: move the members to the address the IdP sends\n"
        + "".join(f"    {u}: update_sigma_email\n" for u in (
            f"robert.chen@{DOMAIN}", f"linda.okafor@{DOMAIN}", f"samuel.diaz@{DOMAIN}",
            f"yuki.sato@{DOMAIN}", f"sarah.kim@{DOMAIN}"))
        + "    # case 3: keep nina.patel@; the Sigma app in the IdP sends her email as userName\n"
        f"    npatel@{DOMAIN}: use_sigma_email\n"
        + ("    # case 16: Carol keeps her address; the app sends mail as userName for her\n"
           "    'carol.nguyen_northpartners.example#EXT#@acme.example': use_sigma_email\n"
           if flavour == "entra" else "")
        + "account_types:\n", 1)
    text = text.replace(
        "  on_downgrade: allow\n",
        "  on_downgrade: allow\n"
        "  # case 11: Helen moves to Finance Systems analysis; accepted\n"
        f"  acknowledged_downgrades: [helen.ortiz@{DOMAIN}]\n"
        "  # case 12: the API credential owner stays Admin (an individual assignment in the IdP)\n"
        f"  overrides: {{marcus.webb@{DOMAIN}: Admin}}\n"
        + ("  # the SCIM-setup admin is in Sigma-Admins and Sigma-Viewers: Entra sends one app role, the\n"
           "  # reviewer confirmed it is Admin\n"
           f"  several_type_groups_confirmed: {{priya.raman@{DOMAIN}: Admin}}\n" if flavour == "entra" else ""))
    if flavour == "okta":
        text = text.replace(
            "unmatched:\n  action: deactivate\n",
            "unmatched:\n  action: deactivate\n"
            "  # case 23: Tom Becker is SUSPENDED in Okta (a hold Okta can lift); he has left: deactivate\n"
            f"  decisions: {{tom.becker@{DOMAIN}: deactivate}}\n", 1)
    if flavour == "entra":
        text = text.replace(
            "  leftovers: remove\n",
            "  leftovers: remove\n"
            "  # case 26: Entra ID pushes a group's direct members only; the Finance contractors and the\n"
            "  # platform engineers stay in their teams, Jonas Weber is not added to Finance\n"
            "  nested_only: keep\n", 1)
    text += (
        "preflight:\n"
        "  # Sigma's SCIM prerequisites the exports cannot show, confirmed by the reviewer\n"
        "  saml_only: true                 # Administration > Authentication: SAML only\n"
        "  previous_scim: removed_by_support  # the earlier SCIM trial (case 24): Sigma support removed it\n"
        "  guests_informed: true           # the guests were told they lose access\n")
    return text


# --------------------------------------------------------------------------- main, check


def generate(out: Path) -> dict[str, Any]:
    org = Org()
    write_sigma(org, out / "sigma")
    write_okta(org, out / "okta")
    write_entra(org, out / "entra")
    expected = build_expected(org)
    dump_json(out / "expected.json", expected)
    write_policies(org, out, expected)
    return expected


def read_csv(path: Path) -> list[dict[str, str]]:
    """Read a CSV the way docs/formats.md §0 says: BOM, ``version:`` preamble, sniffed delimiter."""
    text = path.read_bytes().decode("utf-8-sig")
    lines = text.splitlines(keepends=True)
    if lines and lines[0].lower().startswith("version:"):
        lines = lines[1:]
    header = lines[0]
    delimiter = max([",", ";", "\t"], key=header.count)
    return list(csv.DictReader(io.StringIO("".join(lines)), delimiter=delimiter))


def validate(root: Path) -> list[str]:
    """Referential integrity of a written sample; returns problems (empty = fine)."""
    problems: list[str] = []
    sigma, okta, entra = root / "sigma", root / "okta", root / "entra"
    pages = json.loads((sigma / "members.json").read_text("utf-8"))
    members = [m for page in pages for m in page["entries"]]
    fields = {"organizationId", "memberId", "memberType", "firstName", "lastName", "email",
              "profileImgUrl", "createdBy", "updatedBy", "createdAt", "updatedAt", "homeFolderId",
              "userKind", "isArchived", "isInactive"}
    mids = {m["memberId"] for m in members}
    if len(mids) != len(members):
        problems.append("duplicate memberId")
    for m in members:
        if set(m) != fields:
            problems.append(f"member {m['memberId']} fields {sorted(set(m) ^ fields)}")
        if m["memberId"] != ROBOT_ID and (len(m["memberId"]) != 29 or not m["memberId"].isalnum()):
            problems.append(f"memberId {m['memberId']} not 29 alphanumerics")
        for k in ("createdBy", "updatedBy"):
            if m[k] not in mids:
                problems.append(f"member {m['memberId']} {k} unknown")
    types = {e["accountTypeName"].lower() for page in json.loads((sigma / "account_types.json").read_text("utf-8"))
             for e in page["entries"]}
    for m in members:
        if m["memberType"].lower() not in types:
            problems.append(f"member {m['email']} memberType {m['memberType']} unknown")
    teams = json.loads((sigma / "teams.json").read_text("utf-8"))["entries"]
    team_ids = {t["teamId"] for t in teams}
    tm = json.loads((sigma / "team_members.json").read_text("utf-8"))
    if set(tm) != team_ids:
        problems.append("team_members keys != teams")
    for tid, answer in tm.items():
        for e in answer["entries"]:
            if e["userId"] not in mids or e["addedBy"] not in mids:
                problems.append(f"team {tid}: unknown member {e}")
        if answer["total"] != len(answer["entries"]):
            problems.append(f"team {tid}: total")

    users = json.loads((okta / "users.json").read_text("utf-8"))
    uids = {u["id"] for u in users}
    if len(uids) != len(users):
        problems.append("duplicate okta id")
    groups = json.loads((okta / "groups.json").read_text("utf-8"))
    gm = json.loads((okta / "group_members.json").read_text("utf-8"))
    if set(gm) != {g["id"] for g in groups}:
        problems.append("okta group_members keys != groups")
    by_id = {u["id"]: u for u in users}
    for gid, us in gm.items():
        for u in us:
            if u["id"] not in uids:
                problems.append(f"okta group {gid}: unknown user {u['id']}")
            elif u != by_id[u["id"]]:
                problems.append(f"okta group {gid}: user {u['id']} differs from users.json")

    eu = read_csv(entra / "users.csv")
    if not (entra / "users.csv").read_bytes().startswith(b"\xef\xbb\xbf"):
        problems.append("entra users.csv has no BOM")
    eids = {r["id"] for r in eu}
    eg = read_csv(entra / "groups.csv")
    egids = {r["Object ID"] for r in eg}
    names = {r["Display name"] for r in eg}
    files = {p.stem for p in (entra / "group_members").glob("*.csv")}
    if files != names:
        problems.append(f"entra group files != groups.csv: {sorted(files ^ names)}")
    for f in sorted((entra / "group_members").glob("*.csv")):
        rows = read_csv(f)
        if rows and set(rows[0]) != {"Object ID", "User principal name", "Display name", "Member type"}:
            problems.append(f"{f.name}: header {list(rows[0])}")
        for r in rows:
            target = eids if r["Member type"] == "User" else egids
            if r["Object ID"] not in target:
                problems.append(f"{f.name}: unresolved {r}")
    # same people in both IdP views
    okta_emails = sorted(u["profile"]["email"].lower() for u in users)
    entra_emails = sorted(r["mail"].lower() for r in eu)
    if okta_emails != entra_emails:
        problems.append("okta and entra describe different people")
    return problems


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true",
                    help="regenerate into a temp dir, compare with samples/acme, validate")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            generate(Path(tmp))
            diff = _compare(Path(tmp), args.out)
        problems = validate(args.out) + diff
        for p in problems:
            print("problem:", p)
        print("ok" if not problems else f"{len(problems)} problem(s)")
        return 1 if problems else 0
    expected = generate(args.out)
    problems = validate(args.out)
    for p in problems:
        print("problem:", p)
    print(json.dumps(expected["counts"], indent=2))
    return 1 if problems else 0


def _compare(a: Path, b: Path) -> list[str]:
    out = []
    for f in sorted(a.rglob("*")):
        if f.is_file():
            g = b / f.relative_to(a)
            if not g.exists():
                out.append(f"missing {g}")
            elif not filecmp.cmp(f, g, shallow=False):
                out.append(f"differs from generator: {g}")
    for g in sorted(b.rglob("*")):
        if g.is_file() and g.suffix != ".md" and not (a / g.relative_to(b)).exists():
            out.append(f"not written by generator: {g}")
    return out


if __name__ == "__main__":
    sys.exit(main())
