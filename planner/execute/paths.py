"""Request paths with ids in them: the ONE place that encodes an id into a URL path.

The REST client (:mod:`.rest_client`) sends, and ``--dry-run`` (:mod:`.apply`) prints, the
paths these functions build, so what dry-run shows is byte for byte what apply sends.

- REST v2 (docs/sigma-api.md §2, §3): an id is one path segment, percent-encoded with no safe
  character (``/``, ``?``, ``#``, ``%`` and spaces cannot change the target):
  ``member_path("../../v2/teams/x") == "/v2/members/..%2F..%2Fv2%2Fteams%2Fx"``.
- SCIM 2.0: scim2-client builds ``/Users/{id}`` itself; :func:`scim_resource_path` is that
  very function of scim2-client (RFC 7643 §3.1 puts no constraint on id characters, so the
  characters that would end the segment are percent-encoded).

The dot segments ``.`` and ``..`` are refused (:class:`PathSegmentError`): URL resolution
(RFC 3986 §5.2.4) would remove them, so ``/v2/members/..`` would be sent as ``/v2``.
"""

from __future__ import annotations

from urllib.parse import quote

from .errors import NotSendable

from scim2_client.client import _resource_url as _scim2_resource_url  # scim2-client >=0.13.2,<0.14


class PathSegmentError(NotSendable, ValueError):
    """An id that cannot be one URL path segment (``.`` or ``..``)."""


def segment(value: str) -> str:
    """``value`` as one percent-encoded path segment (RFC 3986 §3.3); :class:`PathSegmentError` for ``.``/``..``."""
    value = str(value)
    if value in (".", ".."):
        raise PathSegmentError(f"{value!r} cannot be used as an id in a URL path (RFC 3986 §5.2.4 removes it)")
    return quote(value, safe="")


def member_path(member_id: str) -> str:
    """``/v2/members/{memberId}`` (docs/sigma-api.md §2.2, §2.5)."""
    return f"/v2/members/{segment(member_id)}"


def member_teams_path(member_id: str) -> str:
    """``/v2/members/{memberId}/teams``: the teams of one member (docs/sigma-api.md §2.1, §3.3)."""
    return f"{member_path(member_id)}/teams"


def team_path(team_id: str) -> str:
    """``/v2/teams/{teamId}`` (docs/sigma-api.md §3.2)."""
    return f"/v2/teams/{segment(team_id)}"


def team_members_path(team_id: str) -> str:
    """``/v2/teams/{teamId}/members`` (docs/sigma-api.md §3.3)."""
    return f"{team_path(team_id)}/members"


def scim_resource_path(endpoint: str, resource_id: str) -> str:
    """``/Users/{id}`` or ``/Groups/{id}`` exactly as scim2-client builds it for its requests."""
    try:
        return _scim2_resource_url(endpoint, str(resource_id))
    except Exception as exc:  # scim2-client refuses the dot segments with its own exception
        raise PathSegmentError(f"{resource_id!r} cannot be used as a SCIM id in a URL path ({exc})") from None


__all__ = [
    "PathSegmentError",
    "member_path",
    "member_teams_path",
    "scim_resource_path",
    "segment",
    "team_members_path",
    "team_path",
]
