"""The page sizes an IdP API answer can be cut at, per format and endpoint (tester18 finding 2).

A hand-saved answer keeps its records but not always its continuation: Okta's next page is in the ``Link``
header, which a browser's or script's "save" drops; a Graph ``value`` or a Google ``users``/``members`` list is
often copied without its ``@odata.nextLink`` / ``nextPageToken``. Such an answer is a whole page, whose length
is the size the API served: its default when none was asked (what an admin gets who opens the documented URL),
its maximum when more was asked, or the size our own hand-save steps ask for. So a saved answer whose last page
holds exactly one of these sizes, and which says nothing of a next page, is read as cut there:
``incomplete-pages`` (an incomplete-input code: :mod:`planner.rules.inputs` makes every action it could change a
blocking ``inputs.truncated`` item), unless something vouches for the listing: a ``fetch-idp`` manifest naming
the file (:mod:`.manifest`; the pull followed every page), a count the answer announces (Graph ``@odata.count``,
checked by :func:`.envelopes.batches`) or the group's own count in the groups file (Okta ``usersCount``, Google
``directMembersCount``: :meth:`.directory.DirectoryBuilder.counted`, compared when the directory is built), or a
continuation key present on a page (``"nextPageToken": null``: the answer says where it ends).

The sizes, from docs/formats.md (the reference's words in :attr:`PageSizes.source`):

========================  ======================================  ==========================================
format, listing           endpoint                                sizes (why)
========================  ======================================  ==========================================
okta-api users            ``GET /api/v1/users``                   200 (``limit`` default, §2a)
okta-api groups           ``GET /api/v1/groups``                  10,000 (``limit`` default and maximum, §2b);
                                                                  200 (README's steps)
okta-api group members    ``GET /api/v1/groups/{id}/users``       1,000 (``limit`` default, §2c); 200 (the
                                                                  spec's recommendation, README's steps)
entra-graph users         ``GET /v1.0/users``                     100 (default), 999 (``$top`` maximum, §3d)
entra-graph groups        ``GET /v1.0/groups``                    100 (default), 999 (``$top`` maximum, §3d)
entra-graph members       ``GET /v1.0/groups/{id}/members``       100 (default), 999 (``$top`` maximum, §3d)
google-api users          ``GET .../admin/directory/v1/users``    100 (``maxResults`` default), 500 (its
                                                                  maximum, §4b)
google-api groups         ``GET .../admin/directory/v1/groups``   200 (``maxResults`` default and maximum, §4c)
google-api members        ``GET .../groups/{groupKey}/members``   200 (``maxResults`` maximum, §4c)
========================  ======================================  ==========================================

The groups listings are read by the same rule (tester20 finding 8: an Okta ``groups.json`` of exactly 200, the README's
own ``limit=200`` step, and Google's 200 were read as whole, and groups past the cut, reached through a
``scope.groups`` or ``teams.rules`` pattern or through nesting, dropped out without a word).

Sizes an admin asks for (tester21 finding 6). ``limit``, ``$top`` and ``maxResults`` take any value up to the
maximum, and the references' own examples ask for small round ones (Okta's ``q=West&limit=10``, its forum's
``limit=50``, Google's quickstart ``maxResults=10``; Okta's reference even asks for "a specific value other than the
default or maximum"): one page of such an answer, saved without its continuation, reads as a whole group. So an
answer saved as one page (:meth:`PageSizes.asked_size`) whose length is a round size of the 1-2-2.5-5 series
(:data:`ROUND_SIZES`: 10, 20, 25, 50, 100, 200, 250, 500, 1,000, ...) from :attr:`PageSizes.asked_from` up to the
endpoint's largest size in the table is doubted the same way. Group members and users are doubted from 10; the
org-wide groups listings from 50 (their default pages are 10,000, 100 and 200, so a groups file is one page unless a
``limit`` was typed, and one of 10, 20 or 25 groups is common: the Acme sample's Okta ``groups.json`` holds 25). A
count between the round sizes (24, 26, 30, 75) is never doubted, nor one above the endpoint's largest size, nor
several pages joined (an array of pages of an asked size is the "every page full" rule of :mod:`.envelopes`).

The reference gives no maximum for Okta's group members ``limit``: a size asked above the default is not in the
table. The Sigma side and SCIM ListResponses are not here: their answers carry their continuation or count in the
body (``nextPage``, ``totalResults``), which :mod:`.envelopes` and :mod:`.scim` check.
"""

