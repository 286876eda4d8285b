"""The HTML report in a real headless Chromium (Debian's ``chromium``, driven by Playwright).

No browser download: Playwright launches ``shutil.which("chromium")``. Without chromium
these tests skip, unless ``REQUIRE_BROWSER=1`` (set by .ci/run), then they fail.
Screenshots are kept in ``test-artifacts/``: ``report.png`` (the sample organization's
report, first screen) and ``report-fixture.png`` (the hand-made plan, whole page).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import msgspec
import pytest

from planner.model import ActionKind, PersonRow, Plan, PlanOrganization
from planner.report import write_html

from .execute_support import act
from .plan_factory import bare_plan

try:  # tests/ is a package (tests/__init__.py); fall back to rootdir-style imports without it
    from tests.test_report import INJECTED, QUOTED, build_plan
except ImportError:
    from test_report import INJECTED, QUOTED, build_plan

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


def _unavailable(reason: str) -> None:
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(f"REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    executable = shutil.which("chromium")
    if executable is None:
        _unavailable("Debian's chromium is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class OpenReport:
    """A report opened from disk, with every request, console error, page error and dialog recorded."""

    def __init__(self, browser, path: Path, width: int = 1280, height: int = 900):
        self.url = path.resolve().as_uri()
        self.page = browser.new_page(viewport={"width": width, "height": height})
        self.requests: list[str] = []
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("console", lambda m: m.type in ("error", "warning") and self.console_errors.append(m.text))
        self.page.on("pageerror", lambda e: self.page_errors.append(str(e)))
        self.page.on("dialog", self._dialog)
        self.page.goto(self.url)
        self.page.wait_for_selector("html[data-report-ready='1']")

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def rows(self) -> list[list[str]]:
        return self.page.eval_on_selector_all(
            "#people-table tbody tr", "trs => trs.map(tr => Array.from(tr.cells).map(td => td.innerText))"
        )

    def names(self) -> list[str]:
        return [r[0].split("\n")[0] for r in self.rows()]

    def info(self) -> str:
        return self.page.inner_text("#page-info")

    def search(self, text: str) -> None:
        # the box filters after a short debounce; wait until the table was filtered again
        self.after_filtering(lambda: self.page.fill("#people-search", text))

    def after_filtering(self, act) -> None:
        """Run ``act`` (a click or a key that filters or sorts the table), then wait until the table was filtered
        again: the renderer may handle the input after Playwright's click returns (seen under load: the order
        read was still the plan's)."""
        runs = self.page.get_attribute("#people-table", "data-filter-runs")
        act()
        self.page.wait_for_function(
            "prev => document.getElementById('people-table').getAttribute('data-filter-runs') !== prev",
            arg=runs,
        )

    def sort_by(self, key: str) -> None:
        """Click the header of column ``key`` (its ``data-sort``) and wait until the table is sorted again."""
        self.after_filtering(lambda: self.page.click(f"#people-table th[data-sort='{key}']"))

    def close(self) -> None:
        self.page.close()


@pytest.fixture(scope="module")
def report_path(tmp_path_factory) -> Path:
    return write_html(build_plan(), tmp_path_factory.mktemp("report") / "report.html")


@pytest.fixture
def report(browser, report_path):
    opened = OpenReport(browser, report_path)
    yield opened
    opened.close()


def test_loads_offline_without_errors_and_keeps_a_screenshot(report):
    assert report.requests == [report.url]
    assert report.console_errors == []
    assert report.page_errors == []
    assert report.dialogs == []
    assert report.info() == "Showing 1\u201314 of 14 matching (of 14 people) \u00b7 page 1 of 1"
    assert report.page.inner_text("#tile-lockout .n") == "6"
    assert report.page.inner_text("#tile-admins .n") == "2"
    assert report.page.inner_text("#status-banner").startswith("Apply is blocked: 2 blocking review items")
    ARTIFACTS.mkdir(exist_ok=True)
    report.page.screenshot(path=str(ARTIFACTS / "report-fixture.png"), full_page=True)
    assert (ARTIFACTS / "report-fixture.png").stat().st_size > 10_000


def test_injected_display_name_is_text_and_does_not_run(report):
    assert report.page.evaluate("document.querySelectorAll('img').length") == 0
    report.search("x@acme")
    assert report.names() == [INJECTED]
    cell = report.page.inner_text("#people-table tbody tr td")
    assert cell.startswith(INJECTED)
    assert INJECTED in report.page.inner_text("#review-r-ambiguous-1 table.candidates")
    report.search(QUOTED.split()[1])  # "Mo" in quotes
    assert report.names() == [QUOTED]
    assert report.dialogs == [] and report.page_errors == []


