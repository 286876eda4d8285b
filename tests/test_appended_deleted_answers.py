"""A Graph users file saved as its pages with the ``directory/deletedItems`` answer appended (docs/formats.md §3d
reads it beside the live users), or a Google users file with the ``showDeleted=true`` answer appended, whose users
listing lost its page 2 (tester22 finding 5): the listing's own last page still names its next page
(``@odata.nextLink``, ``nextPageToken``), so the file is ``incomplete-pages`` (was: the file's last page, the deleted
users', names none: read as whole, 3 people assigned to the app directly deactivated, 0 blocking). The same
mechanism as the Okta users file's DEPROVISIONED answer (tester21 finding 9, tests/test_appended_listing.py)."""

from __future__ import annotations

import json
from pathlib import Path

from planner.sources import load_idp

from .conftest import write
from .test_full_pages_by_endpoint import GRAPH_USERS_CONTEXT, graph_user, pages

DELETED_CONTEXT = "https://graph.microsoft.com/v1.0/$metadata#directory/deletedItems/microsoft.graph.user"
NEXT_LINK = "https://graph.microsoft.com/v1.0/users?$top=50&$skiptoken=RFNwdAIAAQAAAB8"


def graph_export(root: Path, users_pages: list) -> Path:
    """A Graph export whose users.json is ``users_pages`` (an array of pages), one group of user u0."""
    write(root / "users.json", json.dumps(users_pages))
    write(root / "groups.json", json.dumps({"value": [{"id": "g1", "displayName": "Sigma-Build"}]}))
    write(root / "group_members.json", json.dumps({"g1": {"value": [
        dict(graph_user(0), **{"@odata.type": "#microsoft.graph.user"})]}}))
    return root


def live(start: int, stop: int, **more) -> dict:
    return {"@odata.context": GRAPH_USERS_CONTEXT, "value": [graph_user(n) for n in range(start, stop)], **more}


def deleted(n: int, *, with_date: bool = True) -> dict:
    """The ``directory/deletedItems`` answer of one user, ``deletedDateTime`` $select-ed or not."""
    user = dict(graph_user(n), **({"deletedDateTime": "2026-10-01T10:00:00Z"} if with_date else {}))
    return {"@odata.context": DELETED_CONTEXT, "value": [user]}


def test_a_graph_users_listing_cut_before_its_deleted_items_answer_is_incomplete_pages(tmp_path):
    root = graph_export(tmp_path / "cut", [live(0, 50, **{"@odata.nextLink": NEXT_LINK}), deleted(90)])
    assert pages(load_idp(root, "entra-graph")[1]) == [("users.json", "$[0]", (
        "Graph users file (the pages before its directory/deletedItems answer): the last page still has "
        "@odata.nextLink set; the export may be missing later pages"))]


def test_the_whole_graph_listing_and_its_deleted_items_answer_are_not_doubted(tmp_path):
    root = graph_export(tmp_path / "whole", [live(0, 50, **{"@odata.nextLink": NEXT_LINK}), live(50, 60),
                                             deleted(90)])
    directory, findings = load_idp(root, "entra-graph")
    assert pages(findings) == []
    users = {u.id: u for u in directory.users}
    assert (len(users), users["u90"].active) == (61, False)


def test_an_appended_deleted_items_page_without_deleted_date_time_is_read_as_deleted_users(tmp_path):
    """Its own @odata.context says so, whatever the first page's says (was: only the first page's was read, so its
    users were taken as the live users they were before deletion)."""
    root = graph_export(tmp_path / "nodate", [live(0, 10), deleted(90, with_date=False)])
    directory, findings = load_idp(root, "entra-graph")
    assert {u.id: u.active for u in directory.users}["u90"] is False
    assert [(f.location, f.message) for f in findings if f.code == "deleted-user"] == [
        ("$[1].value[0]", "user u90: listed in a directory/deletedItems answer: the user was deleted; taken as "
                          "inactive, whatever accountEnabled says")]


def test_a_first_page_count_is_its_own_listings_not_the_appended_answers(tmp_path):
    root = graph_export(tmp_path / "counted", [live(0, 10, **{"@odata.count": 10}), deleted(90)])
    assert pages(load_idp(root, "entra-graph")[1]) == []


def google_export(root: Path, users_pages: list) -> Path:
    write(root / "users.json", json.dumps(users_pages))
    write(root / "groups.json", json.dumps({"kind": "admin#directory#groups", "groups": [
        {"id": "g1", "email": "build@example.com", "name": "Sigma-Build"}]}))
    write(root / "group_members.json", json.dumps({"g1": {"kind": "admin#directory#members", "members": [
        {"id": "0", "email": "user0@example.com", "type": "USER", "role": "MEMBER", "status": "ACTIVE"}]}}))
    return root


def google_page(start: int, stop: int, **more) -> dict:
    return {"kind": "admin#directory#users", "users": [
        {"id": f"{n}", "primaryEmail": f"user{n}@example.com", "name": {"givenName": "G", "familyName": f"F{n}"},
         "suspended": False, **more.pop("each", {})} for n in range(start, stop)], **more}


def test_a_google_users_listing_cut_before_its_show_deleted_answer_is_incomplete_pages(tmp_path):
    gone = google_page(90, 91, each={"deletionTime": "2026-11-30T10:00:00.000Z"})
    root = google_export(tmp_path / "cut", [google_page(0, 50, nextPageToken="tok2"), gone])
    assert pages(load_idp(root, "google-api")[1]) == [("users.json", "$[0]", (
        "Google users file (the pages before its showDeleted=true answer): the last page still has nextPageToken "
        "set; the export may be missing later pages"))]
    root = google_export(tmp_path / "whole", [google_page(0, 50, nextPageToken="tok2"), google_page(50, 60), gone])
    assert pages(load_idp(root, "google-api")[1]) == []
