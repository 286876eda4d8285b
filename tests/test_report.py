"""The HTML report and the CSV of actions (planner.report), on a hand-made plan covering every section.

``build_plan()`` is also used by tests/test_report_browser.py.
"""

from __future__ import annotations

import csv
import io
import json
import re

import msgspec
import pytest
from msgspec import to_builtins as wire
from msgspec.structs import replace

from planner import cli as cli_module
from planner.model import (
    NO_EVIDENCE,
    ItemEvidence,
    PlanSummary,
    ActionKind, AdminChange, DocumentDestination, DocumentTransfer, InputFile, ItemRef, Lockout, Outcomes, OwnerStatus,
    PersonRow, Plan, PlanOrganization, PlanPolicy, ReviewItem, TeamRow, TypeChange,
)
from planner.result_file import result_record
from planner.outcomes import outcome_counts
from planner.planfile import canonical_json, write_plan
from planner.policy_reader import parse_policy
from planner.report import (
    PAGE_SIZE,
    ReportError,
    actions_csv,
    cell_text,
    flat_text,
    neutralize_cell,
    render_html,
    report_headline,
    risk_summary,
    script_json,
    seat_counts,
    stream_html,
    type_transitions,
    write_actions_csv,
)

from .execute_support import act
from .plan_factory import EMPTY_SUMMARY, bare_plan

INJECTED = "<img src=x onerror=alert(1)>"
QUOTED = "Miles \"Mo\" O'Brien"

K = ActionKind
L = Lockout
T = TypeChange


def _person(member_id, email, name, before, after, *, idp_id=None, user_name=None, link_key=None,
            user_kind="internal", status="active", idp_status=None, actions=(), review=(),
            lockout=None, type_change=None, admin_change=None, scim_managed=None):
    return PersonRow(
        member_id=member_id, email=email, name=name, member_type=before, user_kind=user_kind,
        sigma_status=status, idp_id=idp_id, user_name=user_name, idp_status=idp_status,
        link_key=link_key, account_type_before=before, account_type_after=after,
        actions=tuple(actions), review_items=tuple(review),
        lockout=lockout, type_change=type_change, admin_change=admin_change, account_type_source=None,
        scim_managed=scim_managed,
    )


