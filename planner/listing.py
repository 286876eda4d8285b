"""Listing completeness: a paged API listing is either whole or an error, never a partial export.

One mechanism for every live pull (Sigma's ``fetch``, ``fetch-idp`` for Okta,
Entra ID and Google): a :class:`Listing` collects the pages of one list
endpoint and raises :class:`IncompleteListing` when the pages cannot be the
whole list (issue 14 C.6, "Never a silently wrong plan"):

- the same **id** twice (a server that ignores the cursor and serves the
  first page again, or a list that shifted under us): ``GET /api/v1/users:
  incomplete listing: id '00u1' came twice (pages 1 and 2)``; with other contents the second time,
  ``... came twice (pages 1 and 2) with different contents; which one holds is unknown``: never the
  last one winning silently;
- the same **cursor** twice (a page cursor loop; docs/sigma-api.md §7, the
  terraform provider's guard): ``... the page cursor 'x' came twice (after 2 pages)``;
- a chain of :data:`MAX_EMPTY_PAGES` **empty pages** that still name a next page;
- a **count** the API announced (Sigma ``total``, SCIM ``totalResults``, Graph
  ``@odata.count``, Okta ``usersCount`` stats, Google ``directMembersCount``)
  that differs from what was received: ``incomplete listing: 50 of 120 members``;
- for an API that was asked for a count (Graph's ``$count=true``), **no count** and a **full last
  page** (:meth:`Listing.finish` ``page_size``): an API that ends a listing on a page as full as
  the others (Graph does when the total is a multiple of ``$top``) looks exactly like one whose
  next link was lost, so only the count could tell (tester8 finding 22). The same for an API that
  follows every full page with a next link (Okta: its cursor does not look ahead), where a full last
  page without one means the link was lost on the way (``Link`` is a header a proxy may drop). Not
  for Google's Directory API: its ``nextPageToken`` is in the same JSON body as the records, and
  nothing was asked for that did not come (:mod:`planner.idp.google`).

The caller feeds pages in order (:meth:`Listing.add_page`) and closes with
:meth:`Listing.finish`; nothing is written before ``finish`` returned for every
listing (the writer is :class:`planner.output.Outputs`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .errors import UserError

MAX_EMPTY_PAGES = 3
"""Consecutive empty pages that still name a next page after which a listing is refused."""


class IncompleteListing(UserError):
    """A paged listing ended early or repeated itself; ``str(exc)`` is one line naming the endpoint."""


def entry_id(entry: Any, key: str) -> str | None:
    """The id of one list entry under ``key`` as a string, or ``None`` (not an object, no id):
    a :class:`Listing`'s ``id_of`` for entries keyed ``memberId``, ``teamId``, ``userId``..."""
    value = entry.get(key) if isinstance(entry, dict) else None
    return None if value is None else str(value)


def _default_id(item: Any) -> str | None:
    if isinstance(item, dict):
        value = item.get("id")
        return None if value is None else str(value)
    return None


