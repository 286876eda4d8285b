"""The manifest ``fetch-idp`` writes beside its export: each file's listing was read whole, with its count.

A hand-saved Okta users file of exactly 200 users is one full API page whose
next pages may be missing (:mod:`.okta`, issue 14 C.6). An export pulled by
``sigma-migrate fetch-idp`` had every listing count-checked (:mod:`planner.listing`)
before anything was written, so the same 200 users are a complete listing. The
pull says so in ``fetch-idp-manifest.json``, written in the same all-or-nothing
set as the export files (:func:`planner.idp.write_pull`)::

    {"manifest": "sigma-migrate fetch-idp", "version": 1, "idp": "okta", "fetchedAt": "2026-12-06T08:00:00Z",
     "files": {"users.json": 200, "groups.json": 3, "group_members.json": 412}}

``fetchedAt`` (both manifests; absent in those written before it was recorded) is when the pull read the
source, UTC to the second: the plan records it and judges the IdP export's age by it
(:func:`planner.rules.inputs.idp_export_old_item`, tester8 finding 21).

``files`` maps each export file (a name in the manifest's folder) to the number
of records its loader counts in it (:attr:`planner.model.InputFile.records`:
users, groups, group memberships). The loaders of the three pulled formats
(``okta-api``, ``entra-graph``, ``google-api``) read it: a manifest whose counts
match the files vouches for them (no "one full page" heuristic, no truncation
mark); a count that differs, or a named file that is missing, is an error
naming the file (someone edited or cut it: pull again). Without a manifest the
heuristics apply as to any hand-saved export.

``sigma-migrate fetch`` writes ``fetch-manifest.json`` beside the Sigma export, in the same
all-or-nothing set (:func:`planner.fetch.fetch_export`), recording whether Sigma's SCIM state was
read (:class:`planner.model.FetchManifest`)::

    {"manifest": "sigma-migrate fetch", "version": 1, "scimState": "left_out", "fetchedAt": "2026-12-06T09:00:00Z",
     "files": {"account_types.json": 6, "members.json": 10, "teams.json": 3, "team_members.json": 8}}

``files`` has fetch-idp's shape: each file ``fetch`` wrote (a path under the export folder: ``scim/Users.json`` with the
SCIM state) with the records the Sigma loader counts in it (members, teams, team memberships, account types, SCIM
resources), checked by the same :func:`check_counts` (a file cut or edited after the fetch, a members page deleted, an
archived team taken out of ``teams.json``, is a ``manifest-mismatch`` error naming it: tester21 finding 2). A manifest
written before ``fetch`` recorded them has no ``files`` and is read as before (its files are not checked).
``scimState`` is ``read`` (``SIGMA_SCIM_TOKEN`` set: ``scim/Users.json`` and ``scim/Groups.json``
written), ``left_out`` (``--no-scim-state``) or ``not_read`` (no token, and nothing fetch could see
said SCIM is in use). The Sigma loader reads it (:func:`read_fetch_manifest`): ``plan`` names it in
the blocking ``inputs.scim_state_missing`` item (:mod:`planner.rules.inputs`). A manifest of
another shape, one saying ``read`` beside an export without ``scim/``, or one saying the state was
not read beside a ``scim/`` folder, is a ``manifest-mismatch`` error (the export was changed after
the fetch: fetch again).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Mapping, Sequence

from ..model import SCIM_STATE_LEFT_OUT, SCIM_STATE_NOT_READ, SCIM_STATE_READ, FetchManifest, IdpDirectory, InputFile
from .files import Findings, read_json
from .values import later_than_now

FILE_NAME = "fetch-idp-manifest.json"
"""Where ``fetch-idp`` writes the manifest (in ``--out``, beside the export files)."""

MARK = "sigma-migrate fetch-idp"
"""The ``manifest`` value that identifies the file (detection: :func:`planner.sources.detect.classify_json`)."""

VERSION = 1

FORMATS = {"okta": "okta-api", "entra": "entra-graph", "google": "google-api"}
"""The loader format of each pulled IdP's export."""


AGAIN = {"fetch-idp": "pull", "fetch": "fetch"}
"""What a manifest's command calls its run, by command (``fetch-idp``'s manifest: "pull again"; ``fetch``'s:
"fetch again"), as :func:`check_counts` says it."""