from __future__ import annotations

from dataclasses import dataclass


ROUND_SIZES = (10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000)
"""The round page sizes people ask for: the 1-2-2.5-5 series from 10 up to 10,000, the largest size in the table
(module docstring; tester21 finding 6)."""


@dataclass(frozen=True)
class PageSize:
    """One size an endpoint serves a page at: ``size`` records, and ``why`` (``"limit 200, its default"``);
    ``asked``: a round size an admin may have asked for (:meth:`PageSizes.asked_size`), not one the reference names."""

    size: int
    why: str
    asked: bool = False


@dataclass(frozen=True)
class PageSizes:
    """The page sizes of one IdP endpoint (module docstring).

    ``endpoint``: the request, as a message names it; ``sizes``: each :class:`PageSize` a page of it can hold;
    ``next_page``: where the API says a next page exists (a message names it as lost); ``ways_out``: how an
    admin shows a listing that really ends on a full page to be whole (a message and the ``inputs.truncated``
    resolution end with it, :func:`planner.rules.inputs.truncation_items`); ``source``: the reference section;
    ``asked``: the query parameter that sets the page size (``"limit"``); ``noun``: what the records are
    (``"members"``); ``asked_from``: the smallest round size doubted (module docstring); ``asked_ways_out``: how a
    one-page answer of a round size is shown whole (default :attr:`ways_out`).
    """

    endpoint: str
    sizes: tuple[PageSize, ...]
    next_page: str
    ways_out: str
    source: str
    asked: str = "limit"
    noun: str = "records"
    asked_from: int = 10
    asked_ways_out: str = ""

    @property
    def ways_out_asked(self) -> str:
        """:attr:`asked_ways_out`, or :attr:`ways_out` when none is set."""
        return self.asked_ways_out or self.ways_out

    def asked_size(self, held: int) -> PageSize | None:
        """The round size (:data:`ROUND_SIZES`) an admin may have asked for that one page of ``held`` records
        fills, ``None`` when ``held`` is none of them, below :attr:`asked_from` or above the endpoint's largest size
        (tester21 finding 6: ``limit=25``, a group's first 25 members read as the whole group)."""
        if held < self.asked_from or held > max(s.size for s in self.sizes) or held not in ROUND_SIZES:
            return None
        return PageSize(held, f"{self.asked}={held}?", asked=True)

    def full(self, held: int, concatenated: bool, one_page: bool = False) -> PageSize | None:
        """The page size ``held`` records fill, ``None`` when none: equal to a size, or with ``concatenated``
        (one bare array that may be several answers' records joined) a whole multiple of one. The first size
        of :attr:`sizes` that fits wins; then, when the answer is ``one_page`` (one bare array, one page object,
        or an array of one page), a round size an admin may have asked for (:meth:`asked_size`). ``held`` 0 is
        never full (an empty page ends a listing)."""
        if held <= 0:
            return None
        known = next((s for s in self.sizes if held == s.size or (concatenated and held % s.size == 0)), None)
        return known if known is not None or not one_page else self.asked_size(held)


OKTA_WAYS_OUT = ("if that is really all, save the empty answer of the next page too (the file a JSON "
                 "array of pages ending with []) or pull with `sigma-migrate fetch-idp okta` (its manifest "
                 "vouches for every page)")
"""How an Okta listing that really ends on a full page is shown whole (tester6 finding 17: "export again, whole"
gives the same file): the empty next page a browser or script saves after the ``after=`` link, or a pull whose
manifest counts every page; for group members also ``GET /api/v1/groups?expand=stats`` (its ``usersCount``)."""

