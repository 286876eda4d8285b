"""Tester17 findings 3 and 4: dirty or missing evidence never weakens the recycled-address block
(:mod:`planner.rules.address_takeover`, docs/policy.md "A leaver's address on another person").

A new hire given a leaver's address (Priyanka Sharma at alan.brooks@, Tom Kowalski at the archived
laura.bianchi@) stays one blocking ``linking.recycled_address`` when the IdP's createdDateTime is Excel-damaged
(``10/1/2026 9:00``: both readings > 500 days after the member) or absent (the documented "Download users"
columns), when the Sigma members CSV's createdAt was re-saved by Excel, when the IdP user has only a
displayName, and when the member has no name. Unit tests on literal organizations first, then the tester's
repros as real files: the acme sample copied with the tester's one-row edits (the rows below), and the tester's
Sigma CSV export with Alan's createdAt re-saved by Excel (tests/fixtures/t17_takeover).
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from datetime import date
from pathlib import Path

from msgspec.structs import replace

from .conftest import run_cli
from .plan_factory import kinds, member, plan, review_codes, snapshot, user
from planner.planfile import read_plan
from planner.rules.address_takeover import AGREE, DIFFER, MISSING, compare_names
from planner.sources.values import local_date_days

REPO = Path(__file__).resolve().parent.parent
ACME = REPO / "samples" / "acme"
POLICY = ACME / "policy-entra-reviewed.yaml"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "t17_takeover"
ALAN = "sWDskbUA8tDQxCNHcxnQ79Bb8CL8F"  # alan.brooks@acme.example, made 2024-08-09T18:05:02.398Z, no IdP user
LAURA = "dYSw1vPtjKj5N8cWOv5bnCSiEnW57"  # laura.bianchi@acme.example, archived, made 2021-03-22T09:46:18.318Z
PRIYANKA = "c0ffee00-1111-4222-8333-444455556666"
TOM = "c0ffee00-3333-4222-8333-444455556666"
DEACTIVATE = "unmatched:\n  action: deactivate\nuser_name_guard:\n  on_mismatch: update_sigma_email\n"
ROOT_LINK = ("scim.link_user", "scim.link_user:root")
HOLD = "neither is linked, created nor deactivated until the policy decides"
BLOCK_TAIL = (": a new person given a leaver's address, or the same person renamed? The link would give "
              "{sent} the member's account, documents and teams; " + HOLD)

# the tester's rows (users.csv, then group_members/Sigma-Viewers.csv), createdDateTime as {created}
PRIYANKA_ROW = (f"{PRIYANKA},alan.brooks@acme.example,Priyanka Sharma,{{surname}},alan.brooks@acme.example,"
                "{given},Member,Analyst,Customer Success,True,US,Acme Corp,E99001,{created},,,")
PRIYANKA_VIEWER = f"{PRIYANKA},alan.brooks@acme.example,Priyanka Sharma,User"
TOM_ROW = (f"{TOM},laura.bianchi@acme.example,Tom Kowalski,Kowalski,laura.bianchi@acme.example,Tom,Member,Analyst,"
           "Customer Success,True,US,Acme Corp,E99002,{created},,,")
TOM_VIEWER = f"{TOM},laura.bianchi@acme.example,Tom Kowalski,User"


def item(p, code):
    (found,) = [r for r in p.review_items if r.code == code]
    return found


# --------------------------------------------------------------------------- the small rules


def test_names_compare_on_the_best_name_each_side_has():
    alan = member("m1", "a@x.example", "Alan", "Brooks")
    display_only = replace(user("u", "a@x.example", first="", last=""), display_name="Priyanka Sharma")
    assert compare_names(alan, display_only).verdict == DIFFER
    assert compare_names(alan, display_only).differences == (
        "firstName lastName 'Alan Brooks' / displayName 'Priyanka Sharma'",)
    assert compare_names(alan, display_only).alike is False
    same = replace(user("u", "a@x.example", first="", last=""), display_name="Brooks, ALAN")
    assert compare_names(alan, same).verdict == AGREE  # order, commas and letter case aside
    renamed = replace(user("u", "a@x.example", first="", last=""), display_name="Alan Smith")
    assert (compare_names(alan, renamed).verdict, compare_names(alan, renamed).alike) == (DIFFER, True)
    nameless = member("m2", "a@x.example")
    assert compare_names(nameless, display_only).verdict == MISSING
    assert compare_names(nameless, display_only).differences == (
        "firstName lastName '' / displayName 'Priyanka Sharma'",)
    assert compare_names(alan, user("u", "a@x.example", first="", last="")).verdict == MISSING


def test_a_year_last_date_is_each_day_it_may_be():
    assert local_date_days("10/1/2026 9:00") == (date(2026, 1, 10), date(2026, 10, 1))
    assert local_date_days("13/6/2026") == (date(2026, 6, 13),)
    assert local_date_days("6/6/2026") == (date(2026, 6, 6),)
    assert local_date_days("2026-10-01T09:00:00Z") == ()


def zed(created=None, unreadable=None, first="Zed", last="Quinn", member_created="2021-05-20T08:00:00.000Z"):
    """Greta (m1) and a user who signs in with her address, made ``created`` (or written ``unreadable``)."""
    u = replace(user("00u3", "greta@acme.example", first=first, last=last), created=created,
                created_unreadable=unreadable, created_field="createdDateTime")
    return snapshot([member("m1", "greta@acme.example", "Greta", "Dunmore", created_at=member_created)], [u])


HEAD = ("IdP user 00u3 (greta@acme.example) signs in with member m1's address 'greta@acme.example' but the names "
        "are not one (member 'Greta Dunmore', IdP user 'Zed Quinn'); ")


def test_an_unreadable_date_every_reading_of_which_is_long_after_blocks_and_says_so():
    p = plan(zed(unreadable="10/1/2026 9:00"), DEACTIVATE)
    assert kinds(p) == [ROOT_LINK]
    found = item(p, "linking.recycled_address")
    assert (found.id, found.blocking) == ("linking.recycled_address:m1", True)
    assert found.message == HEAD + (
        "the IdP made 00u3 at '10/1/2026 9:00' (createdDateTime), which cannot be read; Sigma made the member "
        "2021-05-20T08:00:00.000Z; read as 10 January 2026 or as 1 October 2026, the IdP made 00u3 1695 or 1959 days "
        "after Sigma made the member, which every reading decides alike"
        + BLOCK_TAIL.format(sent="greta@acme.example"))


def test_a_missing_or_undecidable_date_with_names_apart_blocks_saying_it_cannot_be_told():
    for snap, said in ((zed(), "the export does not say when the IdP made 00u3 (createdDateTime: no value)"),
                       (zed(unreadable="last spring"), "the IdP made 00u3 at 'last spring' (createdDateTime), which "
                        "cannot be read"),
                       # 1 October 2021 (134 days after the member) or 10 January 2021 (before it): they disagree
                       (zed(unreadable="1/10/2021 10:00"), "the IdP made 00u3 at '1/10/2021 10:00' (createdDateTime), "
                        "which cannot be read")):
        p = plan(snap, DEACTIVATE)
        assert kinds(p) == [ROOT_LINK]
        found = item(p, "linking.recycled_address")
        assert found.blocking is True
        assert found.message == HEAD + said + (
            "; Sigma made the member 2021-05-20T08:00:00.000Z; so how much later the IdP made 00u3 than Sigma the "
            "member cannot be told" + BLOCK_TAIL.format(sent="greta@acme.example"))


def test_a_date_that_cannot_decide_keeps_one_name_part_alike_informational_and_readings_before_raise_nothing():
    married = plan(zed(first="Greta"), DEACTIVATE)  # a marriage: informational whatever the gap
    assert [(r.id, r.blocking) for r in married.review_items] == [("linking.recycled_address:m1", False)]
    assert ("scim.link_user", "scim.link_user:m1") in kinds(married)
    before = plan(zed(unreadable="3/4/2019"), DEACTIVATE)  # 3 April or 4 March 2019: both before the member
    assert review_codes(before) == [] and ("scim.link_user", "scim.link_user:m1") in kinds(before)
    soon = plan(zed(unreadable="4/6/2021 10:00"), DEACTIVATE)  # 4 June (15 days after) or 6 April (before)
    assert [(r.id, r.blocking) for r in soon.review_items] == [("linking.recycled_address:m1", False)]
    assert ("scim.link_user", "scim.link_user:m1") in kinds(soon)


def test_an_unreadable_member_date_is_read_the_same_way():
    p = plan(zed(created="2026-10-01T09:00:00Z", member_created="8/9/2024 18:05"), DEACTIVATE)
    found = item(p, "linking.recycled_address")
    assert found.blocking is True
    assert found.message == HEAD + (
        "the IdP made 00u3 2026-10-01T09:00:00Z; Sigma made the member at '8/9/2024 18:05' (createdAt), which "
        "cannot be read; read as 8 September 2024 or as 9 August 2024, the IdP made 00u3 753 or 783 days after "
        "Sigma made the member, which every reading decides alike" + BLOCK_TAIL.format(sent="greta@acme.example"))


def test_no_name_on_a_side_is_no_sameness_however_dated():
    nameless = plan(zed(created="2026-10-01T09:00:00Z", first="", last=""), DEACTIVATE)
    assert kinds(nameless) == [ROOT_LINK]
    assert [(r.id, r.blocking) for r in nameless.review_items] == [("linking.recycled_address:m1", True)]
    soon = plan(zed(created="2021-06-01T00:00:00Z", first="", last=""), DEACTIVATE)  # 11 days: no doubt raised
    assert review_codes(soon) == [] and ("scim.link_user", "scim.link_user:m1") in kinds(soon)
    excel = plan(zed(unreadable="10/1/2026 9:00", first="", last=""), DEACTIVATE)  # both readings years after
    assert [(r.id, r.blocking) for r in excel.review_items] == [("linking.recycled_address:m1", True)]
    # no date at all to go on: nothing says another person, the link stays without an item (as on main)
    undated = plan(zed(first="", last=""), DEACTIVATE)
    assert review_codes(undated) == [] and ("scim.link_user", "scim.link_user:m1") in kinds(undated)


def test_the_same_person_with_full_evidence_links_silently():
    p = plan(zed(created="2026-10-01T09:00:00Z", first="GRETA", last="Dunmore"), DEACTIVATE)
    assert review_codes(p) == [] and ("scim.link_user", "scim.link_user:m1") in kinds(p)
    display = snapshot([member("m1", "greta@acme.example", "Greta", "Dunmore", created_at="2021-05-20T08:00:00.000Z")],
                       [replace(user("00u3", "greta@acme.example", first="", last=""), display_name="Greta Dunmore",
                                created="2026-10-01T09:00:00Z")])
    assert "linking.recycled_address" not in {c for c, _ in review_codes(plan(display, DEACTIVATE))}


# --------------------------------------------------------------------------- the tester's repros as real files


def entra_copy(tmp_path: Path, rows: list[str], viewers: list[str], *, drop_created: bool = False) -> Path:
    """samples/acme/entra with ``rows`` added to users.csv and ``viewers`` to Sigma-Viewers.csv (the tester's
    edits); ``drop_created``: users.csv without its createdDateTime column (the documented download)."""
    root = tmp_path / "entra"
    shutil.copytree(ACME / "entra", root)
    users = root / "users.csv"
    text = users.read_text(encoding="utf-8-sig").rstrip("\r\n") + "\n" + "".join(r + "\n" for r in rows)
    if drop_created:
        table = list(csv.reader(io.StringIO(text)))
        at = table[0].index("createdDateTime")
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows([r[:at] + r[at + 1:] for r in table])
        text = out.getvalue()
    users.write_text(text, encoding="utf-8")
    group = root / "group_members" / "Sigma-Viewers.csv"
    group.write_text(group.read_text(encoding="utf-8-sig").rstrip("\r\n") + "\n" + "".join(v + "\n" for v in viewers),
                     encoding="utf-8")
    return root


def plan_files(capsys, tmp_path: Path, idp: Path, sigma: Path = ACME / "sigma"):
    tmp_path.mkdir(parents=True, exist_ok=True)
    out = tmp_path / "plan.json"
    code, _, _ = run_cli(capsys, "plan", "--sigma", str(sigma), "--idp", str(idp), "--policy", str(POLICY),
                           "--out", str(out), "--detailed-exitcode")
    return code, read_plan(out)


def baseline_ids(capsys, tmp_path: Path, sigma: Path = ACME / "sigma") -> set[str]:
    code, p = plan_files(capsys, tmp_path / "base", ACME / "entra", sigma)
    assert code == 2
    return {a.id for a in p.actions}


def priyanka(created: str, given: str = "Priyanka", surname: str = "Sharma") -> str:
    return PRIYANKA_ROW.format(created=created, given=given, surname=surname)


ALAN_HEAD = (f"IdP user {PRIYANKA} (alan.brooks@acme.example) signs in with member {ALAN}'s address "
             "'alan.brooks@acme.example' but the names are not one (member 'Alan Brooks', IdP user 'Priyanka Sharma'); ")
ALAN_TAIL = BLOCK_TAIL.format(sent="alan.brooks@acme.example")


def assert_alan_held(before: set[str], p) -> None:
    """Priyanka is neither linked to Alan's member nor created, and Alan is not deactivated: one blocking item."""
    ids = {a.id for a in p.actions}
    assert before - ids == {f"members.deactivate:{ALAN}"}
    assert ids - before == set()
    assert [(r.id, r.blocking) for r in p.review_items if r.blocking] == [(f"linking.recycled_address:{ALAN}", True)]