@dataclass(frozen=True)
class FileCounts:
    """What a manifest says its command wrote: ``path`` (the manifest), ``counts`` (each export file's path, in the
    manifest's folder, with the records its loader counts in it: :attr:`~planner.model.InputFile.records`) and
    ``command`` (a key of :data:`AGAIN`: ``fetch-idp`` or ``fetch``)."""

    path: Path
    counts: tuple[tuple[Path, int], ...]
    command: str

    def vouches(self, path: Path | str) -> bool:
        """True when ``path`` is one of the files this manifest names (its listing was read whole)."""
        target = Path(path).resolve()
        return any(p.resolve() == target for p, _ in self.counts)


@dataclass(frozen=True)
class PullManifest:
    """A read fetch-idp manifest: the IdP pulled, its files with their record counts (:class:`FileCounts`), its own
    input record."""

    path: Path
    idp: str
    files: FileCounts
    input: InputFile
    fetched_at: str | None = None
    """When the pull read the IdP (``fetchedAt``), ``None`` in a manifest written before it was recorded."""

    def vouches(self, path: Path | str) -> bool:
        """True when ``path`` is one of the files this manifest names (its listing was read whole)."""
        return self.files.vouches(path)


def fetched_now() -> str:
    """The ``fetchedAt`` of a manifest written now: UTC, to the second (``2026-12-06T17:40:00Z``)."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def read_fetched_at(data: dict, path: Path, findings: Findings, now: datetime | None = None
                    ) -> tuple[bool, str | None]:
    """``(ok, fetchedAt)`` of a manifest document: absent is ``(True, None)`` (a manifest written before the time
    was recorded). A ``manifest-mismatch`` error (``(False, None)``): a value that is not an ISO 8601 UTC time to
    the second, or one later than ``now`` (default the clock) by more than :data:`~.values.CLOCK_SKEW` (a wrong clock
    where it was fetched, or an edited manifest: an export read in the future has no age to judge)."""
    value = data.get("fetchedAt")
    if value is None:
        return True, None
    read_at = parse_fetched_at(value) if isinstance(value, str) else None
    if read_at is None:
        findings.error("manifest-mismatch", path, "", "fetchedAt",
                       f"{value!r} is not a UTC time like 2026-12-06T17:40:00Z; fetch again")
        return False, None
    now = now or datetime.now(timezone.utc)
    if later_than_now(read_at, now):
        findings.error("manifest-mismatch", path, "", "fetchedAt",
                       f"{value} is later than now ({now.strftime('%Y-%m-%dT%H:%M:%SZ')}): the clock where it was "
                       "fetched was wrong, or the manifest was edited; fetch again")
        return False, None
    return True, value


def parse_fetched_at(value: str) -> datetime | None:
    """A ``fetchedAt`` as an aware :class:`datetime` (UTC), ``None`` when it is not ``YYYY-MM-DDTHH:MM:SSZ``."""
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        return None


def manifest_document(idp: str, counts: Mapping[str, int], fetched_at: str | None = None) -> dict:
    """The JSON document of a manifest for pulled ``idp`` with ``counts`` (file name -> records), read at
    ``fetched_at`` (:func:`fetched_now` when not given)."""
    return {"manifest": MARK, "version": VERSION, "idp": idp, "fetchedAt": fetched_at or fetched_now(),
            "files": dict(counts)}


def read_manifest(files: Mapping[str, Sequence[Path]], format: str, findings: Findings) -> PullManifest | None:
    """The manifest among ``files`` (role ``manifest`` from :mod:`.detect`), or ``None`` when there is none.

    Errors (``None`` returned, so the export is judged as hand-saved and plan
    stops on the error): several manifests, unreadable JSON, a shape other
    than the module docstring's, an IdP whose export is not ``format``.
    """
    paths = list(files.get("manifest", ()))
    if not paths:
        return None
    if len(paths) > 1:
        findings.error("manifest-mismatch", paths[1], "", "",
                       f"a second fetch-idp manifest (the first is {paths[0]}); one export per folder")
        return None
    path = paths[0]
    tf, data = read_json(path, findings)
    if tf is None:
        return None
    counts = data.get("files") if isinstance(data, dict) else None
    if (not isinstance(data, dict) or data.get("manifest") != MARK or data.get("version") != VERSION
            or not counts_shaped(counts, nested=False)):
        findings.error("manifest-mismatch", path, "", "files",
                       f"not a fetch-idp manifest of version {VERSION} "
                       "({\"files\": {\"users.json\": <records>, ...}}); pull again")
        return None
    ok, fetched_at = read_fetched_at(data, path, findings)
    if not ok:
        return None
    idp = data.get("idp")
    if FORMATS.get(idp) != format:  # type: ignore[arg-type]
        findings.error("manifest-mismatch", path, "", "idp",
                       f"fetch-idp manifest of {idp!r} beside a {format} export; pull again into an empty folder")
        return None
    return PullManifest(path, idp, file_counts(path, counts, "fetch-idp"),
                        tf.input_file("fetch-idp.manifest", len(counts)), fetched_at)


def counts_shaped(counts: object, nested: bool) -> bool:
    """Whether ``counts`` is a manifest's ``files``: a non-empty object of file names (``nested``: paths of ``/``-
    separated names, as ``scim/Users.json``; never ``.``, ``..``, empty or with a backslash: always inside the
    manifest's folder) to record counts (integers, 0 or more)."""
    return isinstance(counts, dict) and bool(counts) and all(
        isinstance(k, str) and "\\" not in k and (nested or "/" not in k)
        and all(part not in ("", ".", "..") for part in k.split("/"))
        and type(v) is int and v >= 0 for k, v in counts.items())


