"""A Google hand-off for a plan without scope.groups says the provisioning scope is all users (tester11 finding 4).

Google's auto-provisioning scope is groups or organizational units, never one person (docs/sigma-api.md §6.3). A
plan without ``scope.groups`` provisions every active user, yet its pack said "the provisioning scope to the groups
in groups.csv" (an empty file) and "assign ... the people in individual_assignments.csv individually": followed,
it provisions nobody. Now step 4 says "all users" and what that takes in (the suspended, deleted and archived
users; the archived ones the plan deactivates itself, on whom Google never acts), step 5 says Google assigns no
person, and the groups section says so (a plan with scope.groups: tests/test_handoff.py). Real files: the tester's Sigma export and Google "Download users" CSV.
"""

from __future__ import annotations

from .conftest import run_cli, write
from .test_generic_group_names import FIXTURES

HEADER = ("First Name [Required],Last Name [Required],Email Address [Required],Password [Required],"
          "Org Unit Path [Required],Status [READ ONLY],Last Sign In [READ ONLY],Employee ID\n")
USERS = [("Marcus", "Webb", "marcus.webb", "Active"), ("Ann", "Active", "ann.active", "Active"),
         ("Bob", "Build", "bob.build", "Suspended"), ("Zero", "Lead", "zero.lead", "Archived"),
         ("Carl", "Case", "carl.case", "Active"), ("Dora", "New", "dora.new", "Active")]
# a users CSV has no groups; this Google admin suspends every leaver: unmatched.idp_suspended: deactivate
POLICY = (FIXTURES / "policy.yaml").read_text() + ("    deactivations: {percent: 100}\nunmatched:\n  action: deactivate\n"
                                                   "  idp_suspended: deactivate\nteams: {rules: []}\n")


def pack(capsys, tmp_path, policy: str) -> str:
    """README.md of the Google pack of the tester's plan under ``policy``."""
    write(tmp_path / "google" / "User_Download_06122026_233000.csv", HEADER + "".join(
        f"{first},{last},{login}@acme.example,****,/,{status},2025/05/21 09:14:55,E{n}\n"
        for n, (first, last, login, status) in enumerate(USERS, 1)))
    write(tmp_path / "pol.yaml", policy)
    plan = tmp_path / "p.json"
    code, _, err = run_cli(capsys, "plan", "--sigma", str(FIXTURES / "sigma"), "--idp", str(tmp_path / "google"),
                           "--policy", str(tmp_path / "pol.yaml"), "--out", str(plan))
    assert code == 0, err
    code, out, err = run_cli(capsys, "handoff", str(plan), "--idp", "google", "--out", str(tmp_path / "ho"))
    assert code == 0, err
    return (tmp_path / "ho" / "README.md").read_text(encoding="utf-8")


def test_without_scope_groups_the_google_scope_is_all_users_and_no_one_is_assigned(capsys, tmp_path):
    readme = pack(capsys, tmp_path, POLICY)
    steps = [line for line in readme.splitlines() if line[:3] in ("5. ", "6. ")]
    # was: "the provisioning scope to the groups in groups.csv" (empty) and "the people in individual_assignments.csv
    # individually"
    assert steps == [
        "5. In the Google Admin console > Apps > Web and mobile apps > the Sigma app > Auto-provisioning (Google "
        "offers it for the apps of its catalogue; that it offers Sigma is not established, docs/sigma-api.md §6.3): "
        "authorize it with the Directory Base URL and the same bearer token, set the attribute mappings below, the "
        "provisioning scope to all users and the deprovisioning settings, then turn auto-provisioning on (users sync "
        "every few hours). Provisioning scope all users: the organization's top organizational unit, since the plan "
        "has no scope.groups and provisions every active user of the export (4 linked or created); it takes in the "
        "suspended and deleted users too, which Google deprovisions as the deprovisioning settings say, and the "
        "archived ones, on which Google never acts (docs/sigma-api.md §6.3): the plan deactivates the 1 archived "
        "user(s) itself (zero.lead@acme.example), and they stay deactivated.",
        "6. Assign nothing else: the provisioning scope all users (step 5) provisions everyone, and Google assigns no "
        "person individually (docs/sigma-api.md §6.3): the people in individual_assignments.csv get their account "
        "type from their Directory attribute (step 4)."]
    groups = readme.split("## Groups to assign to the Sigma app (groups.csv)\n\n")[1].split("\n## ")[0]
    assert groups == ("The provisioning scope is all users (step 5): the plan has no scope.groups, and Google assigns "
                      "no person individually.\n\nNone.\n")
    assert "groups in groups.csv" not in readme