@dataclass
class Listing:
    """The pages of one list endpoint, checked as they arrive.

    :param what: the plural noun of the items, for messages (``"Okta users"``,
        ``"members of group 'Sales'"``).
    :param endpoint: the request that lists them, for messages (``"GET /api/v1/users"``).
    :param id_of: the id of one item (default: its ``"id"`` key); ``None`` ids are
        not checked for repeats.
    """

    what: str
    endpoint: str
    id_of: Callable[[Any], str | None] = _default_id
    items: list[Any] = field(default_factory=list)
    pages: int = 0
    _seen: dict[str, tuple[int, Any]] = field(default_factory=dict, repr=False)
    _cursors: set[str] = field(default_factory=set, repr=False)
    _empty_run: int = 0
    _first_size: int = 0
    _last_size: int = 0

    def _refuse(self, reason: str) -> IncompleteListing:
        return IncompleteListing(f"{self.endpoint}: incomplete listing of {self.what}: {reason}")

    def add_page(self, items: Iterable[Any], next_cursor: str | None = None) -> None:
        """Add the next page's items; ``next_cursor`` is the page's continuation (link, token) or ``None``.

        Raises :class:`IncompleteListing` on a repeated id (:func:`_repeat_reason`) or cursor, or the
        :data:`MAX_EMPTY_PAGES`-th empty page in a row that names a next page.
        """
        self.pages += 1
        page = list(items)
        if self.pages == 1:
            self._first_size = len(page)
        self._last_size = len(page)
        for item in page:
            key = self.id_of(item)
            if key is None:
                continue
            seen = self._seen.get(key)
            if seen is not None:
                raise self._refuse(_repeat_reason(key, seen, self.pages, item))
            self._seen[key] = (self.pages, item)
        self.items.extend(page)
        if next_cursor:
            if next_cursor in self._cursors:
                raise self._refuse(f"the page cursor {next_cursor!r} came twice (after {self.pages} pages); "
                                   "stopping instead of looping")
            self._cursors.add(next_cursor)
            self._empty_run = self._empty_run + 1 if not page else 0
            if self._empty_run >= MAX_EMPTY_PAGES:
                raise self._refuse(f"{self._empty_run} empty pages in a row still name a next page "
                                   f"(after {len(self.items)} items)")

    def finish(self, expected: int | None = None, *, page_size: int | None = None,
               count_name: str = "count", fix: str = "") -> list[Any]:
        """The items of the whole listing; :class:`IncompleteListing` when ``expected`` (a count the API
        announced) differs from the number received: ``incomplete listing of members: 50 of 120``.

        ``page_size``: the page size asked of an API that was asked for a count (Graph ``$top`` with
        ``$count=true``), or that follows every full page with a next link (Okta ``limit``; module
        docstring). With it, no count (``expected`` ``None``) and a full last page
        (:meth:`last_page_full`) is :class:`IncompleteListing` too (module docstring): ``... incomplete
        listing of Entra users: no @odata.count came and the last page is full (999 entries, a whole
        page): whether a page is missing cannot be told; <fix>``, ``count_name`` naming the count and
        ``fix`` what to do.
        """
        check_count(self.what, self.endpoint, len(self.items), expected)
        if expected is None and page_size is not None and self.last_page_full(page_size):
            raise self._refuse(f"no {count_name} came and the last page is full ({self._last_size} entries, a "
                               f"whole page): whether a page is missing cannot be told" + (f"; {fix}" if fix else ""))
        return self.items

    def last_page_full(self, page_size: int) -> bool:
        """Whether the last page holds a whole page: ``page_size`` entries (the size asked) for a listing of
        one page, else as many as the first page (the size the server used, which may be below the one
        asked); an empty last page never is."""
        whole = page_size if self.pages == 1 else self._first_size
        return self._last_size > 0 and self._last_size >= whole


def _repeat_reason(key: str, seen: tuple[int, Any], page: int, item: Any) -> str:
    """Why an id that came twice (first on page ``seen[0]`` as ``seen[1]``, again on ``page`` as ``item``)
    ends the listing. Both repeats are refused: the same contents again is the sign of a page served twice
    or of pages that shifted under the cursor (an entry may then be missing, and a server serving page one
    for every cursor would never end); other contents leave no way to tell which one is the object's."""
    first = seen[0]
    where = f"on page {first}" if first == page else f"(pages {first} and {page})"
    if seen[1] == item:
        return f"id {key!r} came twice {where}; the server repeated or shifted its pages"
    return f"id {key!r} came twice {where} with different contents; which one holds is unknown"


def member_count_agrees(announced: int, records: int, child_groups: int = 0, other_members: int = 0) -> bool:
    """Whether a count an API announced for a listing agrees with the ``records`` listed, ``child_groups``
    of them groups and ``other_members`` of them neither users nor groups: equal to all the records, or
    to all but the child groups, the other members, or both.

    The leeway is Google's open question: ``directMembersCount`` is documented as "the number of users
    that are direct members" (members *of* a child group are not counted), which leaves open whether a
    child group itself is, and a member of another kind (``CUSTOMER``: the whole domain; ``EXTERNAL``),
    docs/formats.md §4c. Other counts (Sigma ``total``, SCIM ``totalResults``, Graph ``@odata.count``,
    Okta ``usersCount``, whose groups hold users only) pass neither: equal or not. The one rule of
    ``fetch``/``fetch-idp`` (:func:`check_count`) and of the loaders
    (:meth:`planner.sources.directory.DirectoryBuilder.count_listed`).
    """
    return announced in (records, records - child_groups, records - other_members,
                         records - child_groups - other_members)


def check_count(what: str, endpoint: str, received: int, expected: int | None, *, child_groups: int = 0,
                other_members: int = 0) -> None:
    """Raise :class:`IncompleteListing` when an announced count ``expected`` does not agree with the
    ``received`` items (:func:`member_count_agrees`; ``child_groups`` and ``other_members`` of them
    group members of those kinds).

    ``None`` means the API announced no count (nothing to check). Fewer items
    than announced is a listing that ended early; more is a listing that shifted
    while it was read: both are refused (``GET /v2/members: incomplete listing
    of members: 50 of 120 received``).
    """
    if expected is None or member_count_agrees(expected, received, child_groups, other_members):
        return
    raise IncompleteListing(f"{endpoint}: incomplete listing of {what}: {received} of {expected} received"
                            + ("" if received < expected else " (the list changed while it was read)"))
