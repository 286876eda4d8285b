"""A tiny organization planned for real against one IdP export: Marcus (Admin, the protected admin), Ann and Zero
(View), Zero the person a test changes in the IdP export (tests/test_spreadsheet_damage.py,
tests/test_identity_padding.py). The IdP exports are real-format files: Google "Download users", Entra users CSV,
a generic CSV with its mapping."""

from __future__ import annotations

import json
from pathlib import Path

from .conftest import finding_lines, run_cli, write

ORG = "255ae7f7-9a8a-4c14-a5e5-c38f677bcde2"
MARCUS, ANN, ZERO = "o3bcUiNHAhqVu10fs8bWxqfRdo08M", "M0001xxxxxxxxxxxxxxxxxxxxxxxxx", "M0005xxxxxxxxxxxxxxxxxxxxxxxxx"
PROTECTED_POLICY = """version: 1
organization:
  name: Tiny
  scim_setup_admin: marcus.webb@acme.example
  api_credential_owner: marcus.webb@acme.example
  document_owner: marcus.webb@acme.example
preflight:
  saml_only: true
  previous_scim: none
  guests_informed: true
"""
"""The policy's organization (Marcus holds every credential) and preflight answers, and nothing else."""
POLICY = PROTECTED_POLICY + """unmatched:
  action: deactivate
guards:
  thresholds:
    deactivations:
      percent: 100
"""


def member(member_id: str, member_type: str, first: str, email: str) -> dict:
    """One member object of ``GET /v2/members`` (docs/sigma-api.md §2.2): internal, active, last name ``X``."""
    return {"organizationId": ORG, "memberId": member_id, "memberType": member_type, "firstName": first,
            "lastName": "X", "email": email, "userKind": "internal", "isArchived": False, "isInactive": False}


def sigma_export(tmp_path: Path) -> Path:
    """Marcus (Admin), Ann and Zero (View, ``zero.lead@acme.example``): Zero is the person a test changes in the
    IdP export."""
    sigma = tmp_path / "sigma"
    write(sigma / "members.json", json.dumps([
        member(MARCUS, "Admin", "Marcus", "marcus.webb@acme.example"),
        member(ANN, "View", "Ann", "ann.active@acme.example"),
        member(ZERO, "View", "Zero", "zero.lead@acme.example")]))
    write(sigma / "teams.json", '{"entries": [], "nextPage": null}')
    write(sigma / "team_members.json", "{}")
    return sigma


def google_csv(tmp_path: Path, zero: str) -> Path:
    return write(tmp_path / "g" / "User_Download_06122026_173000.csv",
                 "First Name [Required],Last Name [Required],Email Address [Required],Status [READ ONLY]\n"
                 "Marcus,Webb,marcus.webb@acme.example,Active\n"
                 "Ann,Active,ann.active@acme.example,Active\n"
                 f"Zero,Lead,{zero},Active\n").parent


def entra_csv(tmp_path: Path, zero: str) -> Path:
    return write(tmp_path / "entra" / "users.csv",
                 "id,userPrincipalName,displayName,surname,mail,givenName,userType,accountEnabled\n"
                 "1e0952bf-fc29-4d08-9b72-0c50bbe5f3c5,marcus.webb@acme.example,Marcus Webb,Webb,"
                 "marcus.webb@acme.example,Marcus,Member,True\n"
                 "0d1241fc-f95c-465b-9ddf-8e01b1feb609,ann.active@acme.example,Ann Active,Active,"
                 "ann.active@acme.example,Ann,Member,True\n"
                 f"a12ae23d-e684-4205-92f6-d60434d1357b,{zero},Zero Lead,Lead,{zero},Zero,Member,True\n").parent


def generic_csv(tmp_path: Path, zero: str) -> Path:
    folder = tmp_path / "csv"
    write(folder / "mapping.yaml", "columns:\n  id: id\n  userName: userName\n  emails: email\n  givenName: first\n"
                                   "  familyName: last\n  active: active\n")
    write(folder / "users.csv", "id,userName,email,first,last,active\n"
                                "u1,marcus.webb@acme.example,marcus.webb@acme.example,Marcus,Webb,true\n"
                                "u2,ann.active@acme.example,ann.active@acme.example,Ann,Active,true\n"
                                f"u3,{zero},{zero},Zero,Lead,true\n")
    return folder


def plan_and_check(capsys, tmp_path: Path, idp: Path, sigma: Path | None = None, policy: str = POLICY,
                   shown: tuple[str, ...] = ("warning:", "error:")) -> tuple[dict, list[str]]:
    """The plan of the tiny organization (``sigma``, default :func:`sigma_export`; ``policy``) against ``idp`` (exit
    0 pinned) and ``check``'s finding lines starting with one of ``shown`` (:func:`~.conftest.finding_lines`), but
    the ``missing-file`` info of an export without ``account_types.json``."""
    sigma, out = sigma or sigma_export(tmp_path), tmp_path / "p.json"
    policy_file = write(tmp_path / "policy.yaml", policy)
    code, _, err = run_cli(capsys, "plan", "--sigma", str(sigma), "--idp", str(idp), "--policy", str(policy_file),
                           "--out", str(out))
    assert code == 0, err
    code, stdout, _ = run_cli(capsys, "check", "--sigma", str(sigma), "--idp", str(idp))
    assert code == 0
    return json.loads(out.read_text(encoding="utf-8")), [
        line for line in finding_lines(stdout, shown) if not line.endswith("(missing-file)")]


def actions(plan: dict) -> list[str]:
    return sorted(a["id"] for a in plan["actions"])


def blocking(plan: dict) -> list[tuple[str, str]]:
    return [(r["id"], r["message"]) for r in plan["review_items"] if r["blocking"]]