def test_iso_date_blocks(capsys, tmp_path):
    before = baseline_ids(capsys, tmp_path)
    code, p = plan_files(capsys, tmp_path, entra_copy(tmp_path, [priyanka("2026-10-01T09:00:00Z")], [PRIYANKA_VIEWER]))
    assert code == 3
    assert_alan_held(before, p)
    assert item(p, "linking.recycled_address").message == ALAN_HEAD + (
        f"the IdP made {PRIYANKA} 2026-10-01T09:00:00Z, 782 days after Sigma made the member "
        "(2024-08-09T18:05:02.398Z)" + ALAN_TAIL)


def test_excel_date_blocks_as_every_reading_is_long_after(capsys, tmp_path):
    before = baseline_ids(capsys, tmp_path)
    idp = entra_copy(tmp_path, [priyanka("10/1/2026 9:00")], [PRIYANKA_VIEWER])
    code, p = plan_files(capsys, tmp_path, idp)
    assert code == 3
    assert_alan_held(before, p)
    assert item(p, "linking.recycled_address").message == ALAN_HEAD + (
        f"the IdP made {PRIYANKA} at '10/1/2026 9:00' ({idp / 'users.csv'}, line 168, createdDateTime), which cannot "
        "be read; Sigma made the member 2024-08-09T18:05:02.398Z; read as 10 January 2026 or as 1 October 2026, the "
        f"IdP made {PRIYANKA} 518 or 782 days after Sigma made the member, which every reading decides alike"
        + ALAN_TAIL)