def build_plan(extra_people: tuple[PersonRow, ...] = ()) -> Plan:
    """A small plan touching every section of the report, with the outcomes the planner decides
    (lock-outs, account-type and admin changes, owners, document transfers, seats) written out.

    People: m1 Ada (Admin, provisioning owner, linked), m2 Bob (Pro -> Viewer downgrade),
    m3 Carol (guest, disabled, documents to m1), m4 Dan (unmatched, deactivated, documents
    to m1), m5 Eve (unmatched, kept), m6 the injected display name (blocking review),
    m7 a quoted name (Admin -> Creator), 00u8 a new hire (created as Viewer), m9 ops
    (credential owner, Admin -> Viewer), m10 Frank (IdP SUSPENDED, SCIM deactivation),
    m11 Gus (Viewer -> Creator upgrade), m12 an archived member (no change), m14 Hal
    (unmatched, in a blocking review), m15 Ivy (IdP SUSPENDED, deactivated, no document owner).
    """
    user = {"givenName": "G", "familyName": "F", "active": True}
    actions = (
        act("a-link-m1", K.SCIM_LINK_USER, {"memberId": "m1", "email": "ada@acme.example", "userName": "ada@acme.example"},
            {"userName": "ada@acme.example", **user}, rule="linking.email", reason="same email"),
        act("a-type-m2", K.SCIM_SET_ACCOUNT_TYPE, {"memberId": "m2", "email": "bob@acme.example"},
            {"userType": "Viewer"}, before={"memberType": "Pro"}, rule="account_types.group_map",
            reason="in group Sigma-Viewers", evidence={"change": "downgrade", "groups": ["Sigma-Viewers"]}),
        act("a-guest-m3", K.MEMBERS_DISABLE_GUEST, {"memberId": "m3", "email": "carol@partner.example"},
            {"isArchived": True, "newOwnerId": "m1"}, rule="guests.disable", reason="guest; SCIM disables guests"),
        act("a-deact-m4", K.MEMBERS_DEACTIVATE, {"memberId": "m4", "email": "-dan@acme.example"},
            {"isArchived": True, "newOwnerId": "m1"}, rule="unmatched.deactivate", reason="=HYPERLINK(\"x\")"),
        act("a-link-m6", K.SCIM_LINK_USER, {"memberId": "m6", "email": "x@acme.example", "userName": "x@acme.example"},
            {"userName": "x@acme.example", **user}, rule="linking.email", reason="same email"),
        act("a-type-m7", K.SCIM_SET_ACCOUNT_TYPE, {"memberId": "m7", "email": "o'brien@acme.example"},
            {"userType": "Creator"}, before={"memberType": "Admin"}, rule="account_types.group_map",
            reason="in group Sigma-Creators", evidence={"change": "downgrade"}),
        act("a-create-8", K.SCIM_CREATE_USER, {"userName": "new@acme.example", "email": "new@acme.example"},
            {"userName": "new@acme.example", "userType": "Viewer", **user}, rule="linking.create", reason="new hire"),
        act("a-type-m9", K.SCIM_SET_ACCOUNT_TYPE, {"memberId": "m9", "email": "ops@acme.example"},
            {"userType": "Viewer"}, before={"memberType": "Admin"}, rule="account_types.default",
            reason="default type", evidence={}),
        act("a-scimdeact-m10", K.SCIM_DEACTIVATE_USER, {"memberId": "m10", "email": "frank@acme.example",
                                                        "userName": "frank@acme.example"},
            {"active": False}, rule="linking.idp_inactive", reason="IdP status SUSPENDED"),
        act("a-deact-m15", K.MEMBERS_DEACTIVATE, {"memberId": "m15", "email": "ivy@acme.example"},
            {"isArchived": True, "newOwnerId": None}, rule="unmatched.idp_inactive", reason="IdP user SUSPENDED"),
        act("a-type-m11", K.SCIM_SET_ACCOUNT_TYPE, {"memberId": "m11", "email": "gus@acme.example"},
            {"userType": "Creator"}, before={"memberType": "Viewer"}, rule="account_types.group_map",
            reason="in group Sigma-Creators", evidence={"change": "upgrade"}),
        act("a-group-fin", K.SCIM_LINK_GROUP, {"teamId": "t1", "name": "Finance"}, {"displayName": "Finance"},
            before={"name": "Finance"}, rule="teams.link", reason="same name"),
        act("a-rm-fin-m5", K.TEAMS_REMOVE_MEMBER, {"teamId": "t1", "name": "Finance", "memberId": "m5"}, None,
            rule="teams.leftovers", reason="not in group Finance"),
        act("a-group-mkt", K.SCIM_CREATE_GROUP, {"name": "Marketing"}, {"displayName": "Marketing"},
            rule="teams.create", reason="group Marketing"),
    )
    people = (
        _person("m1", "ada@acme.example", "Ada Admin", "Admin", "Admin", idp_id="00u1",
                user_name="ada@acme.example", link_key="email", idp_status="ACTIVE", actions=["a-link-m1"]),
        _person("m2", "bob@acme.example", "Bob Ray", "Pro", "Viewer", idp_id="00u2",
                user_name="bob@acme.example", link_key="email", idp_status="ACTIVE", actions=["a-type-m2"],
                type_change=T.DOWNGRADE),
        _person("m3", "carol@partner.example", "Carol Guest", "Viewer", None, user_kind="guest",
                actions=["a-guest-m3"], lockout=L.GUEST_DISABLED),
        _person("m4", "dan@acme.example", "Dan Leaver", "Pro", None, actions=["a-deact-m4"], lockout=L.DEACTIVATED),
        _person("m5", "eve@acme.example", "Eve Unmatched", "Viewer", "Viewer", actions=["a-rm-fin-m5"],
                lockout=L.UNMATCHED_KEPT),
        _person("m6", "x@acme.example", INJECTED, "Viewer", "Viewer", idp_id="00u6",
                user_name="x@acme.example", link_key="email", actions=["a-link-m6"], review=["r-ambiguous-1"]),
        _person("m7", "o'brien@acme.example", QUOTED, "Admin", "Creator", idp_id="00u7",
                user_name="o'brien@acme.example", link_key="email", actions=["a-type-m7"],
                review=["r-username-2"], type_change=T.DOWNGRADE, admin_change=AdminChange.LOSES),
        _person(None, None, "Nia New", None, "Viewer", idp_id="00u8", user_name="new@acme.example",
                user_kind=None, status=None, idp_status="ACTIVE", actions=["a-create-8"]),
        _person("m9", "ops@acme.example", "Ops Robot", "Admin", "Viewer", idp_id="00u9",
                user_name="ops@acme.example", link_key="email", actions=["a-type-m9"],
                type_change=T.DOWNGRADE, admin_change=AdminChange.LOSES),
        _person("m10", "frank@acme.example", "Frank Away", "Pro", "Pro", idp_id="00u10",
                user_name="frank@acme.example", link_key="email", idp_status="SUSPENDED",
                actions=["a-scimdeact-m10"], lockout=L.DEACTIVATED),
        _person("m11", "gus@acme.example", "Gus Up", "Viewer", "Creator", idp_id="00u11",
                user_name="gus@acme.example", link_key="other_email", actions=["a-type-m11"],
                type_change=T.UPGRADE),
        _person("m12", "old@acme.example", "Olga Archived", "Viewer", None, status="archived"),
        _person("m14", "hal@acme.example", "Hal Pending", "Viewer", "Viewer", review=["r-unmatched-3"],
                lockout=L.UNMATCHED_REVIEW),
        _person("m15", "ivy@acme.example", "Ivy Leaver", "Pro", None, idp_id="00u15",
                user_name="ivy@acme.example", link_key="email", idp_status="SUSPENDED",
                actions=["a-deact-m15"], lockout=L.DEACTIVATED),
    ) + extra_people
    review_items = (
        ReviewItem(
            "r-ambiguous-1", "ambiguous-link", True, ItemRef(idp_id="00u6", user_name="x@acme.example"),
            "00u6 x@acme.example matches 2 Sigma members",
            candidates=(
                ItemRef(member_id="m6", email="x@acme.example", name=INJECTED, joined=["email"]),
                ItemRef(member_id="m13", email="X@acme.example", joined=["email"], status="</script><!--"),
            ),
            evidence=ItemEvidence(key="email", edges=[["m6", "00u6", "email", "x@acme.example", "email", "x@acme.example"]]),
            rule="linking.ambiguous",
            resolution="linking:\n  overrides:\n    - idp: 00u6\n      member: m6\n",
        ),
        ReviewItem(
            "r-username-2", "username-change", False, ItemRef(member_id="m7"),
            "userName differs from the Sigma email: would create a second account",
            candidates=(ItemRef(member_id="m7", email="o'brien@acme.example", joined=["other_email"]),), evidence=NO_EVIDENCE,
            rule="linking.username_guard",
            resolution="linking:\n  username_changes:\n    m7: keep_sigma_email\n",
        ),
        ReviewItem(
            "r-unmatched-3", "unmatched.review", True, ItemRef(member_id="m14", email="hal@acme.example"),
            "hal@acme.example has no IdP identity: keep, deactivate or link?",
            candidates=(), evidence=ItemEvidence(kind="unmatched", member_type="Viewer", user_kind="internal"), rule="unmatched.review",
            resolution="unmatched:\n  overrides:\n    hal@acme.example: keep\n",
        ),
    )
    teams = (
        TeamRow("t1", "Finance", "g1", "Finance", "link", 3, 2, 0, 1, ("a-group-fin", "a-rm-fin-m5"), False),
        TeamRow(None, "Marketing", "g2", "Marketing", "create", 0, 4, 4, 0, ("a-group-mkt",), False),
        TeamRow("t3", "Legacy BI", None, None, "unmanaged", 5, 5, 0, 0, (), False),
        TeamRow("t4", "Old Project", "g4", "Old Project", "link", 2, 0, 0, 2, (), False),
    )
    return bare_plan(
        organization=PlanOrganization("org-1", "Acme <Analytics> & Co"),
        inputs=(
            InputFile("samples/acme/sigma/members.json", "a" * 64, "sigma-members", 12),
            InputFile("samples/acme/okta/users.json", "b" * 64, "okta-users", 10),
        ),
        policy=PlanPolicy("policies/default.yaml", "c" * 64, msgspec.Raw(canonical_json(parse_policy(
            "organization:\n  scim_setup_admin: ada@acme.example\n  api_credential_owner: ops@acme.example\n"
        ).resolved()))),
        actions=actions,
        review_items=review_items,
        summary=msgspec.convert({
            "actions": {}, "total_actions": 0, "changes": False, "text": "",
            "outcomes": msgspec.to_builtins(outcome_counts(people)),
            "guards": [
                {"name": "last-admin", "ok": True, "detail": "2 active admins remain"},
                {"name": "deactivation-threshold", "ok": False, "detail": "3 of 12 (25%) > 10%"},
            ],
            "seats": {"Admin": {"before": 3, "after": 1, "pending": 0}, "Creator": {"before": 0, "after": 2, "pending": 0},
                      "Pro": {"before": 4, "after": 0, "pending": 0}, "Viewer": {"before": 5, "after": 6, "pending": 0}},
        }, PlanSummary),
        people=people,
        teams=teams,
        outcomes=Outcomes(
            owners=(
                OwnerStatus("scim_setup_admin", "ada@acme.example", "m1", "ada@acme.example", "Admin", "Admin", None,
                            True, "ada@acme.example stays active with account type Admin"),
                OwnerStatus("api_credential_owner", "ops@acme.example", "m9", "ops@acme.example", "Admin", "Viewer",
                            None, False, "api_credential_owner ops@acme.example: would have account type 'Viewer', "
                                         "not admin (default type); apply's API credentials belong to them"),
            ),
            document_transfers=(
                DocumentTransfer("a-guest-m3", K.MEMBERS_DISABLE_GUEST, "m3", "carol@partner.example",
                                 DocumentDestination.MEMBER, "m1", "ada@acme.example"),
                DocumentTransfer("a-deact-m4", K.MEMBERS_DEACTIVATE, "m4", "-dan@acme.example",
                                 DocumentDestination.MEMBER, "m1", "ada@acme.example"),
                DocumentTransfer("a-scimdeact-m10", K.SCIM_DEACTIVATE_USER, "m10", "frank@acme.example",
                                 DocumentDestination.PROVISIONING_OWNER, "m1", "ada@acme.example"),
                DocumentTransfer("a-deact-m15", K.MEMBERS_DEACTIVATE, "m15", "ivy@acme.example",
                                 DocumentDestination.UNNAMED, None, None),
            ),
        ),
        tool_version="0.1.0",
        created_at="2026-01-02T03:04:05Z",
        digest="sha256:" + "d" * 64,
    )


