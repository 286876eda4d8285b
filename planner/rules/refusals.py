"""Actions Sigma refused for good in an applied run are not planned again (tester10 finding 8), nor those
the run could not send as planned (a payload the models refuse, a fault of this tool: the journal keeps them
the same way, :func:`planner.execute.errors.failure_refusal`).

``apply`` ends a run Sigma refused actions of for good (a final 4xx,
:func:`planner.execute.retry.is_final_refusal`: ``403 forbidden: Member ... is provisioned by SCIM``) with
``Plan again``; its journal keeps Sigma's answer on the failed row (``refused``,
:mod:`planner.execute.journal`), and ``plan --applied PLAN`` reads it (:class:`~planner.model.AppliedRefusal`,
:mod:`planner.applied`). A re-plan that would plan the same action (the same action id: kind and target)
would send the same request and get the same answer: the endless loop of "Plan again" that leads back to
the identical refused plan. So it is not planned, nor is any action waiting on it (transitively), and one
blocking ``applied.refused_again`` item per refused action names the run, the action, Sigma's answer and
the ways out. Without ``--applied`` the plan cannot know of the refusal (``Plan again`` names the flag).
"""

from __future__ import annotations

from typing import Mapping

from ..model import Action, AppliedRefusal, ItemEvidence, ItemRef, ReviewItem, ScimUser
from ..payloads import target_member_id, target_team_id
from . import make_review, outside_policy, person_ref, yaml_snippet
from .unmatched import provisioned_entry, provisioned_entry_note

CODE = "applied.refused_again"


def provisioned_by_scim(action: Action, refusal: str) -> bool:
    """Whether ``refusal`` is Sigma's ``403`` to a REST write to a member (``members.*``): Sigma refuses REST
    edits of a member SCIM provisioned (docs/sigma-api.md §2, ``403 forbidden: Member ... is provisioned by
    SCIM``), so the ways out go through the IdP or SCIM."""
    return action.kind.value.startswith("members.") and refusal.startswith("403")


