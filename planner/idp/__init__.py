"""``sigma-migrate fetch-idp okta|entra|google``: pull an IdP's users, groups and members over its REST API.

Each IdP module (:mod:`.okta`, :mod:`.entra`, :mod:`.google`) reads every
listing whole (paging, throttling, count checks: :mod:`planner.listing`) and
returns an :class:`~.pull.IdpPull` whose files are exactly the layout its
loader in :mod:`planner.sources` reads. :func:`fetch_idp` writes them all or
nothing. Credentials come from the environment only and are never written.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from ..execute.retry import RetryPolicy
from ..output import Outputs
from ..sources.manifest import FILE_NAME as MANIFEST_FILE, manifest_document
from .http import IdpFetchError
from .pull import IdpPull

IDPS = ("okta", "entra", "google")
"""The IdPs ``fetch-idp`` pulls from."""

FILES = ("users.json", "groups.json", "group_members.json", MANIFEST_FILE)
"""What every pull writes (the names are the same for the three IdPs; the manifest: :mod:`planner.sources.manifest`)."""


def check_out_dir(out_dir: str | Path, force: bool) -> None:
    """Refuse an ``--out`` folder whose files would mix with the new export.

    A folder holding files is refused without ``force``; with ``force``, only the
    files a pull writes (:data:`FILES`) may be there (they are replaced): any other
    (a ``group_members/`` folder saved by hand, an older CSV) would be read together
    with the new export by ``check`` and ``plan``. Raises :class:`IdpFetchError`.
    """
    out = Path(out_dir)
    if not out.is_dir():
        return
    present = sorted(p.name + ("/" if p.is_dir() else "") for p in out.iterdir())
    if present and not force:
        raise IdpFetchError(f"{out}: directory is not empty (use --force to replace the export files)")
    others = [name for name in present if name not in FILES]
    if others:
        raise IdpFetchError(f"{out}: holds {', '.join(others[:3])}{' ...' if len(others) > 3 else ''}, which "
                            "fetch-idp does not write and the loaders would read with the new export; "
                            "remove them or choose an empty folder")


def pull_idp(
    idp: str,
    environ: Mapping[str, str],
    *,
    base_url: str | None = None,
    login_url: str | None = None,
    retry: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
    note: Callable[[str], None] | None = None,
) -> IdpPull:
    """Pull ``idp`` (one of :data:`IDPS`) with the credentials in ``environ``; nothing is written.

    ``base_url`` replaces the API host (Okta: the org URL, else ``$OKTA_ORG_URL``;
    Graph: ``https://graph.microsoft.com``; Google: ``https://admin.googleapis.com``);
    ``login_url`` the Entra sign-in host (``https://login.microsoftonline.com``).
    ``note`` hears each long wait before a retry (:class:`~planner.idp.http.IdpReader`).
    Raises :class:`IdpFetchError` / :class:`planner.listing.IncompleteListing`.
    """
    options = {"retry": retry, "sleep": sleep, "note": note}
    if idp == "okta":
        from . import okta

        with okta.reader_for(environ, base_url, **options) as reader:
            return okta.pull(reader)
    if idp == "entra":
        from . import entra

        with entra.reader_for(environ, base_url, login_url, **options) as reader:
            return entra.pull(reader)
    if idp == "google":
        from . import google

        with google.reader_for(environ, base_url, **options) as reader:
            return google.pull(reader, environ)
    raise IdpFetchError(f"unknown IdP {idp!r} (one of: {', '.join(IDPS)})")


def write_pull(result: IdpPull, out_dir: str | Path) -> list[Path]:
    """Write the pull's files and its manifest into ``out_dir`` all or nothing (:class:`planner.output.Outputs`).

    The manifest (:data:`MANIFEST_FILE`, :mod:`planner.sources.manifest`) records each file's
    count, so the loaders know every listing was read whole. Returns the paths written.
    """
    out = Path(out_dir)
    documents = (*result.files, (MANIFEST_FILE, manifest_document(result.idp, dict(result.records))))
    with Outputs() as outputs:
        for name, _ in documents:
            outputs.add(name, out / name)
        for name, document in documents:
            outputs.write_text(out / name, json.dumps(document, indent=1, ensure_ascii=False) + "\n")
    return [out / name for name, _ in documents]