def test_search_filters_the_people_table(report):
    report.search("bob@acme")
    assert report.names() == ["Bob Ray"]
    report.search("VIEWER creator")  # every term must match, any letter case
    assert report.names() == ["Gus Up"]
    report.search("nobody-has-this")
    assert report.rows() == [["No person matches."]]
    assert report.info().startswith("0 matching (of 14 people)")
    report.search("")
    assert len(report.rows()) == 14


def test_action_kind_and_review_filters(report):
    page = report.page
    page.select_option("#filter-kind", "members.deactivate")
    assert report.names() == ["Dan Leaver", "Ivy Leaver"]
    page.select_option("#filter-kind", "scim.set_account_type")
    assert report.names() == ["Bob Ray", QUOTED, "Ops Robot", "Gus Up"]
    page.select_option("#filter-kind", "none")
    assert report.names() == ["Olga Archived", "Hal Pending"]
    page.select_option("#filter-kind", "")
    page.select_option("#filter-review", "blocking")
    assert report.names() == [INJECTED, "Hal Pending"]
    page.select_option("#filter-review", "info")
    assert report.names() == [QUOTED]
    page.select_option("#filter-review", "any")
    page.select_option("#filter-kind", "scim.link_user")
    assert report.names() == [INJECTED]
    report.after_filtering(lambda: page.click("#filter-reset"))
    assert len(report.rows()) == 14


def test_risk_buttons_preset_the_table(report):
    report.after_filtering(lambda: report.page.click("#tile-lockout button"))
    assert report.names() == ["Carol Guest", "Dan Leaver", "Eve Unmatched", "Frank Away", "Hal Pending", "Ivy Leaver"]
    assert [r[-1] for r in report.rows()] == [
        "guest disabled", "deactivated", "no IdP identity", "deactivated", "no IdP identity (in review)", "deactivated",
    ]
    report.after_filtering(lambda: report.page.click("#tile-admins button"))
    assert report.names() == [QUOTED, "Ops Robot"]
    report.after_filtering(lambda: report.page.click("#tile-changes button"))
    assert report.names() == ["Bob Ray", QUOTED, "Ops Robot", "Gus Up"]


def test_sorting_by_column(report):
    page = report.page
    report.sort_by("name")
    names = report.names()
    assert names == sorted(names, key=str.lower)
    assert page.get_attribute("#people-table th[data-sort='name']", "aria-sort") == "ascending"
    report.sort_by("name")
    assert report.names() == list(reversed(names))
    report.sort_by("account_type_after")
    after = [r[5] for r in report.rows()]
    assert after == sorted(after, key=str.lower)
    assert after[:4] == ["", "", "", ""] and after[-1] == "Viewer"


def _big_plan(n: int) -> Plan:
    """``n`` linked people, every 10th deactivated, every 50th in review; names sort by number."""
    types = ("Viewer", "Creator", "Pro", "Admin")
    actions, people = [], []
    for i in range(n):
        email = f"person-{i:06d}@acme.example"
        kind = ActionKind.MEMBERS_DEACTIVATE if i % 10 == 0 else ActionKind.SCIM_LINK_USER
        if kind is ActionKind.MEMBERS_DEACTIVATE:
            actions.append(act(f"a{i}", kind, {"memberId": f"m{i}", "email": email},
                               {"isArchived": True, "newOwnerId": None}, rule="r", reason="why"))
        else:
            actions.append(act(f"a{i}", kind, {"memberId": f"m{i}", "email": email, "userName": email},
                               {"userName": email, "givenName": "G", "familyName": "F", "active": True},
                               rule="r", reason="why"))
        people.append(PersonRow(
            member_id=f"m{i}", email=email, name=f"Person {i:06d}", member_type=types[i % 4],
            user_kind="internal", sigma_status="active", idp_id=f"00u{i}", user_name=email,
            idp_status="ACTIVE", link_key="email", account_type_before=types[i % 4],
            account_type_after=types[i % 4], actions=(f"a{i}",),
            review_items=(f"r{i}",) if i % 50 == 0 else (), lockout=None, type_change=None, admin_change=None,
            account_type_source=None, scim_managed=None,
        ))
    base = build_plan()
    return msgspec.structs.replace(base, people=tuple(people), actions=tuple(actions), review_items=())