def test_missing_created_column_blocks_and_check_names_the_column(capsys, tmp_path):
    before = baseline_ids(capsys, tmp_path)
    idp = entra_copy(tmp_path, [priyanka("2026-10-01T09:00:00Z")], [PRIYANKA_VIEWER], drop_created=True)
    code, p = plan_files(capsys, tmp_path, idp)
    assert code == 3
    # without the column the export cannot tell when it was taken either (tester21 finding 7): every member no IdP user
    # matches, and every guest the policy would disable, is held on unmatched.new_member beside Alan's item
    undated = ["3x2uLcFsNLXYeQ5NIhA5RMBQgVTjG", "9RkgtbbmFLiGPXEGdQpeIXQ96ewRg", "ECiBauGWbdRoN5KEop6mfQHl3n0UV",
               "dCL260TsvzkuoWIZjOjOpA30be1nk", "irl2fx60egIqGAydaHBmgzCwkPnaf", "j0X28AI1SAPvWaNyAVHqkX7hE2w64",
               "k7ZGySkbV1JImdi7dIYiTLow1TFak", "svymW31OpqxLVBElRr4u8kLw2sjr0"]
    guests = {"9RkgtbbmFLiGPXEGdQpeIXQ96ewRg", "dCL260TsvzkuoWIZjOjOpA30be1nk"}
    ids = {a.id for a in p.actions}
    assert before - ids == {f"members.deactivate:{ALAN}"} | {
        f"members.{'disable_guest' if m in guests else 'deactivate'}:{m}" for m in undated}
    assert ids - before == set()
    assert [(r.id, r.blocking) for r in p.review_items if r.blocking] == [
        (f"linking.recycled_address:{ALAN}", True)] + [(f"unmatched.new_member:{m}", True) for m in undated]
    (wendy,) = [r for r in p.review_items if r.id == "unmatched.new_member:3x2uLcFsNLXYeQ5NIhA5RMBQgVTjG"]
    assert wendy.message == (
        "wendy.park@acme.example: no IdP user matches this member, made 2023-05-04T04:42:47Z, perhaps after the IdP "
        f"export was taken, which it cannot tell ({idp / 'users.csv'} has no createdDateTime column (or no value in "
        "it)): made by hand on purpose (a service account, a contractor, a break-glass admin) or after the export "
        "was taken, so it is not deactivated on the export's silence; decide whether to keep or deactivate this "
        "member (if the IdP provisioned them, export the IdP again and plan again)")
    assert item(p, "linking.recycled_address").message == ALAN_HEAD + (
        f"the export does not say when the IdP made {PRIYANKA} ({idp / 'users.csv'}, line 168, createdDateTime: no "
        f"value); Sigma made the member 2024-08-09T18:05:02.398Z; so how much later the IdP made {PRIYANKA} than "
        "Sigma the member cannot be told" + ALAN_TAIL)
    code, out, _ = run_cli(capsys, "check", "--sigma", str(ACME / "sigma"), "--idp", str(idp))
    assert code == 0
    assert [line for line in out.splitlines() if "createdDateTime" in line] == [
        f"warning: {idp / 'users.csv'} [createdDateTime]: no createdDateTime column (or no value in it), which the "
        "format carries: the rules that decide on it cannot tell (createdDateTime: linking.rehire, "
        "linking.recycled_address, unmatched.new_member), so each holds what it would decide on a blocking item; "
        "export the file again with the column (missing-rule-column)"]
    code, out, _ = run_cli(capsys, "check", "--sigma", str(ACME / "sigma"), "--idp", str(ACME / "entra"))
    assert code == 0 and "missing-rule-column" not in out


