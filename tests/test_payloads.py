"""The typed action payloads (planner.payloads): one class per kind, exact JSON, exact refusals."""

from __future__ import annotations

import msgspec
import pytest

from planner.payloads import (
    ACTION_TYPES,
    UNSET,
    Action,
    ActionKind,
    ArchiveAfter,
    CreateUserEvidence,
    CreateUserTarget,
    GroupTarget,
    LinkUserBefore,
    LinkUserEvidence,
    LinkUserTarget,
    LostCandidate,
    MemberRef,
    MembersDeactivate,
    ScimCreateUser,
    ScimLinkGroup,
    ScimLinkUser,
    ScimUserAfter,
    actions_by_kind,
    new_owner_id,
    target_addresses,
    target_member_id,
    MEMBER_TARGET_KINDS, OWNER_KINDS, TEAM_TARGET_KINDS,
    target_team_id,
)
from planner.planfile import canonical_json, validation_message

from .execute_support import act

LINK = ScimLinkUser(
    id="scim.link_user:m1", rule="linking.email", reason="same email", depends_on=(),
    target=LinkUserTarget(member_id="m1", email="Ann@x.example", user_name="ann@x.example", idp_id="00u1",
                          idp_user_name="ann.lee@x.example"),
    before=LinkUserBefore(member_type="View", user_kind="internal"),
    after=ScimUserAfter(user_name="ann@x.example", given_name="Ann", family_name="Lee", active=True),
    evidence=LinkUserEvidence(key="email", idp_field="email",
                              lost_candidates=[LostCandidate(key="email", field="email", value="a@x", idp_id="00u9")]),
)


def test_one_class_per_kind_tagged_by_its_value():
    assert set(ACTION_TYPES) == set(ActionKind)
    assert all(cls.kind is kind and cls.__struct_config__.tag == kind.value for kind, cls in ACTION_TYPES.items())


def test_an_action_encodes_sorted_with_its_json_names_unset_fields_left_out():
    assert canonical_json(LINK) == (
        b'{"after":{"active":true,"familyName":"Lee","givenName":"Ann","userName":"ann@x.example"},'
        b'"before":{"memberType":"View","userKind":"internal"},"depends_on":[],'
        b'"evidence":{"idpField":"email","key":"email","lostCandidates":[{"field":"email","idpId":"00u9",'
        b'"key":"email","value":"a@x"}]},"id":"scim.link_user:m1","kind":"scim.link_user",'
        b'"reason":"same email","rule":"linking.email","target":{"email":"Ann@x.example",'
        b'"idpId":"00u1","idpUserName":"ann.lee@x.example","memberId":"m1","userName":"ann@x.example"}}'
    )
    assert msgspec.json.decode(canonical_json(LINK), type=Action) == LINK


def test_none_is_written_as_null_where_the_type_allows_it():
    deactivate = act("d1", ActionKind.MEMBERS_DEACTIVATE, {"memberId": "m3", "email": "old@x"},
                     {"isArchived": True, "newOwnerId": None})
    assert b'"after":{"isArchived":true,"newOwnerId":null}' in canonical_json(deactivate)
    assert deactivate.after == ArchiveAfter(is_archived=True, new_owner_id=None)


@pytest.mark.parametrize("edit, message", [
    (lambda d: d["target"].update(foo=1), "$.target.foo: unknown field"),
    (lambda d: d["after"].pop("userName"), "$.after.userName: required"),
    (lambda d: d["after"].update(active="yes"), "$.after.active: expected bool, got str"),
    (lambda d: d["target"].update(email=None), "$.target.email: expected str, got null"),
    (lambda d: d.update(kind="scim.nope"), "$.kind: invalid value 'scim.nope'"),
    (lambda d: d.update(before=None), "$.before: expected object, got null"),
    (lambda d: d.pop("kind"), "$.kind: required"),
])
def test_decoding_refuses_a_payload_that_is_not_exact(edit, message):
    document = msgspec.to_builtins(LINK)
    edit(document)
    with pytest.raises(msgspec.ValidationError) as refused:
        msgspec.json.decode(msgspec.json.encode(document), type=Action)
    assert validation_message(refused.value) == message


def test_the_payload_of_another_kind_is_refused():
    document = msgspec.to_builtins(LINK) | {"kind": "scim.create_user"}
    with pytest.raises(msgspec.ValidationError) as refused:
        msgspec.convert(document, Action)
    assert validation_message(refused.value) == "$.target.memberId: unknown field"