# --------------------------------------------------------------------------- CSV


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+41 22 000", "'+41 22 000"),
        ("-2", "'-2"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
        ("a=b", "a=b"),
        ("bob@acme.example", "bob@acme.example"),
        (" =1", " =1"),
        ("", ""),
    ],
)
def test_neutralize_cell(value, expected):
    assert neutralize_cell(value) == expected


def test_flat_text():
    assert flat_text(None) == ""
    assert flat_text({"memberId": "m1", "isArchived": True, "newOwnerId": None}) == (
        "memberId=m1; isArchived=true; newOwnerId=null"
    )
    assert flat_text({"members": ["m1", "m2"]}) == 'members=["m1","m2"]'
    assert flat_text(["a", 1]) == "a, 1"


def test_actions_csv_exact():
    plan = bare_plan(
        actions=(
            act("a1", K.SCIM_LINK_USER, {"memberId": "m1", "email": "a@x.example", "userName": "a@x.example"},
                {"userName": "a@x.example", "givenName": "A", "familyName": "X", "active": True},
                before={"memberType": "Viewer", "userKind": "internal"}, evidence={"key": "email", "idpField": "email"},
                rule="linking.email", reason="same email"),
            act("a2", K.MEMBERS_DEACTIVATE, {"memberId": "m2", "email": "-b@x.example"},
                {"isArchived": True, "newOwnerId": "m1"}, before={"isArchived": False, "memberType": "Viewer"},
                rule="unmatched.deactivate", reason="=HYPERLINK(\"http://evil\",\"x\")"),
            act("a3", K.TEAMS_REMOVE_MEMBER, {"teamId": "t1", "name": "Finance", "memberId": "@m3", "email": None},
                None, before={"userId": "@m3", "isTeamAdmin": False}, rule="teams.leftovers",
                reason="+not in group, \"Finance\""),
        ),
    )
    assert actions_csv(plan) == (
        "id,kind,target,before,after,rule,reason\r\n"
        "a1,scim.link_user,memberId=m1; email=a@x.example; userName=a@x.example; idpId=idp-1,"
        "memberType=Viewer; userKind=internal,userName=a@x.example; givenName=A; familyName=X; active=true,"
        "linking.email,same email\r\n"
        "a2,members.deactivate,memberId=m2; email=-b@x.example,isArchived=false; memberType=Viewer,"
        "isArchived=true; newOwnerId=m1,unmatched.deactivate,\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\"\r\n"
        "a3,teams.remove_member,teamId=t1; name=Finance; memberId=@m3; email=null,userId=@m3; isTeamAdmin=false,,"
        "teams.leftovers,\"'+not in group, \"\"Finance\"\"\"\r\n"
    )