def test_excel_created_at_on_the_sigma_side_blocks(capsys, tmp_path):
    sigma = FIXTURES / "sigma-csv-excel-createdAt"
    before = baseline_ids(capsys, tmp_path, sigma)
    code, p = plan_files(capsys, tmp_path, entra_copy(tmp_path, [priyanka("2026-10-01T09:00:00Z")], [PRIYANKA_VIEWER]),
                         sigma)
    assert code == 3
    assert_alan_held(before, p)
    assert item(p, "linking.recycled_address").message == ALAN_HEAD + (
        f"the IdP made {PRIYANKA} 2026-10-01T09:00:00Z; Sigma made the member at '8/9/2024 18:05' "
        f"({sigma / 'members.csv'}, line 125, createdAt), which cannot be read; read as 8 September 2024 or as "
        f"9 August 2024, the IdP made {PRIYANKA} 753 or 783 days after Sigma made the member, which every reading "
        "decides alike" + ALAN_TAIL)


def test_a_user_with_only_a_display_name_is_compared_on_it(capsys, tmp_path):
    before = baseline_ids(capsys, tmp_path)
    code, p = plan_files(capsys, tmp_path, entra_copy(
        tmp_path, [priyanka("2026-10-01T09:00:00Z", given="", surname="")], [PRIYANKA_VIEWER]))
    assert code == 3
    assert_alan_held(before, p)
    found = item(p, "linking.recycled_address")
    assert found.message == ALAN_HEAD + (
        f"the IdP made {PRIYANKA} 2026-10-01T09:00:00Z, 782 days after Sigma made the member "
        "(2024-08-09T18:05:02.398Z)" + ALAN_TAIL)
    assert found.evidence.differences == ["firstName lastName 'Alan Brooks' / displayName 'Priyanka Sharma'"]