GRAPH_WAYS_OUT = ("if that is really all, save it again with $count=true (header ConsistencyLevel: eventual) so "
                  "that its @odata.count vouches for it, or pull with `sigma-migrate fetch-idp entra` (its manifest "
                  "vouches for every page)")
"""How a Graph listing that really ends on a full page is shown whole: Graph ends such a listing without
``@odata.nextLink`` (:mod:`.envelopes`), so only a count can tell."""

GOOGLE_WAYS_OUT = ("if that is really all, save the answer with its nextPageToken key (or the group's "
                   "directMembersCount in the groups file) or pull with `sigma-migrate fetch-idp google` (its manifest "
                   "vouches for every page)")
"""How a Google Directory listing that really ends on a full page is shown whole."""


def okta_asked_ways_out(page_key: str, counted_by: str = "") -> str:
    """How a one-page Okta answer of a round size (:meth:`PageSizes.asked_size`) is shown whole: the answer saved
    with its ``Link`` header as a page ``{"link": ..., page_key: [...]}`` (a header naming no ``rel="next"`` ends
    the listing, :func:`.envelopes.batches`; under ``limit=200`` a page of 25 has no next page to save), the
    empty next page, ``counted_by`` (group members: ``expand=stats``), or a ``fetch-idp`` pull."""
    return (f'if that is really all, save the answer again with its Link header, as {{"link": "<the Link header>", '
            f'"{page_key}": [...]}} (a Link header without rel="next" ends the listing), or with the empty answer '
            f"of the next page (a JSON array of pages ending with []){counted_by}, or pull with "
            "`sigma-migrate fetch-idp okta` (its manifest vouches for every page)")


_OKTA_NEXT = 'Link: rel="next"'

OKTA_USERS = PageSizes("GET /api/v1/users", (PageSize(200, "limit 200, its default"),), _OKTA_NEXT,
                       OKTA_WAYS_OUT, 'docs/formats.md §2a: "limit defaults to 200"', noun="users",
                       asked_ways_out=okta_asked_ways_out("users"))
OKTA_MEMBERS = PageSizes(
    "GET /api/v1/groups/{id}/users",
    (PageSize(1000, "limit 1000, its default"), PageSize(200, "limit 200, as README's steps and Okta's spec ask")),
    _OKTA_NEXT, OKTA_WAYS_OUT, 'docs/formats.md §2c: "limit default is 1,000 (the spec recommends 200)"',
    noun="members", asked_ways_out=okta_asked_ways_out(
        "users", ", or save the groups file from /api/v1/groups?expand=stats (each group's usersCount vouches for "
                 "its members answer)"))
OKTA_GROUPS = PageSizes(
    "GET /api/v1/groups",
    (PageSize(10000, "limit 10,000, its default and maximum"), PageSize(200, "limit 200, as README's steps ask")),
    _OKTA_NEXT, OKTA_WAYS_OUT, 'docs/formats.md §2b: "limit up to 10,000"', noun="groups", asked_from=50,
    asked_ways_out=okta_asked_ways_out("groups"))
GRAPH_USERS = PageSizes("GET /v1.0/users", (PageSize(100, "its default page"), PageSize(999, "$top 999, its maximum")),
                        "@odata.nextLink", GRAPH_WAYS_OUT,
                        'docs/formats.md §3d: "Page size default 100, $top up to 999"', asked="$top", noun="users")
GRAPH_GROUPS = PageSizes("GET /v1.0/groups", GRAPH_USERS.sizes, "@odata.nextLink", GRAPH_WAYS_OUT,
                         GRAPH_USERS.source, asked="$top", noun="groups", asked_from=50)
GRAPH_MEMBERS = PageSizes("GET /v1.0/groups/{id}/members", GRAPH_USERS.sizes, "@odata.nextLink", GRAPH_WAYS_OUT,
                          GRAPH_USERS.source, asked="$top", noun="members")