def test_actions_csv_neutralizes_every_cell(tmp_path):
    plan = build_plan()
    path = write_actions_csv(plan, tmp_path / "actions.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ["id", "kind", "target", "before", "after", "rule", "reason"]
    assert len(rows) == 1 + len(plan.actions)
    deact = next(r for r in rows if r[0] == "a-deact-m4")
    assert deact[5:] == ["unmatched.deactivate", "'=HYPERLINK(\"x\")"]
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


# --------------------------------------------------------------------------- the plan's decisions, laid out


def test_risk_summary_lays_out_the_plans_outcomes():
    plan = build_plan()
    risk = risk_summary(plan)
    assert [r.id for r in risk["blocking"]] == ["r-ambiguous-1", "r-unmatched-3"]
    ids = {code: [p["member_id"] for p in refs] for code, refs in risk["lockout"].items()}
    assert ids == {
        "deactivated": ["m4", "m10", "m15"],
        "guest_disabled": ["m3"],
        "guest_held": [],
        "unmatched_kept": ["m5"],
        "unmatched_review": ["m14"],
        "invitation_pending": [],  # an Entra invitation not accepted (tester17 finding 9)
    }
    assert risk["lockout_total"] == 6
    assert [(p["member_id"], p["after"]) for p in risk["admins_losing_admin"]] == [("m7", "Creator"), ("m9", "Viewer")]
    assert [(o["label"], o["email"], o["before"], o["after"], o["ok"], o["detail"]) for o in risk["owners"]] == [
        ("Provisioning owner (SCIM-setup admin)", "ada@acme.example", "Admin", "Admin", True,
         "ada@acme.example stays active with account type Admin"),
        ("API credential owner", "ops@acme.example", "Admin", "Viewer", False,
         "api_credential_owner ops@acme.example: would have account type 'Viewer', not admin (default type); "
         "apply's API credentials belong to them"),
    ]
    assert [t.name for t in risk["teams_unmanaged"]] == ["Legacy BI"]
    assert [t.name for t in risk["teams_empty"]] == ["Old Project"]
    assert [(d["from"], d["to"], d["missing"]) for d in risk["document_transfers"]] == [
        ("carol@partner.example", "ada@acme.example", False),
        ("-dan@acme.example", "ada@acme.example", False),
        ("frank@acme.example",
         "ada@acme.example (Sigma gives an IdP-deactivated user's documents to the provisioning admin)", False),
        ("ivy@acme.example", "nobody named yet: set organization.document_owner in the policy", True),
    ]
    assert [g.name for g in risk["guards"]] == ["last-admin", "deactivation-threshold"]


def test_the_report_never_recomputes_a_fact_the_plan_carries():
    """A person row's outcome is shown as written, even where the rows around it would suggest
    otherwise: the report has no rule of its own (issue 10 item 3)."""
    plan = build_plan()
    people = tuple(replace(p, lockout=None, admin_change=None, type_change=None) if p.member_id == "m4" else p
                   for p in plan.people)
    risk = risk_summary(replace(plan, people=people))
    assert "m4" not in [p["member_id"] for p in risk["lockout"]["deactivated"]]


def test_type_changes_and_seats_come_from_the_plan():
    plan = build_plan()
    assert type_transitions(plan) == [
        {"before": "Admin", "after": "Creator", "direction": "downgrade", "count": 1},
        {"before": "Admin", "after": "Viewer", "direction": "downgrade", "count": 1},
        {"before": "Pro", "after": "Viewer", "direction": "downgrade", "count": 1},
        {"before": "Viewer", "after": "Creator", "direction": "upgrade", "count": 1},
    ]
    assert seat_counts(plan) == [
        {"type": "Admin", "before": 3, "after": 1, "pending": 0},
        {"type": "Creator", "before": 0, "after": 2, "pending": 0},
        {"type": "Pro", "before": 4, "after": 0, "pending": 0},
        {"type": "Viewer", "before": 5, "after": 6, "pending": 0},
    ]
    assert seat_counts(replace(plan, summary=EMPTY_SUMMARY)) == []  # an undo plan has no seats


def test_report_headline():
    assert report_headline(build_plan()) == (
        "Cannot sign in after the switch: 6 (3 deactivated, 1 guest disabled, 2 with no IdP identity (1 in review)); "
        "Admins losing Admin: 2 (2 downgraded); 4 account-type changes (3 downgrades), 3 review items (2 blocking)"
    )


# --------------------------------------------------------------------------- HTML


def test_script_json_cannot_close_the_script_element():
    value = {"name": "</script><script>alert(1)</script><!-- & -->"}
    text = script_json(value)
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == value


def test_script_json_is_the_text_json_dumps_gives():
    """The people JSON is msgspec's: the same text as compact json.dumps without ASCII escaping,
    for every control character, non-ASCII text, numbers, booleans, null and nesting."""
    text = "".join(map(chr, range(0x80))) + "\u00e9\U0001f600\u200c"
    value = {"rows": [[text, 1, -2, True, False, None, [], [3, [4]]], ["", 0]], "k": {"a": "b"}}
    expected = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    assert script_json(value) == (expected.replace("\x7f", "\\\\x7f").replace("&", "\\u0026")
                                  .replace("<", "\\u003c").replace(">", "\\u003e"))


def test_script_json_gives_the_page_bidi_and_invisible_characters_as_visible_text():
    """JSON leaves DEL, C1, U+2028/2029, bidi and zero-width characters raw; the page's script would
    put them in the table as they are (U+202E reversing the rest of a cell): they arrive as the text
    of their escape instead, as the markup and the terminal show them."""
    value = ["gpj.\u202eexe", "a\u200bb\u2028c\x7f\x85", "\u0645\u06cc\u200c\u062e"]
    assert json.loads(script_json(value)) == ["gpj.\\u202eexe", "a\\u200bb\\u2028c\\x7f\\x85",
                                              "\u0645\u06cc\u200c\u062e"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("a <b>", "a <b>"),
        ("", ""),
        ({"memberId": "m1", "isArchived": False, "newOwnerId": None}, "memberId=m1; isArchived=false; newOwnerId=null"),
        (["m1", "m2"], "m1, m2"),
        (("m1", 2), "m1, 2"),
        ([], ""),
        (None, "null"),
        (True, "true"),
        (3, "3"),
        (0.5, "0.5"),
    ],
)
def test_cell_text_lays_out_a_review_value(value, expected):
    """The review queue's cells (subject, evidence, candidates): what the template's macro gave."""
    assert cell_text(value) == expected


