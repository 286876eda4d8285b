"""JSON envelopes of paginated APIs (docs/formats.md §0.9): where the records are.

A saved API answer comes in one of three shapes, all accepted:

- a bare array of records ``[{...}, ...]`` (Sigma ``/v2/members`` without
  ``limit``, Okta): record paths ``$[i]``;
- one page object ``{"<page key>": [...], "<next key>": ...}`` (Sigma
  ``entries``/``nextPage``, Graph ``value``/``@odata.nextLink``, Google
  ``users``/``nextPageToken``, SCIM ``Resources``): paths ``$.entries[i]``;
- an array of pages, or of arrays (each page saved and the answers gathered
  in one array): paths ``$[p].entries[i]`` or ``$[p][i]``.

When the last page still names a next page (``nextPage`` not null, an
``@odata.nextLink``, a ``nextPageToken``, an Okta ``link`` header value with
``rel="next"``), or an array of two or more pages, none carrying a continuation
key, holds pages all of one size (all full, the last one too: an API ends a
listing on a shorter page), the export stopped early:
``incomplete-pages`` (a truncated input: the planner makes every action such a
file could affect a blocking ``inputs.truncated`` item, :mod:`planner.rules.inputs`). So is, where the
format says so (``count_keys``, ``null_is_missing``; Graph, docs/formats.md §3d):

- a count the API announced on the first page (Graph ``@odata.count`` of a ``$count=true`` query) other
  than the records the answer's pages hold: a page missing anywhere, the middle too (Graph pages carry no
  position of their own, so only a count proves a middle page missing); a count that is no integer is an
  ``unexpected-json-shape`` error at that key;
- a page whose record key is ``null`` (``"value": null``): a Graph collection is always a JSON array (OData
  JSON Format 4.01 §12), so that page's records were lost on the way, as if the page were missing.
- saved pages (two or more) whose first page announces no count and whose last page is full (as many records
  as the first): Graph ends a listing whose total is a multiple of ``$top`` on a full page without
  ``@odata.nextLink``, which is also what an export that lost its later pages looks like; only the count
  could tell (tester8 finding 22; ``fetch-idp entra`` refuses the same listing, :meth:`planner.listing.Listing.finish`).

A page whose record key holds something other than an
array (``{"entries": "x"}``) is an ``unexpected-json-shape`` error at that key.
Items that are not objects are ``invalid-record`` warnings, or errors with
``strict=True`` (the Sigma side, whose state cannot be guessed).

Group members files hold one such answer per group (:func:`members_answers`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

from .files import Findings
from .page_sizes import PageSizes, full_page_message
from .values import json_type as _type_name


SCIM_ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"


def api_error(value: Any) -> str | None:
    """What an API's error answer saved in place of an export says, ``None`` for anything else (tester13 N4: an
    expired token's answer was "expected an array of records ...; found an object without 'users'"). The shapes:
    Okta's ``{"errorCode", "errorSummary"}`` (``E0000011 Invalid token provided``), Sigma's ``{"code", "message"}``
    (docs/sigma-api.md §2.7), Microsoft Graph's and Google's ``{"error": {"code", "message"}}``, and a SCIM error
    (RFC 7644 §3.12: ``schemas`` holding ``...:Error``, ``status``, ``detail``)."""
    if not isinstance(value, dict):
        return None
    if isinstance(value.get("errorCode"), str):
        return " ".join(str(v) for v in (value["errorCode"], value.get("errorSummary")) if v)
    inner = value.get("error")
    if isinstance(inner, dict) and "message" in inner:
        return " ".join(str(v) for v in (inner.get("status") or inner.get("code"), inner["message"]) if v)
    schemas = value.get("schemas")
    if isinstance(schemas, list) and SCIM_ERROR_SCHEMA in schemas:
        return " ".join(str(v) for v in (value.get("status"), value.get("scimType"), value.get("detail")) if v)
    if {"code", "message"} <= set(value) <= {"code", "message", "requestId"}:
        return f"{value['code']}: {value['message']}"
    return None


def _page_key(obj: dict, keys: Sequence[str], case_insensitive: bool) -> str | None:
    for key in keys:
        if key in obj:
            return key
    if case_insensitive:
        lowered = {k.lower(): k for k in obj if isinstance(k, str)}
        for key in keys:
            if key.lower() in lowered:
                return lowered[key.lower()]
    return None


def is_page(obj: Any, keys: Sequence[str], case_insensitive: bool = False) -> bool:
    """True when ``obj`` is a page object: a dict holding one of ``keys`` with a list (or null)."""
    if not isinstance(obj, dict):
        return False
    key = _page_key(obj, keys, case_insensitive)
    return key is not None and (obj[key] is None or isinstance(obj[key], list))


@dataclass(frozen=True)
class AppendedListing:
    """A second listing an admin saves after the first in one array of pages: README's Okta users file (the plain
    ``GET /api/v1/users`` pages, then the ``search=status eq "DEPROVISIONED"`` answer), a Graph users file with the
    ``directory/deletedItems`` answer after it, a Google users file with the ``showDeleted=true`` answer.
    ``holds(page, items)`` tells a page of it (the page as saved, and its records) from the first listing's; ``name``
    says it in a message (``its DEPROVISIONED answer``). The first listing's last page is then not the file's, and is
    checked for a cut by itself (:func:`batches`): a next page it still names (tester22 finding 5: a Graph
    ``@odata.nextLink`` hidden by the deleted users' page after it), or, where no page names one, a full page
    (tester21 finding 9: a plain Okta listing that lost its page 2 ended on a full page of 200, hidden by the short
    DEPROVISIONED page after it)."""

    name: str
    holds: Callable[[Any, list], bool]


def appended_from(pages: list[tuple[Any, list]], appended: AppendedListing) -> int:
    """The index of the first of the trailing ``(page as saved, records)`` pages ``appended`` holds, after at least
    one page it does not (0: no such split: no page of it, or every page is)."""
    start = len(pages)
    while start > 0 and appended.holds(*pages[start - 1]):
        start -= 1
    return start if start < len(pages) else 0


def batches(
    data: Any,
    path: Path,
    findings: Findings,
    *,
    page_keys: Sequence[str],
    next_keys: Sequence[str] = (),
    what: str,
    base: str = "$",
    case_insensitive: bool = False,
    strict: bool = False,
    count_keys: Sequence[str] = (),
    null_is_missing: bool = False,
    page_sizes: PageSizes | None = None,
    appended: AppendedListing | None = None,
) -> list[tuple[str, list]]:
    """The record arrays of a saved API answer, each with the JSON path of the array.

    ``page_keys`` name the list holding records in a page object (first found
    wins), ``next_keys`` the continuation token of a page. ``base`` prefixes
    paths (``$["teamId"]`` for a keyed file). A shape that is none of the three
    gives an error ``unexpected-json-shape`` and no arrays; so does a page key
    holding a non-array (``{"entries": "x"}``: the finding is at ``$.entries``).
    Items are not checked here (see :func:`records`); a page that is not a page
    (``[[...], "junk"]``) is an ``invalid-record`` warning (error with ``strict``).
    ``count_keys`` name the count a first page announces (checked against the records of every page);
    with ``null_is_missing`` a page whose record key is ``null`` is a lost page (``incomplete-pages``).
    ``page_sizes`` (:mod:`.page_sizes`; ``None`` when something vouches for the listing, a ``fetch-idp``
    manifest or the group's own count): an answer none of whose pages names a next page nor carries a count,
    whose last page is full, is cut there (:func:`report_full_page`); so is the first of two listings saved in one
    array of pages (``appended``: :class:`AppendedListing`) whose last page is full.
    """
    out: list[tuple[str, list]] = []
    saved: list[Any] = []  # the page as saved of each record array of ``out``: the page object, or the array
    last_page: dict | None = None
    first_page: tuple[dict, str] | None = None
    null_pages: list[str] = []
    add = findings.error if strict else findings.warning

    def take(items: Any, prefix: str, page: Any = None) -> None:
        if items is None:
            null_pages.append(prefix)
            return
        if not isinstance(items, list):
            findings.error(
                "unexpected-json-shape", path, prefix, "",
                f"{what}: expected an array of records here, found {_type_name(items)}",
            )
            return
        out.append((prefix, items))
        saved.append(items if page is None else page)

    def key_path(prefix: str, key: str) -> str:
        return f"{prefix}.{key}" if key.isidentifier() else f'{prefix}["{key}"]'

    tokens = False  # some page carries a continuation key: its absence on the last page is the end

    def take_page(page: dict, prefix: str) -> None:
        nonlocal last_page, tokens, first_page
        if first_page is None:
            first_page = (page, prefix)
        key = _page_key(page, page_keys, case_insensitive)
        take(page[key], key_path(prefix, key), page)
        last_page = page
        tokens = tokens or any(k in page for k in next_keys)

    if isinstance(data, list):
        if data and (is_page(data[0], page_keys, case_insensitive) or isinstance(data[0], list)):
            for p, page in enumerate(data):
                prefix = f"{base}[{p}]"
                if is_page(page, page_keys, case_insensitive):
                    take_page(page, prefix)
                elif isinstance(page, list):
                    take(page, prefix)
                else:
                    add(
                        "invalid-record", path, prefix, "",
                        f"{what}: expected a page like {{{page_keys[0]!r}: [...]}}, found "
                        f"{_type_name(page)}; skipped",
                    )
        else:
            take(data, base)
    elif is_page(data, page_keys, case_insensitive):
        take_page(data, base)
    elif isinstance(data, dict) and _page_key(data, page_keys, case_insensitive) is not None:
        key = _page_key(data, page_keys, case_insensitive)
        findings.error(
            "unexpected-json-shape", path, key_path(base, key), key,
            f"{what}: {key!r} must be an array of records, found {_type_name(data[key])}",
        )
        return out
    elif (error := api_error(data)) is not None:
        findings.error("unexpected-json-shape", path, base, "",
                       f"{what}: this is the API's error answer ({error}), not an export: sign in again (or use a "
                       "valid token) and save the API's answer again")
    else:
        shape = "an object without " + "/".join(repr(k) for k in page_keys) if isinstance(data, dict) \
            else _type_name(data)
        findings.error(
            "unexpected-json-shape", path, base, "",
            f"{what}: expected an array of records, a page {{{page_keys[0]!r}: [...]}} or an "
            f"array of pages; found {shape}",
        )
        return out

    if null_is_missing and null_pages:
        findings.warning(
            "incomplete-pages", path, null_pages[0], "",
            f"{what}: {len(null_pages)} page(s) hold null instead of an array of records (first at "
            f"{null_pages[0]}); an API answers an array, so their records were lost: export every page again",
        )
        return out
    split = appended_from(list(zip(saved, (items for _, items in out))), appended) \
        if appended is not None and isinstance(data, list) else 0
    counted_pages = out[:split] or out  # a first page's count is its own listing's, not the appended one's
    if first_page is not None and count_keys and _count_differs(first_page, counted_pages, path, findings, count_keys,
                                                                what):
        return out
    ends = [(last_page, what, base)]  # the file's last page, and the first listing's when another is appended
    if split:
        ends.append((saved[split - 1], f"{what} (the pages before {appended.name})", f"{base}[{split - 1}]"))
    for page, whose, where in ends:
        key = next((k for k in next_keys if isinstance(page, dict) and _names_next(page.get(k))), None)
        if key is not None:
            findings.warning(
                "incomplete-pages", path, where, key,
                f"{whose}: the last page still has {key} set; the export may be missing later pages",
            )
            return out
    if count_keys and first_page is not None and _full_without_count(first_page[0], out, count_keys):
        findings.warning(
            "incomplete-pages", path, base, count_keys[0],
            f"{what}: {len(out)} pages without {count_keys[0]}, the last one full ({len(out[-1][1])} records, as "
            "many as the first): whether a later page is missing cannot be told (an API that ends on a full page "
            f"looks like an export cut there); export every page again with the count (Graph: $count=true and "
            "ConsistencyLevel: eventual)",
        )
        return out
    if isinstance(data, list) and len(out) > 1 and not tokens and _all_full(out):
        findings.warning(
            "incomplete-pages", path, base, "",
            f"{what}: an array of {len(out)} pages of {len(out[0][1])} records each, the last one full too: an "
            "API stops at a shorter page, so the next pages are probably missing",
        )
        return out
    counted = first_page is not None and any(k in first_page[0] for k in count_keys)  # checked above
    if page_sizes is not None and out and not tokens and not counted:
        if split and report_full_page(findings, path, base, data[:split], out[:split], page_sizes,
                                      f"{what} (the pages before {appended.name})"):
            return out
        report_full_page(findings, path, base, data, out, page_sizes, what)
    return out


def report_full_page(findings: Findings, path: Path | str, base: str, data: Any, pages: list[tuple[str, list]],
                     sizes: PageSizes, what: str) -> bool:
    """The ``incomplete-pages`` warning of a saved answer whose last page is a full page of its endpoint
    (:meth:`.page_sizes.PageSizes.full`; tester18 finding 2), ``True`` when given.

    ``data``: the answer as saved at ``base``; ``pages``: its record arrays (:func:`batches`, or the answer
    itself for an id list). One bare array (``data`` is ``pages``' only array) may be several answers joined:
    full when its length is a whole multiple of a size, the finding at ``base``; a page object must hold
    exactly a size (at ``base``); an array of pages, its last page (the finding at that page,
    ``$[n]``). An answer of one page is also cut when it holds a round size an admin may have asked for
    (:meth:`.page_sizes.PageSizes.asked_size`, tester21 finding 6). The caller has made sure nothing names a
    next page or vouches for the listing.
    """
    prefix, items = pages[-1]
    flat = len(pages) == 1 and data is items
    single = len(pages) == 1 and not isinstance(data, list)
    page = sizes.full(len(items), concatenated=flat, one_page=len(pages) == 1)
    if page is None:
        return False
    where = base if flat or single else f"{base}[{len(data) - 1}]"
    count = len(items) // page.size if flat else 1 if single else None
    findings.warning("incomplete-pages", path, where, "", full_page_message(what, sizes, len(items), page, count))
    return True


def _count_differs(first: tuple[dict, str], batches_read: list[tuple[str, list]], path: Path,
                   findings: Findings, count_keys: Sequence[str], what: str) -> bool:
    """Whether the count a first page announces (``count_keys``, e.g. Graph ``@odata.count``) differs from
    the records of every page read: an ``incomplete-pages`` warning (pages missing, the middle ones too, or
    records added by hand), or an ``unexpected-json-shape`` error when the count is no integer. ``False``
    when the page announces none."""
    page, prefix = first
    key = next((k for k in count_keys if k in page), None)
    if key is None:
        return False
    where = f'{prefix}["{key}"]'
    claimed = announced_count(page[key], path, where, key, what, findings)
    if claimed is None:
        return True
    held = sum(len(items) for _, items in batches_read)
    if claimed == held:
        return False
    report_count_gap(findings, path, where, key, what, claimed, held)
    return True


def announced_count(value: Any, path: Path, where: str, key: str, what: str, findings: Findings,
                    *, digits_ok: bool = False) -> int | None:
    """The count an export announces for a listing (Graph ``@odata.count``; with ``digits_ok`` Google's
    int64-as-string ``"3"``, its Directory API's JSON form of ``directMembersCount``): a whole number, or
    ``None`` with an ``unexpected-json-shape`` error at ``where`` (``key``) when it is anything else
    (``"three"``, ``-1``, ``2.5``, ``true``): an unreadable count proves nothing either way."""
    if value.__class__ is int and value >= 0:
        return value
    if digits_ok and value.__class__ is str and value.strip().isdigit():
        return int(value)
    findings.error("unexpected-json-shape", path, where, key,
                   f"{what}: {key} must be a whole number, found {_type_name(value)} {value!r}")
    return None


def report_count_gap(findings: Findings, path: Path | str, where: str, key: str, what: str, claimed: int,
                     held: int, *, counted_at: str = "") -> None:
    """The ``incomplete-pages`` warning (an incomplete-input code: blocking ``inputs.truncated`` items) of a
    listing whose saved records (``held``) are not the ``claimed`` count its API announced under ``key``:
    pages are missing, a middle one too (pages carry no position, only the count tells), or, above the
    count, records were added. ``counted_at`` names where the count is when it is in another file (a
    group's own ``directMembersCount`` in the groups file, beside its members answer)."""
    at = f" ({counted_at})" if counted_at else ""
    findings.warning(
        "incomplete-pages", path, where, key,
        f"{what}: {key}{at} is {claimed} but the saved page(s) hold {held} records: "
        + ("pages are missing (a middle one too: pages carry no position, only the count tells)"
           if claimed > held else "records were added to the answer or the count belongs to another query")
        + "; export every page again",
    )


def _full_without_count(first: dict, pages: list[tuple[str, list]], count_keys: Sequence[str]) -> bool:
    """Whether saved ``pages`` (two or more) of a format whose API announces a count (``count_keys``) carry
    none on their ``first`` page while the last page holds a whole page (as many records as the first,
    none empty): completeness that cannot be verified (module docstring)."""
    if len(pages) < 2 or any(k in first for k in count_keys):
        return False
    size = len(pages[0][1])
    return size > 0 and len(pages[-1][1]) >= size


def _all_full(pages: list[tuple[str, list]]) -> bool:
    """True when every page of a saved array of pages holds the same number of records: all full, the last
    one too (a listing ends on a shorter page). Used only when no page carries a continuation key."""
    size = len(pages[0][1])
    return size > 0 and all(len(items) == size for _, items in pages)


def _names_next(value: Any) -> bool:
    """Whether a page's continuation value names a next page: any non-empty token, or for a saved
    ``Link`` header (Okta, RFC 8288) a ``rel="next"`` entry."""
    if isinstance(value, str) and "rel=" in value:
        return any('rel="next"' in part or "rel=next" in part for part in value.split(","))
    if isinstance(value, list):
        return any(_names_next(v) for v in value)
    return bool(value)


def objects(items: list, prefix: str, path: Path, findings: Findings, what: str,
            strict: bool = False) -> list[dict]:
    """The object items of one record array; non-objects are dropped with one ``invalid-record`` finding.

    The finding names the first non-object item; it is a warning, or an error with ``strict``.
    """
    kept = [x for x in items if x.__class__ is dict]
    if len(kept) != len(items):
        _report_non_objects(items, prefix, path, findings, what, strict)
        kept = [x for x in items if isinstance(x, dict)]
    return kept


def _report_non_objects(items: list, prefix: str, path: Path, findings: Findings, what: str,
                        strict: bool) -> None:
    """The one ``invalid-record`` finding of a record array holding non-objects (an error with ``strict``,
    else a :meth:`~.files.Findings.skipped` warning: the records left out make the file incomplete).

    It is placed at the first non-object item and counts them all; nothing when every item is an object.
    """
    bad = [i for i, x in enumerate(items) if not isinstance(x, dict)]
    if not bad:
        return
    i, n = bad[0], len(bad)
    (findings.error if strict else findings.skipped)(
        "invalid-record", path, f"{prefix}[{i}]", "",
        f"{what}: expected an object, found {_type_name(items[i])}"
        f"{f' ({n} such items)' if n > 1 else ''}; skipped")


def records(
    data: Any,
    path: Path,
    findings: Findings,
    *,
    page_keys: Sequence[str],
    next_keys: Sequence[str] = (),
    what: str,
    base: str = "$",
    case_insensitive: bool = False,
    strict: bool = False,
    count_keys: Sequence[str] = (),
    null_is_missing: bool = False,
    page_sizes: PageSizes | None = None,
    appended: AppendedListing | None = None,
) -> list[tuple[dict, str]]:
    """The records of a saved API answer, each with its own JSON path (``$[1].entries[3]``).

    Shapes and errors as in :func:`batches`; non-object records give an
    ``invalid-record`` warning (error with ``strict``), once per array, and are skipped.
    """
    out: list[tuple[dict, str]] = []
    for prefix, items in batches(data, path, findings, page_keys=page_keys, next_keys=next_keys,
                                 what=what, base=base, case_insensitive=case_insensitive, strict=strict,
                                 count_keys=count_keys, null_is_missing=null_is_missing,
                                 page_sizes=page_sizes, appended=appended):
        if all(x.__class__ is dict for x in items):
            out.extend((x, f"{prefix}[{i}]") for i, x in enumerate(items))
            continue
        _report_non_objects(items, prefix, path, findings, what, strict)
        out.extend((x, f"{prefix}[{i}]") for i, x in enumerate(items) if isinstance(x, dict))
    return out


def members_answers(
    data: Any, path: Path, findings: Findings, *, keyed: bool, what: str, shape: str
) -> list[tuple[str, Any, str]] | None:
    """The ``(group key, members answer, JSON path)`` items of a group members file.

    ``keyed`` (role ``members-map``): the file is an object ``{groupKey: <members
    answer>}`` (Okta docs/formats.md §2c, Graph §3, Google §4); items in file order,
    paths ``$["<groupKey>"]``. Any other value is an ``unexpected-json-shape``
    error "``<what>`` must be an object ``<shape>``" at ``$``, and ``None``.
    Not ``keyed`` (role ``group-members``): the file is one answer, named by the
    file's stem, at ``$``. The group key is resolved by
    :meth:`~.directory.DirectoryBuilder.group_for_key`.
    """
    if not keyed:
        return [(path.stem, data, "$")]
    if not isinstance(data, dict):
        findings.error("unexpected-json-shape", path, "$", "", f"{what} must be an object {shape}")
        return None
    return [(str(key), answer, f'$["{key}"]') for key, answer in data.items()]