GOOGLE_USERS = PageSizes(
    "GET admin/directory/v1/users",
    (PageSize(100, "maxResults 100, its default"), PageSize(500, "maxResults 500, its maximum")),
    "nextPageToken", GOOGLE_WAYS_OUT, 'docs/formats.md §4b: "maxResults up to 500 (default 100)"',
    asked="maxResults", noun="users")
GOOGLE_GROUPS_WAYS_OUT = ("if that is really all, save the answer with its nextPageToken key or pull with "
                          "`sigma-migrate fetch-idp google` (its manifest vouches for every page)")
"""How a Google groups listing that really ends on a full page is shown whole (no group count applies to it)."""

GOOGLE_GROUPS = PageSizes("GET admin/directory/v1/groups",
                          (PageSize(200, "maxResults 200, its default and maximum"),), "nextPageToken",
                          GOOGLE_GROUPS_WAYS_OUT, 'docs/formats.md §4c: groups.list "maxResults max 200"',
                          asked="maxResults", noun="groups", asked_from=50)
GOOGLE_MEMBERS = PageSizes("GET admin/directory/v1/groups/{groupKey}/members",
                           (PageSize(200, "maxResults 200, its maximum"),), "nextPageToken", GOOGLE_WAYS_OUT,
                           'docs/formats.md §4c: "maxResults max 200"', asked="maxResults", noun="members")

PAGE_SIZES: dict[tuple[str, str], PageSizes] = {
    ("okta-api", "users"): OKTA_USERS,
    ("okta-api", "groups"): OKTA_GROUPS,
    ("okta-api", "members"): OKTA_MEMBERS,
    ("entra-graph", "users"): GRAPH_USERS,
    ("entra-graph", "groups"): GRAPH_GROUPS,
    ("entra-graph", "members"): GRAPH_MEMBERS,
    ("google-api", "users"): GOOGLE_USERS,
    ("google-api", "groups"): GOOGLE_GROUPS,
    ("google-api", "members"): GOOGLE_MEMBERS,
}
"""The table of the module docstring: ``(loader format, listing)`` -> :class:`PageSizes`."""

WAYS_OUT = tuple(dict.fromkeys(w for p in PAGE_SIZES.values() for w in (p.ways_out, p.ways_out_asked)))
"""Every :attr:`PageSizes.ways_out` and :attr:`PageSizes.ways_out_asked`, in table order
(:func:`planner.rules.inputs.truncation_items` finds the one a finding ends with)."""


def full_page_message(what: str, sizes: PageSizes, held: int, page: PageSize, pages: int | None) -> str:
    """The ``incomplete-pages`` message of an answer cut at a full page.

    ``what``: the listing (``"Okta members of group Sigma-Build"``); ``held``: the records of the last page
    (of the whole flat answer when ``pages`` is not ``None``: ``pages`` full pages joined in one array);
    ``page``: the size they fill. The message ends with :attr:`PageSizes.ways_out`; for a round size an admin
    may have asked for (:attr:`PageSize.asked`, one page), it names the count and the parameter that would have
    cut it (``... holds exactly 25 members, a round page size (limit=25?) ...``) and ends with
    :attr:`PageSizes.ways_out_asked` (tester21 finding 6).
    """
    if page.asked:
        return (f"{what}: the answer holds exactly {held} {sizes.noun}, a round page size ({page.why}) of "
                f"{sizes.endpoint}, and no {sizes.next_page}: if it was asked with {sizes.asked}={held}, the "
                f"{sizes.noun} past the first {held} are missing; {sizes.ways_out_asked}")
    if pages is None:
        holding = f"its last page holds {held} records, a full page"
    elif pages == 1:
        holding = f"exactly {held} records, one full page"
    else:
        holding = f"exactly {held} records, {pages} full pages"
    return (f"{what}: {holding} of {sizes.endpoint} ({page.why}) and no {sizes.next_page}: the next pages are "
            f"probably missing; {sizes.ways_out}")