def test_the_same_person_with_only_a_display_name_links_silently(capsys, tmp_path):
    alan_row = PRIYANKA_ROW.replace("Priyanka Sharma", "Alan Brooks").format(
        created="2026-10-01T09:00:00Z", given="", surname="")
    code, p = plan_files(capsys, tmp_path, entra_copy(tmp_path, [alan_row], [PRIYANKA_VIEWER]))
    assert code == 2
    assert f"scim.link_user:{ALAN}" in {a.id for a in p.actions}
    assert [r.id for r in p.review_items if ALAN in r.id] == []


def test_a_member_without_names_is_no_sameness(capsys, tmp_path):
    sigma = tmp_path / "sigma"
    shutil.copytree(ACME / "sigma", sigma)
    data = json.loads((sigma / "members.json").read_text(encoding="utf-8"))
    for page in data:
        for m in page["entries"]:
            if m["memberId"] == ALAN:
                m["firstName"] = m["lastName"] = ""
    (sigma / "members.json").write_text(json.dumps(data), encoding="utf-8")
    before = baseline_ids(capsys, tmp_path, sigma)
    code, p = plan_files(capsys, tmp_path, entra_copy(tmp_path, [priyanka("2026-10-01T09:00:00Z")], [PRIYANKA_VIEWER]),
                         sigma)
    assert code == 3
    assert_alan_held(before, p)
    assert item(p, "linking.recycled_address").message == ALAN_HEAD.replace("member 'Alan Brooks'", "member (none)") + (
        f"the IdP made {PRIYANKA} 2026-10-01T09:00:00Z, 782 days after Sigma made the member "
        "(2024-08-09T18:05:02.398Z)" + ALAN_TAIL)


