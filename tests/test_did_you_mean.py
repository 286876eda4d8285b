"""planner.did_you_mean: the one "did you mean" (policy keys and references, mapping keys, columns, account
types, --only selectors), never proposing a name that only looks like the one written (tester7 NEW-4)."""

from __future__ import annotations

from planner.did_you_mean import LookAlikes, Suggestion, closest, is_look_alike, look_alike, suggest, unknown_key
from planner.rules.account_types import builtin_typo, closest_account_type
from planner.sources.tabular import closest_column

CYRILLIC_I = "F\u0456nance"  # U+0456 CYRILLIC SMALL LETTER BYELORUSSIAN-UKRAINIAN I
FULLWIDTH_S = "\uff33ales"  # U+FF33 FULLWIDTH LATIN CAPITAL LETTER S


def test_the_same_name_in_another_case_first_then_difflib_at_the_callers_cutoff():
    assert closest("finance", ["Finanse", "Finance"]) == "Finance"
    assert closest("Finanse", ["Finance", "View"]) == "Finance"
    assert closest("Zzz", ["Finance", "View"]) is None
    assert closest("isInactive", ["isArchived"]) == "isArchived"  # 0.7: a name at difflib's default 0.6
    assert closest("isInactive", ["isArchived"], cutoff=0.8) is None  # not a column typo (tabular's cutoff)
    assert closest("Explorer Plus", ["Explorer"], cutoff=0.8) is None  # a prefix is no typo


def test_the_call_sites_keep_their_cut_offs():
    assert closest_column(("Logon",), ["Login", "Mail"]) == "Login"
    assert closest_column(("isInactive",), ["isArchived"]) is None
    assert closest_account_type("data steward", ["Data Steward", "Data Stewards"]) == "Data Steward"
    assert (builtin_typo("Builder"), builtin_typo("Analyst"), builtin_typo("Explorer Plus")) == ("Build", None, None)


def test_a_look_alike_is_never_proposed_as_the_right_spelling():
    assert closest("Finance", [CYRILLIC_I]) is None
    assert closest("Sales", [FULLWIDTH_S]) is None
    assert closest_column(("Email",), ["Em\u0430il"]) is None  # a Cyrillic а in the header
    assert suggest("Finance", [CYRILLIC_I, "Sales"]) == Suggestion("Finance", CYRILLIC_I, look_alike=True)
    assert suggest("Finance", [CYRILLIC_I]).phrase() == (
        "'F\u0456nance' looks like 'Finance' and differs: U+0456 CYRILLIC SMALL LETTER BYELORUSSIAN-UKRAINIAN I "
        "at position 2; never take one for the other")
    assert suggest("Sales", [FULLWIDTH_S]).phrase() == (
        "'\uff33ales' looks like 'Sales' and differs: U+FF33 FULLWIDTH LATIN CAPITAL LETTER S at position 1; never "
        "take one for the other")
    assert suggest("Finanse", ["Finance"]).phrase() == "did you mean 'Finance'?"
    assert suggest("Zzz", ["Finance"]) is None


def test_letter_case_and_two_ascii_names_are_no_look_alikes():
    assert not is_look_alike("Finance", "FINANCE")  # a reader sees the case: the case_insensitive rule's business
    assert not is_look_alike("Modem", "Modern")  # both ASCII: a reader sees them apart (rn / m)
    assert not is_look_alike("Finance", "Finance")
    assert is_look_alike("Finance", CYRILLIC_I) and is_look_alike(FULLWIDTH_S, "Sales")
    assert look_alike("Finance", ["Finance", "FINANCE", CYRILLIC_I]) == CYRILLIC_I
    index = LookAlikes(["Finance", "Sales", "Modem"])
    assert [index.of(v) for v in (CYRILLIC_I, FULLWIDTH_S, "FINANCE", "Modern", "Finance")] == [
        "Finance", "Sales", None, None, None]


def test_an_unknown_key_is_said_one_way():
    assert unknown_key("colums", ["users", "columns"]) == (
        "unknown key 'colums' (did you mean 'columns'?); allowed here: users, columns")
    assert unknown_key("nickname", ["id", "userName"]) == "unknown key 'nickname'; allowed here: id, userName"
    assert unknown_key("x", []) == "unknown key 'x'"
