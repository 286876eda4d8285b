"""``sigma-migrate demo``: the whole pipeline on the bundled sample, against an in-process sandbox.

Steps (each printed as it happens; a few seconds on a laptop):

1. start two local emulators on 127.0.0.1 with generated credentials that stay in
   this process (never printed, never written): the Sigma sandbox
   (:class:`planner.sandbox.server.SandboxServer`) seeded from ``samples/acme/sigma``,
   and the Okta emulator (:class:`planner.sandbox.idp.okta.OktaEmulator`) seeded from
   ``samples/acme/okta`` (the sandbox's REST credentials belong to the member the demo policy
   names in ``organization.api_credential_owner``: apply refuses anyone else's; its SCIM token to
   ``organization.scim_setup_admin``); pull both
   live, as an admin would: ``fetch`` into ``export/sigma`` (with the SCIM token: Sigma's SCIM state
   too) and ``fetch-idp okta`` into ``export/okta`` (every page, every listing checked complete).
   Everything below reads only these pulled exports;
2. plan the pulled organization with the default policy ``policies/default.yaml``:
   the first plan a team would make. Its blocking review items make apply refuse
   it, which the demo shows;
3. plan again with ``policies/examples/demo.yaml``, the same organization's policy
   after a reviewer settled every item. Bob Ray's typo duplicate ``Bob.Ray@`` next to
   ``bob.ray@`` (samples/acme/README.md, case 4) needs no manual step: the plan frees
   the duplicate's address (``linking.duplicates``) before the link;
4. write ``plan.json``, the HTML report ``report.html`` and ``actions.csv``; approve;
5. apply to the sandbox (stale check, ordered and concurrent actions, journal), verify
   that every object converged, write ``plan.json.run-1.result.json`` and
   ``plan.json.run-1.result.html`` (the report with the apply result), and print where the
   report is.

Exit status 0 when the sandbox converged to the plan, 3 otherwise.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from .errors import UserError
from .execute.apply import ApplyOptions, apply_plan, outcome_lines
from .execute.approve import approve
from .execute.progress import make_progress
from .fetch import fetch_export
from .idp import pull_idp, write_pull
from .planfile import write_plan
from .resources import data_dir

if TYPE_CHECKING:
    from .sandbox.idp.okta import OktaEmulator
    from .sandbox.server import SandboxServer

SAMPLE = "acme"
IDP = "okta"
DEMO_POLICY = "examples/demo.yaml"
APPROVER = "sigma-migrate demo"

DEMO_OUTPUTS = ("export", "plan-default-policy.json", "report-default-policy.html", "plan.json", "report.html",
                "actions.csv")
"""What the demo writes in its work directory (besides ``plan.json``'s approval, journal and results,
``plan.json.*``)."""


class DemoWorkdirError(UserError):
    """``--workdir`` already holds the demo's files and overwriting them was not asked for."""


def demo_files(folder: Path) -> list[str]:
    """The names of the demo's own files already in ``folder`` (:data:`DEMO_OUTPUTS`, ``plan.json.*``), sorted."""
    if not folder.is_dir():
        return []
    found = {name for name in DEMO_OUTPUTS if (folder / name).exists()}
    found.update(p.name for p in folder.glob("plan.json.*"))
    return sorted(found)

def _pull(folder: Path, sandbox: "SandboxServer", okta: "OktaEmulator",
          echo: Callable[[str], None]) -> tuple[Path, Path]:
    """Step 1: ``fetch`` the sandbox into ``export/sigma`` and ``fetch-idp okta`` into ``export/okta``."""
    sigma_dir, idp_dir = folder / "export" / "sigma", folder / "export" / IDP
    for folder_of_export in (sigma_dir, idp_dir):  # the demo's own layout inside its work directory
        folder_of_export.mkdir(parents=True, exist_ok=True)
    echo(f"1. Live pulls: Sigma sandbox {sandbox.base_url}, Okta emulator {okta.base_url}")
    sigma = fetch_export(sigma_dir, base_url=sandbox.base_url, client_id=sandbox.client_id,
                         client_secret=sandbox.client_secret, scim_token=sandbox.scim_token)
    echo(f"   fetch: {sigma.members} members, {sigma.teams} teams, {sigma.memberships} team memberships "
         f"into {sigma_dir}")
    pulled = pull_idp(IDP, {"OKTA_API_TOKEN": okta.token, "OKTA_ORG_URL": okta.base_url})
    write_pull(pulled, idp_dir)
    c = pulled.counts
    echo(f"   fetch-idp okta: {c.users} users ({c.inactive} inactive), {c.groups} groups, "
         f"{c.memberships} group memberships into {idp_dir}")
    return sigma_dir, idp_dir