def test_paging_and_search_over_100k_people(browser, tmp_path):
    path = write_html(_big_plan(100_000), tmp_path / "big.html")
    report = OpenReport(browser, path)
    try:
        page = report.page
        assert report.info() == "Showing 1\u2013100 of 100,000 matching (of 100,000 people) \u00b7 page 1 of 1,000"
        assert page.evaluate("document.querySelectorAll('#people-table tbody tr').length") == 100
        page.click("#page-next")
        assert report.names()[0] == "Person 000100"
        page.click("#page-last")
        assert report.names()[-1] == "Person 099999"
        assert report.info().startswith("Showing 99,901\u2013100,000 of 100,000")
        report.search("person-054321@")
        assert report.names() == ["Person 054321"]
        report.search("person-0543")
        assert report.info().startswith("Showing 1\u2013100 of 100 matching")
        page.select_option("#filter-kind", "members.deactivate")
        assert report.info().startswith("Showing 1\u201310 of 10 matching")
        report.sort_by("name")
        report.sort_by("name")
        assert report.names()[0] == "Person 054390"
        report.search("")
        page.select_option("#filter-review", "blocking")
        assert report.info().startswith("0 matching")
        page.select_option("#filter-review", "info")
        assert report.info().startswith("Showing 1\u2013100 of 2,000 matching")
        assert report.requests == [report.url]
        assert report.console_errors == [] and report.page_errors == []
    finally:
        report.close()


def test_prints_without_controls(report):
    report.page.emulate_media(media="print")
    assert report.page.is_hidden("#people-search")
    assert report.page.is_hidden("nav.toc")
    assert report.page.is_visible("#risk-lockout")
    pdf = report.page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")


def test_sample_organization_report(browser, repo, tmp_path):
    from planner.planning import plan_from_paths
    from planner.report import risk_summary

    plan, _ = plan_from_paths(
        str(repo / "samples" / "acme" / "sigma"), [str(repo / "samples" / "acme" / "okta")],
        str(repo / "policies" / "default.yaml"),
    )
    report = OpenReport(browser, write_html(plan, tmp_path / "report.html"))
    try:
        assert report.requests == [report.url]
        assert report.console_errors == [] and report.page_errors == [] and report.dialogs == []
        risk = risk_summary(plan)
        assert report.page.inner_text("#tile-lockout .n") == str(risk["lockout_total"])
        # decisions needed = blocking items only; the informational ones are counted apart
        assert report.page.inner_text("#tile-review .n") == str(len(plan.blocking_items))
        info = len(plan.review_items) - len(plan.blocking_items)
        assert report.page.inner_text("#tile-review-info") == f"{info} informational items, nothing to decide"
        ARTIFACTS.mkdir(exist_ok=True)
        report.page.screenshot(path=str(ARTIFACTS / "report.png"))
        person = next(p for p in plan.people if p.member_id and p.email)
        report.search(person.email)
        assert person.name in report.names()
        report.search("")
        report.after_filtering(lambda: report.page.click("#tile-lockout button"))
        assert report.info().startswith(f"Showing 1\u2013{min(100, risk['lockout_total'])} of {risk['lockout_total']} matching")
    finally:
        report.close()


def test_long_addresses_and_messages_wrap_instead_of_overflowing(browser, tmp_path):
    """Issue 13 item 5: a long address in a review item and in the pre-flight table wraps inside
    its box at a narrow width (no horizontal overflow, nothing cut)."""
    from planner.model import NO_EVIDENCE, ItemRef, PreflightCheck, PreflightStatus, ReviewItem

    long_address = "a" * 120 + "@" + "very-long-subdomain-name." * 6 + "example"
    plan = bare_plan(
        organization=PlanOrganization("", "Wrap"),
        review_items=(ReviewItem(id="x:1", code="linking.ambiguous", blocking=True,
                                 subject=ItemRef(email=long_address), message=f"{long_address} matches two members",
                                 candidates=(), evidence=NO_EVIDENCE, rule="", resolution=""),),
        preflight=(PreflightCheck("guests", "guests told", PreflightStatus.UNCONFIRMED, True,
                                              f"{long_address} loses access", "", "", None),),
    )
    report = OpenReport(browser, write_html(plan, tmp_path / "wrap.html"), width=700)
    try:
        for selector in ("#review-x\\:1", "#preflight"):
            box = report.page.eval_on_selector(selector, "e => { e.scrollIntoView(); return [e.scrollWidth, e.clientWidth, e.textContent]; }")
            assert box[0] <= box[1] + 1, selector  # no overflow
            assert long_address in box[2].replace("\n", "")  # the whole value, not cut
        assert report.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    finally:
        report.close()