def test_what_an_action_acts_on():
    create = ScimCreateUser(id="c", rule="r", reason="r", depends_on=(), before=None,
                            target=CreateUserTarget(idp_id="00u2", user_name="new@x", email="new.hire@x"),
                            after=ScimUserAfter(user_name="new@x", given_name="N", family_name="H", active=True),
                            evidence=CreateUserEvidence(idp_status=None))
    group = act("g", ActionKind.SCIM_LINK_GROUP, {"teamId": "t1", "name": "Finance"}, {"displayName": "Finance"})
    removal = act("r", ActionKind.TEAMS_REMOVE_MEMBER, {"teamId": "t1", "name": "Finance", "memberId": "m5",
                                                        "email": "eve@x"}, None)
    deactivate = act("d", ActionKind.MEMBERS_DEACTIVATE, {"memberId": "m3", "email": "old@x"},
                     {"isArchived": True, "newOwnerId": "m1"})
    assert isinstance(group, ScimLinkGroup) and isinstance(deactivate, MembersDeactivate)
    assert [target_member_id(a) for a in (LINK, create, group, removal, deactivate)] == ["m1", None, None, "m5", "m3"]
    assert [target_team_id(a) for a in (LINK, create, group, removal, deactivate)] == [None, None, "t1", "t1", None]
    assert [new_owner_id(a) for a in (LINK, removal, deactivate)] == [None, None, "m1"]
    assert target_addresses(LINK) == ["Ann@x.example", "ann@x.example", "ann.lee@x.example"]
    assert target_addresses(create) == ["new.hire@x", "new@x"]
    assert target_addresses(group) == [] and target_addresses(removal) == ["eve@x"]
    assert GroupTarget(team_id=None, name="New", group_id="g", group_display_name="New").team_id is None
    assert MemberRef(member_id="m", email="e") == msgspec.convert({"memberId": "m", "email": "e"}, MemberRef)
    assert LINK.after.email is UNSET and not LINK.after.email


def test_the_kinds_whose_target_names_a_member_a_team_or_an_owner():
    # what planning.acted_on reads per kind: the same answers as the per-action helpers above
    assert MEMBER_TARGET_KINDS == {ActionKind.SCIM_LINK_USER, ActionKind.SCIM_SET_ACCOUNT_TYPE,
                                   ActionKind.SCIM_DEACTIVATE_USER, ActionKind.TEAMS_REMOVE_MEMBER,
                                   ActionKind.MEMBERS_DEACTIVATE, ActionKind.MEMBERS_DISABLE_GUEST,
                                   ActionKind.MEMBERS_CONVERT_GUEST, ActionKind.MEMBERS_SET_EMAIL,
                                   ActionKind.MEMBERS_REACTIVATE}
    assert TEAM_TARGET_KINDS == {ActionKind.SCIM_CREATE_GROUP, ActionKind.SCIM_LINK_GROUP,
                                 ActionKind.SCIM_SET_GROUP_MEMBERS, ActionKind.TEAMS_REMOVE_MEMBER}
    assert OWNER_KINDS == {ActionKind.MEMBERS_DEACTIVATE, ActionKind.MEMBERS_DISABLE_GUEST}


def test_actions_grouped_by_kind_keep_their_order():
    # what the summary, the cross-family dependencies and planning.acted_on read: each kind's actions in order
    d1 = act("d1", ActionKind.MEMBERS_DEACTIVATE, {"memberId": "m1", "email": "a@x"}, {"isArchived": True, "newOwnerId": None})
    g = act("g", ActionKind.SCIM_LINK_GROUP, {"teamId": "t1", "name": "Finance"}, {"displayName": "Finance"})
    d2 = act("d2", ActionKind.MEMBERS_DEACTIVATE, {"memberId": "m2", "email": "b@x"}, {"isArchived": True, "newOwnerId": None})
    grouped = actions_by_kind([d2, LINK, g, d1])
    assert list(grouped) == [ActionKind.MEMBERS_DEACTIVATE, ActionKind.SCIM_LINK_USER, ActionKind.SCIM_LINK_GROUP]
    assert grouped[ActionKind.MEMBERS_DEACTIVATE] == [d2, d1]
    assert grouped[ActionKind.SCIM_LINK_USER] == [LINK] and grouped[ActionKind.SCIM_LINK_GROUP] == [g]
    assert actions_by_kind([]) == {}
