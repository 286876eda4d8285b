"""A spreadsheet's year-first local date-time is never read as UTC (tester21 finding 10).

Excel ja-JP / zh-CN writes ``2019/6/21 11:21``, sv-SE ``2019-06-21 11:21`` (LibreOffice with seconds): the
viewer's local time with neither ``T`` nor zone, as the year-last ``6/21/2019 11:21`` of en-US. Before, the one
date reader took the year-first forms as UTC, silently, while the year-last ones were ``ambiguous-date``
warnings read as unknown; now one rule (``values.local_date_words``) reads both: an ``ambiguous-date`` warning,
unknown to every rule, each rule weighing the day it may be whole and in any zone. A format's own zoneless form
(Google CSV's ``Last Sign In`` ``YYYY/MM/DD HH:MM:SS``) is read by its loader as before, as UTC; a date alone
(``2019-06-21``) is read as before. A member's ``createdAt`` so written: tests/test_spreadsheet_dates.py.

Real files: samples/acme/entra saved as Excel ja-JP in Tokyo writes it, the tester10 date fixtures
(tests/fixtures/dates), the Google CSV fixture, through the loaders and the CLI.
"""

from __future__ import annotations

import json
import shutil
from datetime import timedelta
from pathlib import Path

import pytest

from planner.planfile import read_plan
from planner.sources import load_idp
from planner.sources.values import LocalDate, local_date_days, local_date_span, parse_timestamp

from .conftest import REPO, run_cli
from .test_export_freshness import NEW_HIRE, entra_saved_by_excel, sigma_with_new_hire
from .test_spreadsheet_dates import TAIL

GOOGLE = Path(__file__).parent / "fixtures" / "sources" / "google_csv"


@pytest.mark.parametrize("text", ["2019/6/21 11:21", "2019-06-21 11:21", "2019/6/21 11:21:05", "2019-06-21 11:21:05",
                                  "2019/06/21 11:21:05", "2019/6/21 11:21 PM", "2019-06-21 11"])
def test_a_year_first_local_date_time_is_never_read_as_utc(text):
    # was: 2019-06-21T11:21:00Z (or :05), no warning
    with pytest.raises(LocalDate) as raised:
        parse_timestamp(text)
    assert str(raised.value) == (f"{text!r} is a date as a spreadsheet or a locale writes it, not ISO 8601: "
                                 f"21 June 2019, year first{TAIL}")
    assert local_date_days(text) == (local_date_days("6/21/2019 11:21")[0],)
    assert [t.isoformat() for t in local_date_span(text)] == ["2019-06-20T10:00:00+00:00", "2019-06-22T14:00:00+00:00"]


@pytest.mark.parametrize(("text", "read"), [
    ("2019-06-21", "2019-06-21T00:00:00Z"), ("2019/6/21", "2019-06-21T00:00:00Z"),
    ("2019-06-21T11:21:00", "2019-06-21T11:21:00Z"), ("2019-06-21T11:21:00.713Z", "2019-06-21T11:21:00Z"),
    ("2019-06-21 11:21Z", "2019-06-21T11:21:00Z"), ("2019-06-21 11:21:00+02:00", "2019-06-21T09:21:00Z"),
])
def test_a_date_alone_and_a_time_that_says_its_zone_are_read_as_before(text, read):
    assert parse_timestamp(text) == read


def test_a_formats_own_zoneless_form_is_read_by_its_loader_only_as_written():
    form = "%Y/%m/%d %H:%M:%S"
    assert parse_timestamp("2025/05/21 09:14:55", form) == "2025-05-21T09:14:55Z"
    with pytest.raises(LocalDate):  # not zero-padded: the file was saved again by a spreadsheet
        parse_timestamp("2025/5/21 9:14:55", form)


def test_google_csv_last_sign_in_is_read_as_utc_and_a_spreadsheet_rewrite_of_it_is_ambiguous(tmp_path):
    directory, findings = load_idp(GOOGLE)
    assert [u.attributes.get("lastLogin") for u in directory.users] == [
        "2025-05-21T09:14:55Z", "2024-11-02T17:03:40Z", None]
    assert findings == []
    folder = tmp_path / "google"
    shutil.copytree(GOOGLE, folder)
    users = folder / "users.csv"
    users.write_text(users.read_text(encoding="utf-8").replace("2025/05/21 09:14:55", "2025/5/21 9:14"),
                     encoding="utf-8")
    directory, findings = load_idp(folder)
    assert "lastLogin" not in directory.users[0].attributes  # was: 2025-05-21T09:14:00Z
    assert [(f.code, f.location, f.field, f.message) for f in findings] == [
        ("ambiguous-date", "line 2", "Last Sign In [READ ONLY]",
         f"'2025/5/21 9:14' is a date as a spreadsheet or a locale writes it, not ISO 8601: 21 May 2025, year "
         f"first{TAIL}")]


def tokyo_excel(when) -> str:
    """``when`` (UTC) as Excel ja-JP shows and saves it in Tokyo (UTC+9): ``2025/5/29 15:23``."""
    local = when + timedelta(hours=9)
    return f"{local.year}/{local.month}/{local.day} {local.hour}:{local.minute:02d}"


def test_a_member_invited_the_morning_an_entra_download_was_saved_in_tokyo_is_held(capsys, tmp_path):
    """The newest user of samples/acme/entra was made 2025-05-29T06:23:25Z, written ``2025/5/29 15:23`` by Excel in
    Tokyo; the new hire was invited at 08:00 UTC that day. Read as UTC, the export's newest record (15:23Z) passed
    her and she was deactivated on its silence; read as a local date, the export is dated by the day's earliest
    reading in any zone (28 May 10:00 UTC), so she is held as with the download itself."""
    sigma = sigma_with_new_hire(tmp_path)
    pages = json.loads((sigma / "members.json").read_text())
    [hire] = [m for m in pages[-1]["entries"] if m["memberId"] == NEW_HIRE]
    hire["createdAt"] = hire["updatedAt"] = "2025-05-29T08:00:00.000Z"
    (sigma / "members.json").write_text(json.dumps(pages, indent=2))
    idp, out = entra_saved_by_excel(tmp_path, tokyo_excel), tmp_path / "p.json"

    code, _, _ = run_cli(capsys, "plan", "--sigma", str(sigma), "--idp", str(idp),
                         "--policy", str(REPO / "samples" / "acme" / "policy-entra-reviewed.yaml"),
                         "--out", str(out), "--detailed-exitcode")
    assert code == 3  # was: 0 blocking, members.deactivate of the new hire, documents to the owner
    plan = read_plan(out)
    assert [a.id for a in plan.actions if NEW_HIRE in a.id] == []
    assert [i.id for i in plan.review_items if i.blocking] == [f"unmatched.new_member:{NEW_HIRE}"]
    [item] = [i for i in plan.review_items if i.blocking]
    assert item.message.startswith("new.person@acme.example: no IdP user matches this member, made "
                                   "2025-05-29T08:00:00Z, after the IdP export's newest record (2025-05-28T10:00:00Z): ")

    code, stdout, _ = run_cli(capsys, "check", "--sigma", str(sigma), "--idp", str(idp))
    dated = [line for line in stdout.splitlines() if "ambiguous-date" in line]
    assert (len(dated), dated[0], dated[-1]) == (
        21, f"warning: {idp / 'users.csv'}:line 2 [createdDateTime]: '2019/6/21 20:21' is a date as a spreadsheet or "
            f"a locale writes it, not ISO 8601: 21 June 2019, year first{TAIL} (ambiguous-date)",
        "... and 146 more ambiguous-date finding(s) (--json lists all)")  # 166 in all, one per user