def run_demo(workdir: str | Path | None = None, *, echo: Callable[[str], None] = print, quiet: bool = False,
             overwrite: bool = False) -> int:
    """Run the demo (module docstring) in ``workdir`` (a new temporary folder when ``None``).

    A ``workdir`` already holding the demo's files (:func:`demo_files`: a plan, report or journal of
    an earlier run, or of the admin's own work under the same names) is refused with
    :class:`DemoWorkdirError`, nothing written, unless ``overwrite``: then the earlier run's
    ``plan.json.*`` (approval, journal, results) are removed first, so the demo starts afresh.

    Returns the exit status: 0 converged, 3 not converged. Raises
    :class:`planner.errors.UserError` subclasses when the bundled data is
    missing or a stage refuses.
    """
    from .planning import plan_from_paths
    from .policy_reader import load_policy
    from .report import report_headline, write_actions_csv, write_html
    from .sandbox.idp.okta import OktaEmulator, OktaSeed
    from .sandbox.server import SandboxServer

    started = time.monotonic()
    if workdir:
        found = demo_files(Path(workdir))
        if found and not overwrite:
            raise DemoWorkdirError(
                f"{workdir} already holds the demo's files ({', '.join(found)}); pass --overwrite to replace "
                "them, or give a new --workdir; nothing was written")
        for name in found:
            if name.startswith("plan.json."):
                (Path(workdir) / name).unlink()
    folder = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="sigma-migrate-demo-"))
    folder.mkdir(exist_ok=True)  # its parent must exist (output rules, planner.output)
    sample = data_dir("samples") / SAMPLE
    policies = data_dir("policies")
    echo(f"sigma-migrate demo: sample organization {sample}, work directory {folder}")

    # the REST credentials belong to the member the demo policy names, as apply requires (GET /v2/whoami),
    # and the SCIM token to its organization.scim_setup_admin, as the plan says (documents, guards)
    organization = load_policy(policies / DEMO_POLICY).organization
    with SandboxServer(sample / "sigma", credential_owner=organization.api_credential_owner,
                       scim_admin=organization.scim_setup_admin) as sandbox, \
            OktaEmulator(OktaSeed.from_export(sample / IDP)) as okta:
        sigma_dir, idp_dir = _pull(folder, sandbox, okta, echo)

        first, _ = plan_from_paths(str(sigma_dir), [str(idp_dir)], str(policies / "default.yaml"))
        first_digest = write_plan(first, folder / "plan-default-policy.json")
        write_html(first, folder / "report-default-policy.html", digest=first_digest)
        echo(f"2. Plan with policies/default.yaml: {first.summary.text}")
        if first.blocking_items:
            echo(f"   {len(first.blocking_items)} blocking review item(s): apply would refuse this plan "
                 f"(report-default-policy.html lists them with the policy snippet that settles each)")

        plan, _ = plan_from_paths(str(sigma_dir), [str(idp_dir)], str(policies / DEMO_POLICY))
        echo(f"3. Plan with policies/{DEMO_POLICY} (every review item settled): {plan.summary.text}")

        plan_path = folder / "plan.json"
        digest = write_plan(plan, plan_path)
        report_path = write_html(plan, folder / "report.html", digest=digest)
        write_actions_csv(plan, folder / "actions.csv")
        echo(f"4. Plan {plan_path} ({digest}); {report_headline(plan)}")
        echo(f"   Report {report_path}")
        approval = approve(plan_path, APPROVER)
        echo(f"   Approved by {approval.approver}: {plan_path.name}.approval")

        env = {
            "SIGMA_CLIENT_ID": sandbox.client_id,
            "SIGMA_CLIENT_SECRET": sandbox.client_secret,
            "SIGMA_SCIM_TOKEN": sandbox.scim_token,
        }
        options = ApplyOptions(rest_base_url=sandbox.base_url, scim_base_url=sandbox.scim_base_url, environ=env)
        echo(f"5. Apply to the sandbox: REST {sandbox.base_url}, SCIM {sandbox.scim_base_url}")
        report = apply_plan(plan_path, options, progress=make_progress(quiet=quiet, problems_only=True),
                            echo=lambda line: echo("   " + line))
    for line in outcome_lines(report):
        if not line.startswith("Continue with"):
            echo("   " + line)
    seconds = time.monotonic() - started
    if report.status == "converged":
        echo(f"Done in {seconds:.1f} s: the sandbox converged to the plan. Open the report: {report.html_file}")
    else:
        echo(f"Done in {seconds:.1f} s, but the sandbox did not converge; see {report.html_file}")
    return report.exit_code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run_demo(sys.argv[1] if len(sys.argv) > 1 else None))