def test_stream_html_writes_what_render_html_returns(tmp_path):
    plan = build_plan()
    path = tmp_path / "report.html"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        stream_html(plan, fh, digest="sha256:" + "e" * 64)
    assert path.read_text(encoding="utf-8") == render_html(plan, digest="sha256:" + "e" * 64)


def test_stream_html_without_templates_writes_nothing(tmp_path):
    buffer = io.StringIO()
    with pytest.raises(ReportError, match="report template missing"):
        stream_html(build_plan(), buffer, template_dir=tmp_path)
    assert buffer.getvalue() == ""


def _people_json(html: str) -> dict:
    m = re.search(r'<script type="application/json" id="people-data">(.*?)</script>', html, re.S)
    assert m
    return json.loads(m.group(1))


def test_html_sections_in_order_and_self_contained():
    html = render_html(build_plan())
    positions = [html.index(f'id="{s}"') for s in ("audit", "risk", "counts", "review", "people", "teams")]
    assert positions == sorted(positions)
    # no URL of any kind: nothing to fetch when opened from disk
    assert not re.search(r"https?:|//[a-z]|\bsrc=|url\(|@import", html.replace("img src=x", ""), re.I)
    assert html.count("<script") == 2  # the JSON block and the report's own script
    assert "sha256:" + "d" * 64 in html and "c" * 64 in html and "a" * 64 in html
    assert "policies/default.yaml" in html and "2026-01-02T03:04:05Z" in html


