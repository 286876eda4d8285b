"""The loader contract (planner.sources docstring), checked on every IdP loader's fixture.

Like scim2-server's ``ScimStorageContract``: :class:`LoaderContract` states the
rules once; each ``Test...Contract`` subclass names a real-format fixture and
inherits every check.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.model import Severity, email_key
from planner.sources import load_idp

FIXTURES = Path(__file__).parent / "fixtures" / "sources"


class LoaderContract:
    """Rules every IdP loader's result follows. Subclasses set ``paths`` and ``format`` (and ``idp_format``, the
    ``--idp-format`` of a format chosen, never detected: ``onelogin``)."""

    paths: tuple[str, ...] = ()
    format: str = ""
    idp_format: str | None = None

    @pytest.fixture(scope="class")
    @classmethod
    def loaded(cls):
        return load_idp([FIXTURES / p for p in cls.paths], cls.idp_format)

    @pytest.fixture(scope="class")
    @classmethod
    def directory(cls, loaded):
        return loaded[0]

    @pytest.fixture(scope="class")
    @classmethod
    def findings(cls, loaded):
        return loaded[1]

    def test_format_is_detected_from_content(self, directory):
        assert directory.format == self.format

    def test_loads_users_without_errors(self, directory, findings):
        assert directory.users
        assert [f for f in findings if f.severity is Severity.ERROR] == []

    def test_ids_are_unique_strings(self, directory):
        user_ids = [u.id for u in directory.users]
        group_ids = [g.id for g in directory.groups]
        assert all(isinstance(i, str) and i for i in user_ids + group_ids)
        assert len(set(user_ids)) == len(user_ids)
        assert len(set(group_ids)) == len(group_ids)

    def test_user_name_key_is_the_email_key_of_user_name(self, directory):
        for u in directory.users:
            assert u.user_name_key == email_key(u.user_name), u.id

    def test_emails_have_keys_and_one_primary_first(self, directory):
        for u in directory.users:
            for e in u.emails:
                assert e.key == email_key(e.value) and e.key, u.id
            if u.emails:
                assert u.emails[0].primary and sum(e.primary for e in u.emails) == 1, u.id
            assert len({e.key for e in u.emails}) == len(u.emails), u.id

    def test_every_record_names_its_file_and_place(self, directory):
        roots = [str(FIXTURES / p) for p in self.paths]
        for record in (*directory.users, *directory.groups):
            assert record.source is not None, record.id
            assert any(record.source.file.startswith(r) for r in roots), record.source
            assert Path(record.source.file).is_file(), record.source

    def test_users_have_a_location_inside_their_file(self, directory):
        for u in directory.users:
            assert u.source.location.startswith(("line ", "$")), u.source

    def test_no_finding_without_file(self, findings):
        for f in findings:
            assert f.file, f
            assert "\n" not in f.message, f

    def test_group_members_resolve_inside_the_directory(self, directory):
        user_ids = {u.id for u in directory.users}
        group_ids = {g.id for g in directory.groups}
        for g in directory.groups:
            assert set(g.member_user_ids) <= user_ids, g.id
            assert set(g.member_group_ids) <= group_ids, g.id
            assert len(set(g.member_user_ids)) == len(g.member_user_ids), g.id

    def test_active_is_a_bool_or_unknown(self, directory):
        assert all(u.active in (True, False, None) for u in directory.users)

    def test_inputs_are_recorded_with_digest_and_counts(self, directory):
        assert directory.inputs
        for i in directory.inputs:
            assert len(i.sha256) == 64 and i.records >= 0 and Path(i.path).is_file()

    def test_loading_twice_gives_the_same_directory(self, directory):
        again, _ = load_idp([FIXTURES / p for p in self.paths], self.idp_format)
        assert again.users == directory.users
        assert again.groups == directory.groups
        assert [dict(u.attributes) for u in again.users] == [dict(u.attributes) for u in directory.users]


class TestOktaContract(LoaderContract):
    paths = ("okta",)
    format = "okta-api"


class TestEntraCsvContract(LoaderContract):
    paths = ("entra_csv",)
    format = "entra-csv"


class TestEntraExcelCsvContract(LoaderContract):
    paths = ("entra_excel/users.csv",)
    format = "entra-csv"


class TestEntraGraphContract(LoaderContract):
    paths = ("entra_graph",)
    format = "entra-graph"


class TestGoogleCsvContract(LoaderContract):
    paths = ("google_csv",)
    format = "google-csv"


class TestGoogleApiContract(LoaderContract):
    paths = ("google_api",)
    format = "google-api"


class TestScimContract(LoaderContract):
    paths = ("scim/Users.json", "scim/Groups.json")
    format = "scim"


class TestScimMixedContract(LoaderContract):
    paths = ("scim_mixed",)
    format = "scim"


class TestGenericCsvContract(LoaderContract):
    paths = ("generic",)
    format = "generic-csv"


class TestOneLoginContract(LoaderContract):
    paths = ("onelogin",)
    format = "onelogin"
    idp_format = "onelogin"


def test_records_are_equal_whatever_file_and_location_they_were_read_from():
    """Equality and hash leave out ``raw`` / ``attributes`` and ``source`` (model.SourcedRecord)."""
    import msgspec

    from planner.model import IdpUser, SigmaMember, SourceRef, TeamMembership

    json_member = SigmaMember("m1", "Ann@x.com", "ann@x.com", "Ann", "Lee", "Viewer",
                              raw={"memberId": "m1", "isArchived": False}, source=SourceRef("members.json", "$[0]"))
    csv_member = SigmaMember(member_id="m1", email="Ann@x.com", email_key="ann@x.com", first_name="Ann",
                             last_name="Lee", member_type="Viewer", raw={"memberId": "m1", "isArchived": "false"},
                             source=SourceRef("members.csv", "line 2"))
    assert json_member == csv_member and hash(json_member) == hash(csv_member)
    assert json_member != msgspec.structs.replace(csv_member, member_type="Creator")
    user = IdpUser("u1", "ann@x.com", "ann@x.com", attributes={"department": "Sales"}, source=SourceRef("a.json"))
    assert user == msgspec.structs.replace(user, attributes={}, source=None)
    assert {user, msgspec.structs.replace(user, active=False)} == {user, IdpUser("u1", "ann@x.com", "ann@x.com",
                                                                                 active=False)}
    assert TeamMembership("t1", "m1", source=SourceRef("team_members.json", '$["t1"].entries')) == \
        TeamMembership("t1", "m1")
    assert TeamMembership("t1", "m1") != TeamMembership("t1", "m1", is_team_admin=True)
