"""Speed19 (issue 10 item 5): same-person candidates are found by exact keys, linear in people.

Was (hints18, 6b529f5): a member was compared with every would-be create sharing any name word or a 3-letter
given-name prefix: 1.8M :func:`planner.person_names.compare` calls, 55 s of the 100k plan. Now the same or
contained word multisets are one look-up each and agreeing given names are found only together with a piece of
the other evidence (:meth:`planner.rules.linking.SharedEvidence.member_keys`). And a team held by more than
20% of the members or of the IdP users (and more than 50 people) is no "team in common" (tester18 note,
docs/policy.md "Same-person hints").
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from dataclasses import replace as replace_record

from msgspec.structs import replace

from .plan_factory import group, member, policy, snapshot, team, user
from planner.directory import build_directory
from planner.model import ScimUser, email_key
from planner.person_names import parts, person_name, whole
from planner.rules import linking
from planner.rules.linking import broad_keys, renamed_scim_hints, same_person_hints, team_holder_counts

RENAMED = " (the same person renamed, or two people?)"


def counted(monkeypatch) -> list[int]:
    """Count the calls of ``compare`` the hint rules make."""
    calls = [0]
    real = linking.compare

    def counting(a, b):
        calls[0] += 1
        return real(a, b)

    monkeypatch.setattr(linking, "compare", counting)
    return calls


def crowd(n: int):
    """``n`` members and ``n`` would-be creates all named Michael, all in one team / IdP group "Everyone", members
    made in 2020, IdP users in 2010 (no onboarding evidence), each with a family name of their own; but
    m0 / u0 are "Michael Abbott" twice (same name) and m1 / u1 share employee number E1."""
    members = [member(f"m{i}", f"m{i}@old.example", "Michael", f"Fam{i}", created_at="2020-03-01T00:00:00Z")
               for i in range(n)]
    users = [replace(user(f"u{i}", f"u{i}@new.example", first="Michael", last=f"Other{i}"),
                     created="2010-03-01T00:00:00Z") for i in range(n)]
    members[0] = replace(members[0], last_name="Abbott")
    users[0] = replace(users[0], family_name="Abbott", display_name="Michael Abbott")
    members[1] = replace(members[1], raw={**members[1].raw, "employeeId": "E1"})
    users[1] = replace(users[1], attributes={"employeeNumber": "E1"})
    return members, users, everyone(members, users)


def everyone(members, users):
    """The directory of ``members`` and ``users``, all in team / IdP group "Everyone"."""
    snap = snapshot(members, users, groups=[group("g-all", "Everyone", users=[u.id for u in users])],
                    teams=[team("t-all", "Everyone")], memberships={"t-all": [m.member_id for m in members]},
                    with_root=False)
    return build_directory(snap, policy())


def test_two_thousand_michaels_in_a_team_of_everyone_are_compared_linearly(monkeypatch):
    members, users, d = crowd(1000)
    calls = counted(monkeypatch)
    hints = same_person_hints(members, users, d, policy())
    assert hints == {("m0", "u0"): {"same name"},
                     ("m1", "u1"): {"same given name", "same employee number (E1)"}}
    assert calls[0] == 2  # was 1,000,000 (every Michael with every Michael), each a hint "team in common"
    assert calls[0] < 10 * 2000


def test_onboarding_dates_find_the_users_made_within_30_days_before_the_member_only(monkeypatch):
    members, users, _ = crowd(60)
    start = datetime(2021, 1, 1, tzinfo=timezone.utc)
    made = [start + timedelta(days=40 * i) for i in range(60)]  # members 40 days apart
    members = [replace(m, created_at=at.isoformat()) for m, at in zip(members, made)]
    users[5] = replace(users[5], created=(made[5] - timedelta(days=30)).isoformat())  # 30 days before m5
    users[7] = replace(users[7], created=(made[7] - timedelta(days=30, seconds=1)).isoformat())  # a second more
    d = everyone(members, users)
    calls = counted(monkeypatch)
    assert same_person_hints(members, users, d, policy()) == {
        ("m0", "u0"): {"same name"}, ("m1", "u1"): {"same given name", "same employee number (E1)"},
        ("m5", "u5"): {"same given name", "onboarding dates (IdP user made 30 day(s) before the member)"}}
    assert calls[0] < 10 * 120


def test_a_team_of_more_than_a_fifth_and_more_than_50_people_is_no_evidence():
    assert broad_keys({"everyone": 300, "sales": 61, "finance": 60}, 300) == {"everyone", "sales"}  # > 60: a fifth
    assert broad_keys({"finance": 50}, 60) == set()  # 50 of 60: a small organization's team
    assert broad_keys({"finance": 51}, 60) == {"finance"}


def test_a_team_of_everyone_split_in_two_teams_of_one_name_is_counted_once_per_member():
    members, users, _ = crowd(100)
    teams = [team("t-a", "Everyone"), team("t-b", "everyone"), team("t-fin", "Finance")]
    memberships = {"t-a": [f"m{i}" for i in range(60)], "t-b": [f"m{i}" for i in range(40, 100)],
                   "t-fin": ["m3", "m4"]}
    d = build_directory(snapshot(members, users, groups=[group("g-fin", "Finance", users=["u5"]),
                                                            group("g-all", "Everyone", users=["u6"])], teams=teams,
                                 memberships=memberships, with_root=False), policy())
    assert team_holder_counts(d, {"t-a": "everyone", "t-b": "everyone", "t-fin": "finance"}) == {
        "t-a": 60, "t-b": 60, "everyone": 100, "t-fin": 2, "finance": 2}
    hints = same_person_hints(members, users, d, policy())
    assert hints[("m4", "u5")] == {"same given name", "team 'Finance' in common"}  # "everyone": 100 of 100
    assert ("m4", "u6") not in hints  # both "everyone", held by 100 of the 100 members


def test_a_team_below_the_threshold_is_still_a_team_in_common():
    members, users, d = crowd(10)
    snap = snapshot(members, users, groups=[group("g-fin", "Finance", users=["u3"])],
                    teams=[team("t-fin", "Finance")], memberships={"t-fin": ["m4"]}, with_root=False)
    d = build_directory(snap, policy())
    hints = same_person_hints(members, users, d, policy())
    assert hints[("m4", "u3")] == {"same given name", "team 'Finance' in common"}
    assert len(hints) == 3


@pytest.mark.parametrize("tokens, expected", [
    (("greta",), set()),
    (("greta", "dunmore"), {("dunmore", "greta")}),
    (("greta", "marie", "dunmore"), {("dunmore", "greta"), ("dunmore", "marie"), ("greta", "marie"),
                                     ("dunmore", "greta", "marie")}),
    (("anna", "anna", "lee"), {("anna", "anna"), ("anna", "lee"), ("anna", "anna", "lee")}),
])
def test_parts_are_the_sorted_sub_multisets_of_two_words_or_more(tokens, expected):
    name = person_name(" ".join(tokens), "")
    assert parts(name) == expected
    assert whole(name) in parts(name) or len(tokens) < 2


def test_a_name_of_more_than_6_words_is_looked_for_within_by_its_first_6():
    long = person_name("A B C D E F G", "")
    assert len(parts(long)) == 57 + 1  # the 57 of its first 6 words and its whole
    assert ("a", "g") not in parts(long) and ("a", "b") in parts(long)


def test_renamed_scim_hints_compare_only_agreeing_given_names_and_contained_names(monkeypatch):
    """300 SCIM-linked Michaels whose externalIds vanished beside 300 Michael creates: each pair is a candidate
    by the given name alone (every pair a hint, as before); a Michelle and a one-word 'Abbott' are compared with
    the names that can be one person with theirs only."""
    members, users, _ = crowd(300)
    members[2] = replace(members[2], first_name="Michelle")  # "mic" as Michael: compared, no hint
    members[3] = replace(members[3], first_name="", last_name="Abbott")  # one word, within "Michael Abbott"
    provisioned = [ScimUser(m.member_id, m.email, email_key(m.email), f"gone-{m.member_id}", True, "View")
                   for m in members]
    snap = snapshot(members, users, with_root=False)
    sigma = replace_record(snap.sigma, scim_users=tuple(provisioned), scim_groups=())
    d = build_directory(replace_record(snap, sigma=sigma), policy())
    calls = counted(monkeypatch)
    hints = renamed_scim_hints(members, users, d)
    michaels = [i for i in range(300) if i not in (2, 3)]
    assert sorted(hints) == sorted([(f"m{i}", f"u{j}") for i in michaels for j in range(300)] + [("m3", "u0")])
    assert hints[("m3", "u0")] == {
        "one name within the other ('Abbott' / 'Michael Abbott')",
        "SCIM externalId 'gone-m3' of the member absent from the export (renamed in the IdP?)"}
    assert calls[0] == 298 * 300 + 300 + 1  # the Michaels with every Michael, Michelle with them, 'Abbott' once


# --------------------------------------------------------------------------- speed20: the same verdicts, cheaper


def names_and_keys(texts: dict[str, str], keys: dict[str, list]) -> tuple[dict, dict]:
    """``{id: PersonName}`` of whole-name texts and ``{id: by_given keys}`` (``keys``, empty when not given)."""
    return ({i: person_name(t, "") for i, t in texts.items()}, {i: keys.get(i, []) for i in texts})


def test_candidate_pairs_are_the_same_whichever_side_is_indexed():
    """:func:`planner.rules.linking.candidate_pairs` indexes the smaller side and probes with the larger (speed20):
    the relation is symmetric, so the pairs are exactly those of the other orientation, and exactly the same or
    contained names and the pairs sharing a key."""
    m_names, m_keys = names_and_keys({"m1": "Greta Dunmore", "m2": "Greta Marie Dunmore", "m3": "Abbott",
                                      "m4": "Ann Lee"}, {"m4": [("g", "ann")], "m3": [("g", "abb")]})
    u_names, u_keys = names_and_keys({"u1": "Dunmore Greta", "u2": "Greta Dunmore-Hale", "u3": "Ann Other",
                                      "u4": "Zed Nobody", "u5": "Marie Dunmore", "u6": "Bob Abbott"},
                                     {"u3": [("g", "ann")], "u4": [("g", "zed")], "u6": [("g", "bob")]})
    expected = [("m1", "u1"), ("m1", "u2"), ("m2", "u1"), ("m2", "u5"), ("m4", "u3")]
    assert linking.candidate_pairs(m_names, m_keys, u_names, u_keys) == expected  # members indexed (4 < 6)
    swapped = linking.candidate_pairs(u_names, u_keys, m_names, m_keys)  # the IdP side as "members": 6 > 4
    assert sorted((m, u) for u, m in swapped) == expected


def test_team_spellings_name_a_folded_team_name_by_the_team_of_its_last_membership():
    """Two teams of one folded name ('Finance', 'FINANCE'): the hint says the name of the team whose membership
    the export lists last, as before speed20 (when every membership was walked); a team without members spells
    nothing."""
    members, users, _ = crowd(4)
    teams = [team("t-a", "Finance"), team("t-b", "FINANCE"), team("t-c", "Legal")]
    d = build_directory(snapshot(members, users, teams=teams, with_root=False,
                                 memberships={"t-b": ["m0"], "t-a": ["m1", "m2"]}), policy())
    keys = {"t-a": "finance", "t-b": "finance", "t-c": "legal"}
    assert linking.team_spellings(d, keys) == {"finance": "Finance"}
    d = build_directory(snapshot(members, users, teams=teams, with_root=False,
                                 memberships={"t-a": ["m1", "m2"], "t-b": ["m0"]}), policy())
    assert linking.team_spellings(d, keys) == {"finance": "FINANCE"}


@pytest.mark.parametrize("created", ["2026-01-10T09:00:00Z", "10/1/2026 9:00", "sometime", None])
def test_the_bounds_the_keys_read_are_those_of_the_items_dates(created):
    """:func:`~planner.rules.address_takeover.user_made` / ``member_made`` (the hints' keys, no phrase written) give
    exactly the ``earliest`` / ``latest`` of ``user_created`` / ``member_created`` (the items' dates): read, a
    year-last date a spreadsheet wrote, unreadable, missing."""
    from planner.rules.address_takeover import member_created, member_made, user_created, user_made
    u = replace(user("u1", "u1@new.example"), created=created if created and "T" in created else None,
                created_unreadable=created if created and "T" not in created else None)
    m = member("m1", "m1@old.example", "Greta", "Dunmore", created_at=created)
    for made, dated in ((user_made(u), user_created(u)), (member_made(m), member_created(m))):
        assert made == (dated.earliest, dated.latest)
    if created == "10/1/2026 9:00":
        assert user_made(u)[0] < user_made(u)[1]  # a span of the days it may be
    elif created != "2026-01-10T09:00:00Z":
        assert user_made(u) == (None, None)


@pytest.mark.parametrize("text", ["Greta", "O'Neil", "van der Berg", "ANNA-LENA", "x1", "Ｇｒｅｔａ", "José", "Straße"])
def test_an_ascii_word_folds_as_the_unicode_path_folds_it(text):
    """:func:`planner.person_names.fold_word` lower-cases an ASCII word only (speed20): the same as NFKC, NFKD
    without combining marks and case folding give; a word outside ASCII takes that path."""
    import unicodedata
    from planner.person_names import fold_word
    slow = "".join(c for c in unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text))
                   if not unicodedata.combining(c)).casefold()
    assert fold_word(text) == slow
    assert fold_word("Ｇｒｅｔａ") == "greta" and fold_word("Straße") == "strasse"
