"""One pass over each checked field of a side of the exports, which every per-value check of the loaders reads
as its cheap screen (issue 10 item 5).

The value checks of :mod:`.identity_values` (spreadsheet damage, a value too long) and :mod:`.formulas` (a
formula start) judge a text value by its first character (:data:`~.values.DAMAGE_STARTS`: ``'``, ``=``,
``#``; a formula's ``=``, ``+``, ``-``, ``@`` after white space) or by its length. So what one pass keeps of a
field, the set of its values' first characters and the length of its longest value (:class:`FieldScreen`),
tells each check whether any value of the field may hold its finding; the exact per-value check runs only on a
hit, and over the records that hit (:func:`records_with`). The pass is C
(``map`` of ``attrgetter``, ``itemgetter`` and ``len``, a ``set``, ``max``), one per field: each check gathering
and joining the values itself cost ``check`` about 0.3 s of CPU at 100k members (docs/performance.md,
"## `check`").

:func:`idp_screens` and :func:`sigma_screens` screen a side once; the loaders (:func:`planner.sources.load_idp`,
:func:`planner.sources.load_sigma_export`) pass them to each check. A check given none screens the side itself
(a directory or export made in memory, a test).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import chain, compress, count
from operator import attrgetter, itemgetter
from typing import Any, Callable, Collection, Iterable, Sequence, TypeVar

from ..model import IdpDirectory, IdpUser, SigmaExport

_Record = TypeVar("_Record")

_first = itemgetter(0)


@dataclass(frozen=True, slots=True)
class FieldScreen:
    """What one pass over a field's values tells its checks (:func:`field_screen`).

    ``starts``: the first character of every non-empty value; ``longest``: the length of the longest value, in
    characters (0 for none). A check asks :meth:`may_start_with` or compares ``longest`` with its limit; on
    ``False`` no value of the field holds its finding.
    """

    starts: frozenset[str]
    longest: int

    def may_start_with(self, chars: Collection[str]) -> bool:
        """True when a value of the field starts with one of ``chars`` (single characters)."""
        return not self.starts.isdisjoint(chars)


def field_screen(values: Iterable[str | None]) -> FieldScreen:
    """The :class:`FieldScreen` of ``values`` (``None`` and empty values ignored), in C: one list, a ``set`` of
    first characters, one ``max`` of lengths."""
    present = list(filter(None, values))
    return FieldScreen(frozenset(map(_first, present)), max(map(len, present), default=0))


@dataclass(frozen=True, slots=True)
class IdpScreens:
    """The :class:`FieldScreen` of each checked field of an IdP export's users and groups (:func:`idp_screens`):
    the user ``id``, ``userName``, ``externalId``, ``name.givenName``, ``name.familyName``, ``displayName``, every
    address of ``emails`` (primary or not), and the groups' ``displayName``."""

    id: FieldScreen
    user_name: FieldScreen
    external_id: FieldScreen
    given_name: FieldScreen
    family_name: FieldScreen
    display_name: FieldScreen
    emails: FieldScreen
    group_name: FieldScreen


def idp_user_screens(users: Iterable[IdpUser], group_names: Iterable[str | None] = ()) -> IdpScreens:
    """The :class:`IdpScreens` of ``users`` (and of ``group_names``, the groups' ``displayName``)."""
    users = list(users)
    user = {name: field_screen(map(attrgetter(name), users))
            for name in ("id", "user_name", "external_id", "given_name", "family_name", "display_name")}
    return IdpScreens(**user, emails=field_screen(map(attrgetter("value"),
                                                      chain.from_iterable(map(attrgetter("emails"), users)))),
                      group_name=field_screen(group_names))


def idp_screens(directory: IdpDirectory) -> IdpScreens:
    """The :class:`IdpScreens` of ``directory``'s users and groups."""
    return idp_user_screens(directory.users, map(attrgetter("display_name"), directory.groups))


@dataclass(frozen=True, slots=True)
class SigmaScreens:
    """The :class:`FieldScreen` of each checked field of a Sigma export (:func:`sigma_screens`): the members'
    ``memberId``, ``email``, ``firstName``, ``lastName``, ``memberType``, and the teams' ``name``."""

    member_id: FieldScreen
    email: FieldScreen
    first_name: FieldScreen
    last_name: FieldScreen
    member_type: FieldScreen
    team_name: FieldScreen


def sigma_screens(export: SigmaExport) -> SigmaScreens:
    """The :class:`SigmaScreens` of ``export``'s members and teams."""
    members = export.members
    return SigmaScreens(**{name: field_screen(map(attrgetter(name), members))
                           for name in ("member_id", "email", "first_name", "last_name", "member_type")},
                        team_name=field_screen(map(attrgetter("name"), export.teams)))


def records_with(records: Sequence[_Record], tests: Iterable[tuple[str, Callable[[Any], bool]]]) -> list[_Record]:
    """The ``records``, in their order, of which an attribute passes its test: for each ``(name, test)`` of
    ``tests``, ``test(record.name)``. A check names here only the fields its screen hit, with its exact
    per-value test, so a hit costs one test per value of those fields and the check's per-record pass (its
    findings, in record order) runs over the records that hit, not over every record."""
    hit: set[int] = set()
    for name, test in tests:
        hit.update(compress(count(), map(test, map(attrgetter(name), records))))
    return [records[i] for i in sorted(hit)]