def test_an_archived_leaver_is_not_reactivated_for_a_stranger_whatever_the_date_form(capsys, tmp_path):
    before = baseline_ids(capsys, tmp_path)
    for created, made in (("2026-10-01T09:00:00Z", f"the IdP made {TOM} 2026-10-01T09:00:00Z, 1817 days after Sigma "
                                                    "archived the member by 2021-10-10T02:27:10.318Z (its updatedAt)"),
                          ("10/1/2026 9:00", f"the IdP made {TOM} at '10/1/2026 9:00' ({{users}}, line 168, "
                                             "createdDateTime), which cannot be read; Sigma archived the member by "
                                             "2021-10-10T02:27:10.318Z (its updatedAt), so the IdP may have made "
                                             f"{TOM} after the archive")):
        where = tmp_path / created.replace("/", "-").replace(":", "-").replace(" ", "_")
        idp = entra_copy(where, [TOM_ROW.format(created=created)], [TOM_VIEWER])
        code, p = plan_files(capsys, where, idp)
        assert code == 3
        ids = {a.id for a in p.actions}
        assert not {f"members.reactivate:{LAURA}", f"scim.link_user:{LAURA}", f"scim.create_user:{TOM}"} & ids
        assert ids == before
        # made after the archive: the one linking.rehire asks whether it is the same person (no recycled_address
        # beside it with the same settlements: one person, one item per doubt, t20b)
        assert [(r.id, r.blocking) for r in p.review_items if r.blocking] == [(f"linking.rehire:{LAURA}", True)]
        assert item(p, "linking.rehire").message == (
            f"active IdP user {TOM} (laura.bianchi@acme.example) matches archived member {LAURA} "
            f"(laura.bianchi@acme.example), but {made.replace('{users}', str(idp / 'users.csv'))} (member 'Laura "
            "Bianchi', IdP user 'Tom Kowalski'): the leaver back under a new IdP account, or a new person given the "
            "leaver's address? Reactivating gives laura.bianchi@acme.example the member's account, history, home "
            "folder, teams and the documents it still owns, and an archived account is not renamed, so neither the "
            "names nor linking.archived_members decide it; neither is linked, created nor deactivated until the "
            "policy decides for this person")