def refused_again_item(action: Action, refused: AppliedRefusal, waiting: list[str],
                       listed: ScimUser | None = None, admin: str | None = None) -> ReviewItem:
    """The blocking ``applied.refused_again`` item of ``action``, which ``refused`` says Sigma refused for good
    in an applied run, or the run could not send as planned (:attr:`~planner.model.AppliedRefusal.unsent`: a
    payload the models refuse, a fault of this tool; the same plan fails it the same way); ``waiting``: the ids of
    the actions not planned because they wait on it. ``listed``: the user Sigma's SCIM lists without an
    ``externalId`` for the action's member, if any: a refused ``members.deactivate`` of theirs offers the
    ``linking.scim_state_conflicts`` entry taking them as provisioned
    (:func:`planner.rules.unmatched.provisioned_entry`: ``scim.deactivate_user``, documents to the provisioning
    admin ``admin``) besides ``keep`` (tester12 #10: keep alone, 'do it in the IdP', which did not know them)."""
    member_id = target_member_id(action)
    email = getattr(action.target, "email", None)
    subject = (person_ref(member_id=member_id, email=email) if member_id
               else ItemRef(team_id=target_team_id(action), action=action.id))
    held = (f"; the {len(waiting)} action(s) waiting on it are not planned either: {', '.join(waiting)}"
            if waiting else "")
    if refused.unsent:
        message = (f"{action.id} could not be sent by {refused.words()}, before any answer of Sigma "
                   f"({refused.refusal}): this plan would plan it again and apply would fail it the same way, "
                   f"so it is not planned{held}")
        resolution = outside_policy("correct what the action was planned from (the exports or the policy), or "
                                    "report the fault of sigma-migrate, then fetch Sigma's export and plan again")
        return make_review(CODE, action.id, blocking=True, subject=subject, message=message,
                           rule="applied.refusals", evidence=ItemEvidence(action=action.id), resolution=resolution)
    message = (f"{action.id} was sent by {refused.words()} and Sigma refused it for good ({refused.refusal}): "
               f"this plan would send it again and Sigma would refuse it the same way, so it is not "
               f"planned{held}")
    if provisioned_by_scim(action, refused.refusal):
        who = email or member_id
        if action.kind.value == "members.deactivate" and who and listed is not None:
            message += (f"; {who} is listed by Sigma's SCIM without an externalId ({listed.user_name}), so SCIM made "
                        "them (an IdP that sends no externalId, or a test push) and Sigma takes changes to them "
                        "through SCIM only: linking.scim_state_conflicts takes them as provisioned, and the plan "
                        "deactivates them through SCIM (scim.deactivate_user), or keep them (unmatched.decisions)")
        else:
            message += (f"; {who} is provisioned by SCIM, so Sigma takes changes to them from the IdP only: "
                        "deactivate them in the IdP (its next push deactivates them through SCIM), deactivate them "
                        "through SCIM yourself (PATCH active: false on their SCIM user), or keep them "
                        "(unmatched.decisions)")
        if action.kind.value == "members.deactivate" and who and listed is not None:
            resolution = yaml_snippet(
                provisioned_entry(listed.user_name), {"unmatched": {"decisions": {who: "keep"}}},
                notes=[provisioned_entry_note(getattr(action.evidence, "new_owner_email", None) or None, admin),
                       "keep: nothing is planned for them"])
        elif action.kind.value == "members.deactivate" and who:
            resolution = yaml_snippet({"unmatched": {"decisions": {who: "keep"}}}, notes=[
                "keep: nothing is planned for them; to deactivate them, do it in the IdP or through SCIM, then "
                "fetch Sigma's export and plan again"])
        else:
            resolution = outside_policy("change them in the IdP (or through SCIM), then fetch Sigma's export and "
                                        "plan again")
    else:
        resolution = outside_policy("change what Sigma refused (in Sigma, the IdP or the exports), then fetch "
                                    "Sigma's export and plan again")
    return make_review(CODE, action.id, blocking=True, subject=subject, message=message,
                       rule="applied.refusals", evidence=ItemEvidence(action=action.id), resolution=resolution)


def without_refused(actions: list[Action], refusals: Mapping[str, AppliedRefusal],
                    listed: Mapping[str, ScimUser] | None = None, admin: str | None = None
                    ) -> tuple[list[Action], list[ReviewItem]]:
    """``actions`` (in their order) without those ``refusals`` (by action id, :attr:`planner.directory.Directory.
    applied_refusals`) says Sigma refused for good in an applied run, and without every action waiting on one
    (``depends_on``, transitively); one :func:`refused_again_item` per refused action planned again, sorted by
    id. Unchanged (and no item) when no planned action was refused. ``listed``: memberId -> the user Sigma's SCIM
    lists without an ``externalId`` for it; ``admin``: the provisioning admin's email (:func:`refused_again_item`)."""
    refused = [a for a in actions if a.id in refusals]
    if not refused:
        return actions, []
    waiting_on: dict[str, list[str]] = {}
    dropped = {a.id for a in refused}
    root = {a.id: a.id for a in refused}  # a dropped action -> the refused action it waits on
    while True:
        newly = [a for a in actions if a.id not in dropped and dropped.intersection(a.depends_on)]
        if not newly:
            break
        for a in newly:
            first = root[next(d for d in sorted(a.depends_on) if d in dropped)]
            root[a.id] = first
            waiting_on.setdefault(first, []).append(a.id)
            dropped.add(a.id)
    items = [refused_again_item(a, refusals[a.id], sorted(waiting_on.get(a.id, [])),
                                (listed or {}).get(target_member_id(a) or ""), admin) for a in refused]
    return [a for a in actions if a.id not in dropped], sorted(items, key=lambda r: r.id)


__all__ = ["CODE", "provisioned_by_scim", "refused_again_item", "without_refused"]
