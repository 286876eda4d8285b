"""The shared listing-completeness check (planner/listing.py): whole listings pass, every early end is refused."""

from __future__ import annotations

import pytest

from planner.listing import MAX_EMPTY_PAGES, IncompleteListing, Listing, check_count


def listing() -> Listing:
    return Listing("Okta users", "GET /api/v1/users")


def test_pages_in_order_with_matching_count_give_every_item():
    lst = listing()
    lst.add_page([{"id": "00u1"}, {"id": "00u2"}], "c1")
    lst.add_page([{"id": "00u3"}], None)
    assert lst.finish(3) == [{"id": "00u1"}, {"id": "00u2"}, {"id": "00u3"}]
    assert lst.pages == 2


def test_a_count_above_what_came_is_an_incomplete_listing():
    lst = listing()
    lst.add_page([{"id": "00u1"}])
    with pytest.raises(IncompleteListing) as exc:
        lst.finish(3)
    assert str(exc.value) == "GET /api/v1/users: incomplete listing of Okta users: 1 of 3 received"


def test_a_count_below_what_came_says_the_list_changed():
    with pytest.raises(IncompleteListing) as exc:
        check_count("members", "GET /v2/members", 4, 3)
    assert str(exc.value) == ("GET /v2/members: incomplete listing of members: 4 of 3 received "
                              "(the list changed while it was read)")


def test_no_announced_count_is_not_checked():
    check_count("members", "GET /v2/members", 4, None)


def test_a_server_serving_the_first_page_again_is_refused_by_its_repeated_id():
    lst = listing()
    lst.add_page([{"id": "00u1"}, {"id": "00u2"}], "c1")
    with pytest.raises(IncompleteListing) as exc:
        lst.add_page([{"id": "00u1"}, {"id": "00u2"}], "c2")
    assert str(exc.value) == ("GET /api/v1/users: incomplete listing of Okta users: id '00u1' came twice "
                              "(pages 1 and 2); the server repeated or shifted its pages")


def test_an_id_twice_on_one_page_is_refused():
    with pytest.raises(IncompleteListing, match=r"id '00u1' came twice on page 1;"):
        listing().add_page([{"id": "00u1"}, {"id": "00u1"}])


def test_a_repeated_cursor_is_refused():
    lst = listing()
    lst.add_page([{"id": "00u1"}], "same")
    with pytest.raises(IncompleteListing, match=r"the page cursor 'same' came twice \(after 2 pages\)"):
        lst.add_page([{"id": "00u2"}], "same")


def test_a_chain_of_empty_pages_naming_a_next_page_is_refused():
    lst = listing()
    lst.add_page([{"id": "00u1"}], "c0")
    for n in range(1, MAX_EMPTY_PAGES):
        lst.add_page([], f"c{n}")
    with pytest.raises(IncompleteListing, match=r"3 empty pages in a row still name a next page \(after 1 items\)"):
        lst.add_page([], "last")


def test_custom_ids_and_items_without_id():
    lst = Listing("members", "GET /v2/members", id_of=lambda m: m.get("memberId"))
    lst.add_page([{"memberId": "m1"}, {"other": 1}, {"other": 2}])
    assert len(lst.finish()) == 3


# --------------------------------------------------------------------------- no count, full last page


NO_COUNT = ("GET /v1.0/users: incomplete listing of Entra users: no @odata.count came and the last page is full "
            "({n} entries, a whole page): whether a page is missing cannot be told; let the count through")


def graph_listing(*pages: int) -> Listing:
    lst = Listing("Entra users", "GET /v1.0/users")
    start = 0
    for p, size in enumerate(pages):
        lst.add_page([{"id": f"u{start + i}"} for i in range(size)], None if p == len(pages) - 1 else f"c{p}")
        start += size
    return lst


@pytest.mark.parametrize("pages, n", [((999,), 999), ((2, 2), 2), ((100, 100, 100), 100)])
def test_no_count_and_a_full_last_page_is_refused_when_a_count_was_asked(pages, n):
    """tester8 finding 22: a Graph listing without @odata.count ending on a full page (999 asked, or as many
    as the server's first page) may have lost its next link: nobody can tell."""
    with pytest.raises(IncompleteListing) as exc:
        graph_listing(*pages).finish(None, page_size=999, count_name="@odata.count", fix="let the count through")
    assert str(exc.value) == NO_COUNT.format(n=n)


@pytest.mark.parametrize("pages", [(998,), (2, 1), (100, 100, 0), ()])
def test_no_count_and_a_short_or_empty_last_page_ends_the_listing(pages):
    assert len(graph_listing(*pages).finish(None, page_size=999)) == sum(pages)


def test_a_count_that_agrees_settles_a_full_last_page_and_no_page_size_checks_nothing():
    assert len(graph_listing(2, 2).finish(4, page_size=999)) == 4
    assert len(graph_listing(999).finish(None)) == 999
