"""Open the 100k HTML report in a real headless Chromium and time load and search.

Usage::

    python bench/report_browser_bench.py [--report PATH] [--runs 3] [--json FILE]

``--report`` defaults to the report the plan benchmark wrote for 100,000 members
(``$TMPDIR/sigma-migrate-bench/runs/100000/run0/report.html``; run
bench/plan_bench.py first). The browser is Debian's ``chromium`` driven by
Playwright (``executable_path=shutil.which("chromium")``, no browser download),
headless, one fresh page per run. Measured per run:

- ``load``: from ``page.goto`` to the report's ``data-report-ready="1"`` (the
  people table rendered with its first page, all of its script run);
- ``domContentLoaded`` / ``load`` from the Navigation Timing API;
- for each search (a rare term: one person's email; a common term that matches
  almost everyone; no match), ``search``: from the ``input`` event to the
  table's next ``data-filter-runs`` change, and ``search compute``: the same
  minus the page's input debounce (200 ms above 20,000 rows, else 60 ms);
- a filter change (action kind), a column sort and "next page", the same way;
- page errors, and any request other than the report file itself (it must need none);
- the longest main-thread task while loading and after (``PerformanceObserver('longtask')``,
  tasks over 50 ms) and the JS heap (``performance.memory``): a frozen tab shows here.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--enable-precise-memory-info"]

# Installs a long-task observer before any script of the page runs.
INIT_SCRIPT = """
window.__longTasks = [];
try {
  new PerformanceObserver(function (list) {
    list.getEntries().forEach(function (e) { window.__longTasks.push(e.duration); });
  }).observe({entryTypes: ['longtask']});
} catch (e) {}
"""

# Resolves with ms from `act()` to the next change of data-filter-runs on the table.
TIMED_ACTION = """
([selector, kind, value]) => new Promise(resolve => {
  const table = document.querySelector('#people-table');
  const before = table.getAttribute('data-filter-runs');
  const t0 = performance.now();
  const obs = new MutationObserver(() => {
    if (table.getAttribute('data-filter-runs') !== before) {
      obs.disconnect();
      resolve({ms: performance.now() - t0, info: document.getElementById('page-info').innerText});
    }
  });
  obs.observe(table, {attributes: true, attributeFilter: ['data-filter-runs']});
  const el = document.querySelector(selector);
  if (kind === 'input') { el.value = value; el.dispatchEvent(new Event('input', {bubbles: true})); }
  else if (kind === 'select') { el.value = value; el.dispatchEvent(new Event('change', {bubbles: true})); }
  else { el.click(); }
})
"""

# Resolves with ms from a click to the next render of the page info (paging does not filter).
TIMED_PAGE = """
(selector) => new Promise(resolve => {
  const info = document.getElementById('page-info');
  const before = info.innerText;
  const t0 = performance.now();
  const obs = new MutationObserver(() => {
    if (info.innerText !== before) { obs.disconnect(); resolve({ms: performance.now() - t0, info: info.innerText}); }
  });
  obs.observe(info, {childList: true, characterData: true, subtree: true});
  document.querySelector(selector).click();
})
"""


def default_report() -> Path:
    return Path(tempfile.gettempdir()) / "sigma-migrate-bench" / "runs" / "100000" / "run0" / "report.html"


def terms_for(report: Path) -> dict[str, str]:
    """A rare term (one person's email from the plan next to the report), a common one, no match."""
    rare = "scheduler-robot"
    plan = report.with_name("plan.json")
    if plan.exists():
        people = json.loads(plan.read_text()).get("people", [])
        emails = [p.get("email") for p in people if p.get("email")]
        if emails:
            rare = emails[len(emails) // 2].lower()
    return {"rare": rare, "common": "example.com", "none": "zz-no-such-person-zz"}


def run_once(browser, report: Path, terms: dict[str, str]) -> dict:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    requests: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.add_init_script(INIT_SCRIPT)
    t0 = time.perf_counter()
    page.goto(report.resolve().as_uri(), timeout=300_000)
    try:
        page.wait_for_selector("html[data-report-ready='1']", state="attached", timeout=300_000)
    except Exception as exc:  # a frozen or broken page: say what the page said
        raise SystemExit(f"the report never became ready ({type(exc).__name__}); page errors: {errors}") from None
    load = time.perf_counter() - t0
    nav = page.evaluate("""() => { const n = performance.getEntriesByType('navigation')[0];
        return {dcl: n.domContentLoadedEventEnd, load: n.loadEventEnd}; }""")
    rows = page.evaluate("() => document.querySelectorAll('#people-table tbody tr').length")
    n_rows = page.evaluate("() => JSON.parse(document.getElementById('people-data').textContent).rows.length")
    debounce = 200.0 if n_rows > 20000 else 60.0
    out = {"load_s": load, "dom_content_loaded_ms": nav["dcl"], "load_event_ms": nav["load"],
           "people_rows": n_rows, "rendered_rows": rows, "debounce_ms": debounce, "actions": {}}
    out["longtask_supported"] = page.evaluate(
        "() => (PerformanceObserver.supportedEntryTypes || []).includes('longtask')")
    out["longest_task_during_load_ms"] = page.evaluate("() => Math.max(0, ...window.__longTasks)")
    page.evaluate("() => { window.__longTasks.length = 0; }")
    steps = [
        ("search rare", "#people-search", "input", terms["rare"]),
        ("search common", "#people-search", "input", terms["common"]),
        ("search none", "#people-search", "input", terms["none"]),
        ("clear search", "#people-search", "input", ""),
        ("filter kind", "#filter-kind", "select", "scim.link_user"),
        ("filter reset", "#filter-reset", "click", None),
        ("sort by name", "#people-table th[data-sort='name']", "click", None),
    ]
    for name, selector, kind, value in steps:
        r = page.evaluate(TIMED_ACTION, [selector, kind, value])
        ms = r["ms"] - (debounce if kind == "input" else 0.0)
        out["actions"][name] = {"ms": r["ms"], "compute_ms": ms, "info": r["info"]}
    r = page.evaluate(TIMED_PAGE, "#page-next")
    out["actions"]["next page"] = {"ms": r["ms"], "compute_ms": r["ms"], "info": r["info"]}
    out["longest_task_after_load_ms"] = page.evaluate("() => Math.max(0, ...window.__longTasks)")
    out["js_heap_mb"] = page.evaluate("() => performance.memory ? performance.memory.usedJSHeapSize / 1048576 : null")
    t1 = time.perf_counter()
    page.evaluate("() => 1")
    out["roundtrip_after_ms"] = (time.perf_counter() - t1) * 1e3
    out["page_errors"] = errors
    out["other_requests"] = [u for u in requests if u != report.resolve().as_uri()]
    page.close()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--report", type=Path, default=default_report())
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    if not args.report.exists():
        raise SystemExit(f"{args.report}: no report; run `python bench/plan_bench.py` first or pass --report")
    executable = shutil.which("chromium")
    if executable is None:
        raise SystemExit("Debian's chromium is not installed: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    terms = terms_for(args.report)
    size = args.report.stat().st_size
    print(f"report {args.report} ({size / 2**20:.1f} MiB), chromium {executable}, {args.runs} runs")
    runs = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        print(f"browser: Chromium {browser.version}")
        for i in range(args.runs):
            r = run_once(browser, args.report, terms)
            runs.append(r)
            print(f"  run {i + 1}: load {r['load_s']:.2f} s (DOMContentLoaded {r['dom_content_loaded_ms']:.0f} ms), "
                  + ", ".join(f"{k} {v['compute_ms']:.0f} ms" for k, v in r["actions"].items())
                  + f"; longest task {r['longest_task_after_load_ms']:.0f} ms, heap {r['js_heap_mb'] or 0:.0f} MB"
                  + (f"; PAGE ERRORS {r['page_errors']}" if r["page_errors"] else ""), flush=True)
        browser.close()
    med = {
        "report_bytes": size,
        "people_rows": runs[0]["people_rows"],
        "load_s": statistics.median(r["load_s"] for r in runs),
        "dom_content_loaded_ms": statistics.median(r["dom_content_loaded_ms"] for r in runs),
        "actions": {k: {"ms": statistics.median(r["actions"][k]["ms"] for r in runs),
                        "compute_ms": statistics.median(r["actions"][k]["compute_ms"] for r in runs),
                        "info": runs[-1]["actions"][k]["info"]}
                    for k in runs[0]["actions"]},
        "longest_task_after_load_ms": max(r["longest_task_after_load_ms"] for r in runs),
        "longest_task_during_load_ms": statistics.median(r["longest_task_during_load_ms"] for r in runs),
        "longtask_supported": all(r["longtask_supported"] for r in runs),
        "js_heap_mb": statistics.median(r["js_heap_mb"] or 0 for r in runs),
        "page_errors": sorted({e for r in runs for e in r["page_errors"]}),
        "other_requests": sorted({u for r in runs for u in r["other_requests"]}),
        "terms": terms,
    }
    print()
    print(f"{med['people_rows']:,} people rows; median load {med['load_s']:.2f} s "
          f"(DOMContentLoaded {med['dom_content_loaded_ms']:.0f} ms), JS heap {med['js_heap_mb']:.0f} MB")
    for k, v in med["actions"].items():
        print(f"  {k:<14} {v['compute_ms']:7.0f} ms to render (+ debounce: {v['ms']:.0f} ms)  -> {v['info']}")
    print(f"  longest main-thread task: {med['longest_task_during_load_ms']:.0f} ms while loading (median), "
          f"{med['longest_task_after_load_ms']:.0f} ms after (max; long-task API "
          f"{'on' if med['longtask_supported'] else 'NOT supported'})")
    print(f"  page errors: {len(med['page_errors'])}; requests other than the file: "
          f"{len(med['other_requests'])}" + (f" {med['other_requests'][:5]}" if med["other_requests"] else ""))
    ok = (not med["page_errors"] and med["load_s"] < 10 and
          max(v["compute_ms"] for v in med["actions"].values()) < 1000)
    print(f"  [{'met' if ok else 'MISSED':>6}] the report opens and its search responds "
          "(no page error, load < 10 s, every interaction < 1 s)")
    med["met"] = ok
    if args.json:
        args.json.write_text(json.dumps({"median": med, "runs": runs}, indent=2, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