def file_counts(path: Path, counts: Mapping[str, int], command: str) -> FileCounts:
    """The :class:`FileCounts` of the manifest at ``path`` whose ``files`` are ``counts`` (:func:`counts_shaped`),
    written by ``command``."""
    return FileCounts(path, tuple((path.parent / name, n) for name, n in counts.items()), command)


def with_fetched_at(directory: IdpDirectory, manifest: PullManifest | None) -> IdpDirectory:
    """``directory`` with the manifest's ``fetchedAt`` (unchanged without a manifest or a time)."""
    if manifest is None or manifest.fetched_at is None:
        return directory
    return replace(directory, fetched_at=manifest.fetched_at)


def check_manifest(manifest: PullManifest | None, inputs: list[InputFile], findings: Findings) -> None:
    """A fetch-idp manifest's :func:`check_counts` over the IdP loader's ``inputs`` (its
    :class:`~planner.model.InputFile` records), to which the manifest's own record is then appended; nothing without a
    manifest."""
    if manifest is None:
        return
    check_counts(manifest.files, inputs, findings)
    inputs.append(manifest.input)


def check_counts(files: FileCounts, inputs: Sequence[InputFile], findings: Findings) -> None:
    """Every file the manifest names must have been read with the count it states; else an error naming it.

    ``inputs``: the loader's :class:`~planner.model.InputFile` records (the manifest's own left out). A named file
    missing or with another count, or an export file the manifest does not name, is a ``manifest-mismatch`` error:
    the export was edited, cut or added to after the pull (``fetch-idp``) or the fetch (``fetch``: tester21 finding 2,
    an archived team taken out of a fetched teams.json). One rule for both manifests.
    """
    again = AGAIN[files.command]
    manifest = f"the {files.command} manifest {files.path.name}"
    read = {Path(i.path).resolve(): i.records for i in inputs}
    named = {path.resolve() for path, _ in files.counts}
    for path, expected in files.counts:
        got = read.get(path.resolve())
        if got is None:
            findings.error("manifest-mismatch", path, "", "",
                           f"missing: {manifest} lists it with {expected} record(s); {again} again")
        elif got != expected:
            findings.error("manifest-mismatch", path, "", "",
                           f"{got} record(s), but {manifest} says {expected}: the file was edited or cut after the "
                           f"{again}; {again} again")
    for item in inputs:
        if Path(item.path).resolve() not in named:
            findings.error("manifest-mismatch", item.path, "", "",
                           f"not written by the {again} that {files.path.name} describes: remove it, or {again} "
                           "again into an empty folder")


FETCH_FILE_NAME = "fetch-manifest.json"
"""Where ``sigma-migrate fetch`` writes its manifest (in ``--out``, beside ``members.json``)."""