def test_html_escapes_everything_from_the_inputs():
    html = render_html(build_plan())
    assert "<img" not in html
    assert "</script><!--" not in html
    assert "Acme &lt;Analytics&gt; &amp; Co" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html  # review candidate, as text
    assert "Miles &#34;Mo&#34; O&#39;Brien" in html
    people = _people_json(html)
    names = [row[0] for row in people["rows"]]
    assert INJECTED in names and QUOTED in names


def test_html_script_block_survives_a_closing_tag_in_a_name():
    evil = "</script><script>alert(1)</script><!--"
    html = render_html(build_plan((_person("m99", "e@acme.example", evil, "Viewer", "Viewer"),)))
    assert html.count("</script>") == 2
    assert _people_json(html)["rows"][-1][0] == evil


def test_html_people_json_rows():
    plan = build_plan()
    people = _people_json(render_html(plan))
    assert people["columns"][:3] == ["name", "email", "member_id"]
    col = {c: i for i, c in enumerate(people["columns"])}
    assert len(people["rows"]) == len(plan.people)
    by_id = {r[col["member_id"]] or r[col["idp_id"]]: r for r in people["rows"]}
    dan = by_id["m4"]
    assert [people["kinds"][k] for k in dan[col["kinds"]]] == ["members.deactivate"]
    assert dan[col["lockout"]] == "deactivated"
    assert by_id["m6"][col["review"]] == 2 and by_id["m7"][col["review"]] == 1
    assert by_id["m2"][col["type_change"]] == "downgrade"
    assert by_id["00u8"][col["account_type_after"]] == "Viewer"


def test_html_risk_and_review_content():
    html = render_html(build_plan())
    assert "Apply is blocked: 2 blocking review items" in html
    assert 'id="review-r-ambiguous-1"' in html
    assert "linking:\n  overrides:\n    - idp: 00u6\n      member: m6\n" in html
    # the evidence: ItemEvidence's set fields by JSON name, in its declaration order
    assert "<dt>kind</dt><dd>unmatched</dd><dt>memberType</dt><dd>Viewer</dd><dt>userKind</dt><dd>internal</dd>" in html
    assert "<dt>key</dt><dd>email</dd><dt>edges</dt><dd>[&#34;m6&#34;,&#34;00u6&#34;,&#34;email&#34;," in html
    assert "deactivation-threshold" in html and "3 of 12 (25%) &gt; 10%" in html
    assert "Legacy BI" in html and "Old Project" in html


def _review_items(prefix: str, n: int, *, blocking: bool) -> tuple[ReviewItem, ...]:
    return tuple(ReviewItem(f"{prefix}-{i}", "code", blocking, ItemRef(member_id=f"m{i}"), f"item {i}",
                            candidates=(), evidence={}, rule="", resolution="") for i in range(n))


def test_review_queue_spans_pages_in_order_with_one_informational_heading():
    """The queue is rendered PAGE_SIZE items per template call: every item once, blocking first,
    and the heading exactly between the last blocking and the first informational item."""
    blocking = _review_items("b", PAGE_SIZE + 2, blocking=True)
    info = _review_items("i", PAGE_SIZE + 1, blocking=False)
    html = render_html(bare_plan(review_items=info + blocking))
    queue = html[html.index('<section id="review"'):html.index("</section>", html.index('<section id="review"'))]
    ids = re.findall(r'<article class="review (\w+)" id="review-([^"]+)">', queue)
    assert ids == [("blocking", r.id) for r in blocking] + [("informational", r.id) for r in info]
    assert queue.count('<h3 class="info-head">') == 1
    assert ('</article>\n<h3 class="info-head">Informational: nothing to decide</h3>'
            '  <article class="review informational" id="review-i-0">') in queue
    assert "review informational" not in queue[:queue.index('<h3 class="info-head">')]
    assert queue.endswith("</dl>\n  </article>\n")