FETCH_MARK = "sigma-migrate fetch"
"""The ``manifest`` value of a Sigma fetch manifest."""

SCIM_STATES = (SCIM_STATE_READ, SCIM_STATE_LEFT_OUT, SCIM_STATE_NOT_READ)


def fetch_manifest_document(scim_state: str, fetched_at: str | None = None,
                            counts: Mapping[str, int] | None = None) -> dict:
    """The JSON document of a Sigma fetch manifest saying ``scim_state`` (one of :data:`SCIM_STATES`), read at
    ``fetched_at`` (:func:`fetched_now` when not given), with ``files`` ``counts`` (file path under the export folder
    -> records, :func:`check_counts`) when given (``fetch`` always gives them; without, the document of a manifest
    written before they were recorded)."""
    document = {"manifest": FETCH_MARK, "version": VERSION, "scimState": scim_state,
                "fetchedAt": fetched_at or fetched_now()}
    if counts is not None:
        document["files"] = dict(counts)
    return document


def read_fetch_manifest(directory: Path, scim_folder: bool, findings: Findings
                        ) -> tuple[FetchManifest | None, InputFile | None]:
    """The fetch manifest of Sigma export ``directory`` (:data:`FETCH_FILE_NAME`, name matched without
    letter case) and its input record; ``(None, None)`` without one, or after an error.

    ``scim_folder``: the export has a ``scim/`` folder. Errors (``manifest-mismatch``, naming the file
    and ``scimState``, or ``files``): a document of another shape than the module docstring's; ``read`` without
    ``scim/``; ``left_out`` / ``not_read`` beside one (the export was changed after the fetch). The files it names
    are checked once the export is read (:func:`check_fetch_counts`).
    """
    path = next((p for p in directory.iterdir() if p.name.casefold() == FETCH_FILE_NAME), None)
    if path is None:
        return None, None
    tf, data = read_json(path, findings)
    if tf is None:
        return None, None
    state = data.get("scimState") if isinstance(data, dict) else None
    if (not isinstance(data, dict) or data.get("manifest") != FETCH_MARK or data.get("version") != VERSION
            or state not in SCIM_STATES):
        findings.error("manifest-mismatch", path, "", "scimState",
                       f"not a fetch manifest of version {VERSION} ({{\"manifest\": \"{FETCH_MARK}\", \"version\": "
                       f"{VERSION}, \"scimState\": \"read\" | \"left_out\" | \"not_read\"}}); fetch again")
        return None, None
    counts = data.get("files")
    if counts is not None and not counts_shaped(counts, nested=True):
        findings.error("manifest-mismatch", path, "", "files",
                       f"not a fetch manifest of version {VERSION} "
                       "({\"files\": {\"members.json\": <records>, ...}}); fetch again")
        return None, None
    ok, fetched_at = read_fetched_at(data, path, findings)
    if not ok:
        return None, None
    if state == SCIM_STATE_READ and not scim_folder:
        findings.error("manifest-mismatch", path, "", "scimState",
                       "the fetch read Sigma's SCIM state, but the export has no scim/ folder: it was removed "
                       "after the fetch; fetch again")
        return None, None
    if state != SCIM_STATE_READ and scim_folder:
        findings.error("manifest-mismatch", path, "", "scimState",
                       f"the fetch did not read Sigma's SCIM state ({state}), but the export has a scim/ folder: "
                       "it was added after the fetch; remove it, or fetch again with SIGMA_SCIM_TOKEN")
        return None, None
    return (FetchManifest(str(path), state, fetched_at, None if counts is None else tuple(counts.items())),
            tf.input_file("sigma.fetch_manifest", 1))


def check_fetch_counts(manifest: FetchManifest | None, inputs: Sequence[InputFile], findings: Findings) -> None:
    """:func:`check_counts` of a Sigma fetch manifest's ``files`` over the Sigma loader's ``inputs`` (its files, the
    manifest's own record left out); nothing without a manifest, or with one written before ``fetch`` recorded its
    files (docs/formats.md §1)."""
    if manifest is not None and manifest.files is not None:
        check_counts(file_counts(Path(manifest.path), dict(manifest.files), "fetch"), inputs, findings)