def test_review_queue_headings_with_one_kind_of_item():
    only_info = render_html(bare_plan(review_items=_review_items("i", 2, blocking=False)))
    assert ('informational</h2>\n<h3 class="info-head">Informational: nothing to decide</h3>'
            '  <article class="review informational" id="review-i-0">') in only_info
    only_blocking = render_html(bare_plan(review_items=_review_items("b", 2, blocking=True)))
    assert 'class="info-head"' not in only_blocking
    assert '0 informational</h2>\n  <article class="review blocking" id="review-b-0">' in only_blocking
    assert "Nothing needs a decision." in render_html(bare_plan())


def test_teams_table_spans_pages_in_order():
    teams = tuple(TeamRow(f"t{i}", f"Team {i}", None, None, "unmanaged", 1, 1, 0, 0, (), False)
                  for i in range(2 * PAGE_SIZE + 1))
    html = render_html(bare_plan(teams=teams))
    table = html[html.index('<table class="compact" id="teams-table">'):]
    assert re.findall(r"<tr>\n        <td>(Team \d+)<", table) == [t.name for t in teams]
    assert "</th></tr></thead>\n    <tbody>\n      <tr>\n        <td>Team 0<" in table
    assert "</tr>\n    </tbody>\n  </table>" in table


def test_empty_plan_renders():
    plan = bare_plan()
    html = render_html(plan)
    assert "Nothing blocks approval: no unmet pre-flight check" in html
    assert _people_json(html)["rows"] == []


def test_missing_templates_is_a_user_error(tmp_path):
    with pytest.raises(ReportError, match="report template missing"):
        render_html(build_plan(), template_dir=tmp_path)


# --------------------------------------------------------------------------- CLI


def test_report_command_writes_html_and_csv(tmp_path, capsys):
    plan_path = tmp_path / "plan.json"
    digest = write_plan(build_plan(), plan_path)
    html_path, csv_path = tmp_path / "report.html", tmp_path / "actions.csv"
    cli_module.main(["report", str(plan_path), "--out", str(html_path), "--csv", str(csv_path)])
    out = capsys.readouterr().out
    assert str(html_path) in out and str(csv_path) in out
    assert ("Cannot sign in after the switch: 6 (3 deactivated, 1 guest disabled, 2 with no IdP identity (1 in review)); "
            "Admins losing Admin: 2 (2 downgraded);") in out
    html = html_path.read_text(encoding="utf-8")
    assert digest in html
    assert csv_path.read_bytes().count(b"\r\n") == 1 + len(build_plan().actions)


def test_report_command_bad_plan_is_one_line(tmp_path, capsys):
    bad = tmp_path / "plan.json"
    bad.write_text("{nope")
    with pytest.raises(SystemExit) as exc:
        cli_module.main(["report", str(bad), "--out", str(tmp_path / "r.html")])
    assert exc.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith("sigma-migrate: error: ") and err.count("\n") == 1
    assert not (tmp_path / "r.html").exists()


def test_content_security_policy_allows_only_the_reports_own_script():
    import base64
    import hashlib

    html = render_html(build_plan())
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', html).group(1)
    assert "default-src 'none'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    script = re.search(r"<script>(.*?)</script>", html, re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in csp


RESULT = {
    "status": "converged", "stop_reason": None, "mode": "apply", "started_at": "t0",
    "finished_at": "t1", "seconds": 1.5, "approval": None, "plan": "plan.json",
    "digest": "sha256:" + "d" * 64, "journal": "plan.journal.sqlite", "tool_version": "0.1.0",
    "run": 1, "wave": "", "wave_actions": 1, "plan_actions": 1, "plan_left": 0,
    "plan_left_by_kind": {},
    "counts": {"pending": 0, "running": 0, "done": 1, "failed": 0, "skipped": 0}, "writes": 1,
    "verification": None, "refused": {}, "next_step": None, "next_step_lines": [],
    "by_kind": {"scim.link_user": {"written_this_run": 1, "already_this_run": 0, "written_by_interrupted_run": 0,
                                   "done_total": 1, "failed": 0, "skipped": 0, "pending": 0}},
    "actions": [{"id": "a-link-m1", "kind": "scim.link_user", "subject": "ada@acme.example",
                 "state": "done", "outcome": "written", "this_run": "done", "attempts": 1, "http_retries": 0,
                 "error": None, "ids": {"scimId": "m1"}}],
}
"""The result file's JSON of a one-action run (planner.execute.apply.ApplyReport.to_dict)."""


def test_apply_result_section_comes_right_after_the_header():
    result = result_record(RESULT)
    html = render_html(build_plan(), result=result)
    assert html.index('id="audit"') < html.index('id="result"') < html.index('id="risk"')
    assert "result" not in re.findall(r'<section id="(\w+)"', render_html(build_plan()))
    # the result page reports a run: it never says the plan can (still) be approved
    assert "can be approved" not in html and "Apply is blocked" not in html
    assert "This page shows the plan as it was applied; the result above says what the run did." in html
    assert '<dd>1: apply, t0 to t1 (1.5 s)</dd>' in html and '<div class="n" id="result-done">1</div>' in html


@pytest.mark.parametrize("edit, refusal", [
    (lambda d: d.pop("by_kind"), "Object missing required field `by_kind`"),
    (lambda d: d["counts"].pop("done"), "Object missing required field `done` - at `$.counts`"),
    (lambda d: d["actions"][0].update(attempts="1"), "Expected `int`, got `str` - at `$.actions[0].attempts`"),
    (lambda d: d.update(colour="red"), "Object contains unknown field `colour`"),
])
def test_an_apply_result_of_another_shape_is_refused_naming_the_field(edit, refusal):
    document = json.loads(json.dumps(RESULT))
    edit(document)
    with pytest.raises(msgspec.ValidationError) as refused:
        result_record(document)
    assert str(refused.value) == refusal


def test_informational_items_are_counted_and_styled_apart_from_blocking_ones():
    html = render_html(build_plan())
    plan = build_plan()
    blocking = sum(r.blocking for r in plan.review_items)
    info = len(plan.review_items) - blocking
    assert info > 0
    tile = html[html.index('id="tile-review"'):]
    tile = tile[:tile.index("</div>\n    </div>")]
    assert f'<div class="n">{blocking}</div>' in tile and "decisions needed (blocking review items)" in tile
    assert f"{info} informational item" in tile
    assert f"Review queue: {blocking} blocking, {info} informational" in html
    assert html.count('class="review informational"') == info and html.count('class="review blocking"') == blocking
    assert html.count('<span class="badge info">informational</span>') == info


def test_long_values_wrap_instead_of_being_cut():
    from planner.report import data_dir

    css = (data_dir("templates") / "report" / "report.css").read_text()
    assert "td, dd, .msg, .wrap-any, .mono { overflow-wrap: anywhere;" in css
    html = render_html(build_plan())
    assert "…" not in html.split('id="risk"')[1].split('id="counts"')[0]  # no message cut in the risk cards


# --------------------------------------------------------------------------- the sample organization


@pytest.fixture(scope="module")
def sample_plan(repo):
    """The bundled sample organization planned with the default policy (as the README's demo does)."""
    from planner.planning import plan_from_paths

    plan, _ = plan_from_paths(
        str(repo / "samples" / "acme" / "sigma"), [str(repo / "samples" / "acme" / "okta")],
        str(repo / "policies" / "default.yaml"),
    )
    return plan


def test_sample_plan_report_agrees_with_the_plan(sample_plan):
    plan = sample_plan
    html = render_html(plan)
    people = _people_json(html)
    assert len(people["rows"]) == len(plan.people) > 100
    for item in plan.review_items:
        assert f'id="review-{item.id}"' in html
    risk = risk_summary(plan)
    assert f'<div class="n">{risk["lockout_total"]}</div>' in html
    # every person the plan deactivates or disables is listed as losing sign-in
    col = {c: i for i, c in enumerate(people["columns"])}
    gone = {a.target.member_id for a in plan.actions
            if a.kind in (K.MEMBERS_DEACTIVATE, K.MEMBERS_DISABLE_GUEST)}
    listed = {r[col["member_id"]] for r in people["rows"] if r[col["lockout"]] in ("deactivated", "guest_disabled")}
    assert gone and gone <= listed
    assert len(risk["document_transfers"]) == len(gone)
    # the seats table is the planner's summary, type by type
    seats = wire(plan.summary)["seats"]
    assert seat_counts(plan) == [
        {"type": t, "before": seats[t]["before"], "after": seats[t]["after"], "pending": seats[t]["pending"]}
        for t in sorted(seats, key=str.casefold)
    ]
    for kind, count in wire(plan.summary)["actions"].items():
        if count:
            assert f'<td class="mono small">{kind}</td><td class="num">{count}</td>' in html


def test_sample_plan_csv_has_one_row_per_action(sample_plan):
    rows = list(csv.reader(io.StringIO(actions_csv(sample_plan))))
    assert rows[0] == ["id", "kind", "target", "before", "after", "rule", "reason"]
    assert [r[0] for r in rows[1:]] == [a.id for a in sample_plan.actions]
    assert all(len(r) == 7 for r in rows)


def test_an_archived_team_is_no_team_becoming_unmanaged():
    """tester11 nit: the card counted the archived 'Project Falcon (old)' (4) where show says 3 unmanaged and
    'archived team, no action'; the plan's summary.teams.unmanaged leaves it out too (test_planning)."""
    teams = (TeamRow("t3", "Legacy BI", None, None, "unmanaged", 5, 5, 0, 0, (), False),
             TeamRow("t5", "Project Falcon (old)", None, None, "unmanaged", 2, 2, 0, 0, (), True),
             TeamRow("t4", "Old Project", "g4", "Old Project", "link", 2, 0, 0, 2, (), False))
    plan = bare_plan(teams=teams)
    risk = risk_summary(plan)
    assert ([t.name for t in risk["teams_unmanaged"]], [t.name for t in risk["teams_empty"]], risk["teams_at_risk"]) \
        == (["Legacy BI"], ["Old Project"], 2)
    assert "<h3>Teams becoming unmanaged or empty (2)</h3>" in render_html(plan)
