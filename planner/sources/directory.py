"""Assembling an :class:`~planner.model.IdpDirectory` the same way for every IdP format.

Every IdP loader feeds a :class:`DirectoryBuilder`: users, groups, and group
members (by id, typed or not). :meth:`DirectoryBuilder.build` then enforces the
loader contract (tests/test_sources_contract.py):

- user and group ids are unique: a repeat is a ``duplicate-user-id`` /
  ``duplicate-group-id`` error (issue 14 B.4): the same record twice (overlapping
  pages) or two records whose ids a spreadsheet made equal cannot be told from
  two people, so ``plan`` stops; the first record is kept for ``check``;
- a members answer or file naming a group the groups file lacks (when the export has one) shows
  that file incomplete: one ``unknown-group`` warning per members file, an incomplete-input code
  (:meth:`DirectoryBuilder.group_for_key`, tester6 finding 26);
- every ``member_user_ids`` / ``member_group_ids`` entry is the id of a user /
  group of the directory: untyped members are resolved against both. A member
  that resolves to nothing shows the users (or groups) file incomplete (a cut
  listing, an export filtered differently from the group files): it is held
  like :meth:`DirectoryBuilder.hold` and reported in one ``member-not-in-users``
  warning per members file, at the users file, an incomplete-input code
  (issue 10 finding 1). Only a member the loader marked as outside the export
  (:meth:`DirectoryBuilder.outside`: a Google member of another domain,
  docs/formats.md §4c) is no member but one of the group's
  :attr:`~planner.model.IdpGroup.outside_members` (its email), with an
  ``unknown-group-member`` warning.
  A dangling all-digit id that equals a user's id but for leading zeros
  (``00417`` / ``417``) is an ``excel-mangled-id`` error instead (a spreadsheet
  dropped the zeros in one of the files);
- members keep their first-seen order, without repeats;
- a user known only from a group member record (not in the users file) is
  *held* (:meth:`DirectoryBuilder.hold`): its state is unknown, so it is no
  user of the directory and no member of any group; the loader reports it with
  one ``member-not-in-users`` warning per file, an incomplete-input code
  (:data:`INCOMPLETE_CODES`): the users file is demonstrably incomplete;
- when the export holds group membership answers (one per group: Okta, Graph,
  Google ``group_members``, Entra's per-group CSVs, docs/formats.md §2c, §3b, §4),
  every group of the groups file must have one: the groups without any are
  named in one ``missing-group-members`` warning at the groups file (an empty
  answer, ``[]`` or a header-only CSV, is a group with no members);
- one members answer per group: a second one (another file or place) listing other members is a
  ``group-answered-twice`` warning, an incomplete-input code (:meth:`DirectoryBuilder.answers_of_one_group`,
  tester20 finding 5);
- a members answer whose records do not agree with its group's own count of its members
  (:class:`MemberCount`: Okta ``usersCount``, Google ``directMembersCount``; the rule of ``fetch-idp``
  too, :func:`planner.listing.member_count_agrees`) is an ``incomplete-pages`` warning at that answer,
  as a Graph answer that is not its ``@odata.count`` (:func:`planner.sources.envelopes.report_count_gap`);
  a group without the field is not checked.

:func:`make_emails` builds the ``emails`` tuple (primary first, one per key);
:func:`read_by_role` runs a loader's file readers role by role.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from itertools import chain
from operator import attrgetter
from pathlib import Path
from types import MappingProxyType
from typing import Any, Callable, Iterable, Mapping, Sequence

from ..listing import member_count_agrees
from ..model import (
    Email, GroupAnswerDoubt, GroupNameDoubt, IdpDirectory, IdpGroup, IdpUser, InputFile, SourceRef, StaleMember,
    TransitiveDoubt,
    outside_words,
)
from .values import TEXT_MARKER, fast_email_key, ids_hold_white_space, report_id_white_space
from .envelopes import announced_count, report_count_gap
from .files import SKIPPED_CODES, Findings, guarded

_MAX_NAMED = 5

FILE_NAME_UNSAFE = frozenset('/\\:*?"<>|')
"""The characters a file name cannot hold on Windows (and ``/`` anywhere), which browsers write as ``_`` in a
download's name (:meth:`DirectoryBuilder.groups_file_named`)."""

FILE_NAME_SAFE = str.maketrans({c: "_" for c in FILE_NAME_UNSAFE})


def group_name_key(name: str) -> str:
    """How a members file's name or a members map's key is compared with a group's display name (or email):
    Unicode NFC, trimmed, case-folded (:meth:`DirectoryBuilder.group_key`). A Mac (HFS+, a zip made there) writes a
    file name in NFD, ``Ope\u0301rations.csv``, for the group ``Opérations`` (NFC in groups.csv): the same letters,
    so the same group, as team names are compared (docs/formats.md §3b; was: the group 'Opérations' both without
    a members file and listed twice, 36 blocking ``inputs.truncated`` whose remedy, export again, could not fix it:
    tester21 finding 4)."""
    return (name if name.isascii() else unicodedata.normalize("NFC", name)).strip().casefold()

INCOMPLETE_CODES: Mapping[str, str] = MappingProxyType({
    "incomplete-pages": "cut short (a listing saved without all its pages)",
    "member-not-in-users": "whose users file lacks some group members",
    "member-details-withheld": "whose users file lacks group members the IdP withheld",
    "missing-group-members": "without some groups' members",
    "shared-group-name": "whose members file is named by a display name several groups share",
    "incomplete-nested-group": "without some nested groups' members",
    "group-answered-twice": "with two different members answers of one group (a copy of unknown age beside the other)",
    "users-disagree": "whose users file and group members disagree (saved at different times)",
    "member-not-in-members": "whose members file lacks some team members or SCIM users",
    "team-not-in-teams": "whose teams file lacks some teams",
    "missing-team-members": "without some teams' members",
    "unknown-member-type": "whose account types file lacks a member's type",
    **SKIPPED_CODES,
})
"""Finding codes that mark an IdP or Sigma input as incomplete: a saved listing that names a next page
or ends on a full page (``incomplete-pages``), group members the users file lacks
(``member-not-in-users``, ``member-details-withheld``), groups without their membership answer
(``missing-group-members``, ``incomplete-nested-group``), a group with two members answers that differ
(``group-answered-twice``: one is a copy of unknown age, :meth:`DirectoryBuilder.answers_of_one_group`), a group answer that embeds a user whose status or
login differs from the users file's (``users-disagree``: the files were saved at different times), and on
the Sigma side team members the members file lacks (``member-not-in-members``) and teams of the team members
file the teams file lacks (``team-not-in-teams``, :func:`planner.sources.validation.drop_dangling_memberships`),
and every record a loader left out or read only in part (:meth:`~.files.Findings.skipped`,
:data:`~.files.SKIPPED_CODES`: ``missing-id``, ``unknown-group``, ``unreadable-member-type``,
``whole-domain-member``).
The planner makes every action such a gap could
change a blocking ``inputs.truncated`` item (:mod:`planner.rules.inputs`), whose message names the cause: the
value of its code here, what follows "rests on an export"."""


def _second_download_of(key: str) -> str | None:
    """The group name a members file's group key is a browser's second download of: ``'Sigma-Build'`` for
    ``'Sigma-Build (1)'`` (the name plus `` (n)``), else ``None`` (tester6 finding 16)."""
    stem, _, counter = key.rpartition(" (")
    return stem if stem and counter[:-1].isdigit() and counter.endswith(")") else None


def _first(names: Sequence[str]) -> str:
    """``names`` joined, the first :data:`_MAX_NAMED` only, with the count when some are left out."""
    return ", ".join(names[:_MAX_NAMED]) + (f", ... ({len(names)} in all)" if len(names) > _MAX_NAMED else "")


def make_emails(candidates: Iterable[tuple[Any, bool, str | None]]) -> tuple[Email, ...]:
    """``emails`` from ``(value, primary, type)`` candidates: blanks skipped, one per key, primary first.

    The first candidate marked primary is the primary (also when its address
    repeats an earlier one); when none is, the first address is. Values keep
    their spelling as the loader read them (:data:`~.values.CSV_PADDING`: a CSV cell's padding trimmed, any
    other white space around an address kept, never trimmed here); keys are :func:`~planner.model.email_key`.
    """
    found: list[tuple[str, str, str | None]] = []
    keys: set[str] = set()
    primary_key = None
    for value, primary, kind in candidates:
        if not value or value.__class__ is not str:
            continue
        key = fast_email_key(value)
        if not key:
            continue
        if primary and primary_key is None:
            primary_key = key
        if key not in keys:
            keys.add(key)
            found.append((value, key, kind))
    if not found:
        return ()
    if len(found) == 1:
        value, key, kind = found[0]
        return (Email(value, key, True, kind),)
    if primary_key is None:
        primary_key = found[0][1]
    first = [Email(v, k, True, t) for v, k, t in found if k == primary_key]
    return (*first, *(Email(v, k, False, t) for v, k, t in found if k != primary_key))


@dataclass(frozen=True)
class MemberCount:
    """A group's own count of its members, in its record of the groups file: ``value``, the ``field`` it
    is read from (Okta ``_embedded.stats.usersCount`` of ``GET /api/v1/groups?expand=stats``, Google
    ``directMembersCount``: docs/formats.md §2b, §4c) and where that record is (``source``)."""

    value: int
    field: str
    source: SourceRef


def member_count(value: Any, field: str, source: SourceRef, what: str, findings: Findings,
                 *, digits_ok: bool = False) -> MemberCount | None:
    """The :class:`MemberCount` of a group record whose ``field`` holds ``value`` (at ``source``): ``None``
    when the field is absent (``value`` ``None``: nothing to check), or unreadable (an
    ``unexpected-json-shape`` error, :func:`~.envelopes.announced_count`; ``digits_ok`` for Google's
    int64-as-string)."""
    if value is None:
        return None
    where = f"{source.location}.{field}" if source.location else field
    count = announced_count(value, Path(source.file), where, field.rpartition(".")[2], what, findings,
                            digits_ok=digits_ok)
    return None if count is None else MemberCount(count, field, source)


@dataclass(frozen=True)
class _Listed:
    """The members answers of one group: ``records`` saved, ``child_groups`` of them groups and
    ``other_members`` neither users nor groups, the first answer's ``source``."""

    records: int
    child_groups: int
    other_members: int
    source: SourceRef


@dataclass
class _Group:
    id: str
    display_name: str
    external_id: str | None
    attributes: Mapping[str, Any]
    source: SourceRef | None
    users: dict[str, None] = field(default_factory=dict)
    groups: dict[str, None] = field(default_factory=dict)
    untyped: dict[str, None] = field(default_factory=dict)
    member_count: MemberCount | None = None


class DirectoryBuilder:
    """Collects one IdP export's users, groups and memberships; see the module docstring."""

    def __init__(self, format: str, findings: Findings) -> None:
        self.format = format
        self.findings = findings
        self.users: dict[str, IdpUser] = {}
        self._groups: dict[str, _Group] = {}
        self._by_name: dict[str, list[str]] | None = None
        self._by_file_name: dict[str, list[str]] | None = None
        self._unpadded: dict[str, str] | None = None
        self.inputs: list[InputFile] = []
        self.held: dict[str, None] = {}
        self.group_name_doubts: list[GroupNameDoubt] = []
        self.transitive_doubts: list[TransitiveDoubt] = []
        self._outside: dict[str, str] = {}
        self._answered: set[str] = set()
        self._answer_file: dict[str, str] = {}
        self._answer_at: dict[str, SourceRef] = {}  # each answered group's first answer, in answer order
        self._answers: dict[str, dict[tuple[str, str], str | None]] = {}  # group -> its answers -> their listing
        self._reading: dict[str, tuple[str, str]] = {}  # group answered more than once -> the answer being read
        self._per_answer: dict[str, dict[tuple[str, str], dict[str, None]]] = {}  # such a group -> answer -> members
        self.pulled = False
        """A ``fetch-idp`` manifest vouches for the export (the loader sets it): its answers were pulled, not saved
        by hand, so two groups listing the same members are two groups with the same members."""
        self._stale: dict[str, list[StaleMember]] = {}  # group id -> its answer's records older than the users file
        self._listed: dict[str, _Listed] = {}
        self._disagree: dict[str, list[str]] = {}
        self._unlisted: dict[str, list[SourceRef]] = {}  # group key -> where members answers name it
        self._nested_unlisted: dict[str, SourceRef] = {}  # member groups no groups file lists -> where first named
        self._shared_name: set[str] = set()  # groups whose members answer a display name they share named
        self._reported: set[tuple[str, str, str]] = set()  # (code, file, location) said once (:meth:`_first_time`)

    # ------------------------------------------------------------------ users

    def add_user(self, user: IdpUser) -> bool:
        """Add a user; a repeated id is a ``duplicate-user-id`` error (the first record is kept). True when added."""
        first = self.users.get(user.id)
        if first is None:
            self.users[user.id] = user
            return True
        src = user.source or SourceRef("")
        first_file = first.source.file if first.source else ""
        record = "the same record" if user == first and user.attributes == first.attributes else "a different record"
        restored = _restored(first, user) if first_file != src.file else None
        if restored is not None:
            self.findings.error(
                "duplicate-user-id", src.file, src.location, "id",
                f"user id {user.id} appears again (first at {first.source}), in another file: {restored}; one id "
                "must name one user",
            )
            return False
        if first_file == src.file:
            same = f"{record} again (overlapping pages?)" if record == "the same record" else record
        else:
            same = (f"{record}, in another file ({Path(first_file).name} and {Path(src.file).name}: two copies of "
                    "one listing, e.g. a backup? keep one)")
        self.findings.error(
            "duplicate-user-id", src.file, src.location, "id",
            f"user id {user.id} appears again (first at {first.source}), {same}; one id must name one "
            "user: fix or re-export the file",
        )
        return False

    def hold(self, user_id: str) -> None:
        """Hold ``user_id``: a group member the users file lacks (its state is unknown).

        A held id is no user and no group member of the built directory, so no plan action names it;
        the caller reports it (``member-not-in-users``), which blocks what the gap could change.
        """
        self.held[user_id] = None

    def disagree(self, user: IdpUser, field: str, listed: Any, file: Path | str, location: str) -> None:
        """Record that a group members answer at ``file``/``location`` embeds ``user`` with ``field``
        (``status``, ``login``, ``accountEnabled``, ``userPrincipalName``, ``email``: Google's primary) ``listed``,
        unlike the users file.

        Two files of one export that disagree about one user were saved at different times: either may be
        the stale one, and so may any membership. :meth:`build` reports them in one ``users-disagree``
        warning per members file (an incomplete-input code, :data:`INCOMPLETE_CODES`)."""
        src = user.source or SourceRef("")
        mine = {"status": user.status, "login": user.user_name, "userPrincipalName": user.user_name, "email": user.user_name,
                "accountEnabled": user.active}.get(field)
        self._disagree.setdefault(str(file), []).append(
            f"{user.id}: {field} {mine!r} in {Path(src.file).name} ({src.location}), {listed!r} in "
            f"{Path(file).name} ({location})")

    def older(self, group_id: str, user: IdpUser, listed: str) -> None:
        """Record that group ``group_id``'s members answer embeds ``user`` with ``lastUpdated`` ``listed`` (ISO 8601
        UTC to the second), earlier than the users file's :attr:`~planner.model.IdpUser.last_updated`: the answer
        was saved before the user changed (tester19 finding 4); :meth:`stale_answers` reports it."""
        self._stale.setdefault(group_id, []).append(StaleMember(user.id, listed, user.last_updated or ""))

    def _report_disagreements(self) -> None:
        for file, cases in self._disagree.items():
            self.findings.warning(
                "users-disagree", file, "", "",
                f"{len({c.split(':', 1)[0] for c in cases})} user(s) listed in {Path(file).name} differ from the "
                f"users file in {len(cases)} record(s) ("
                + "; ".join(cases[:_MAX_NAMED]) + (f"; ... ({len(cases)} in all)" if len(cases) > _MAX_NAMED else "")
                + "): "
                "the two files were saved at different times, so either may be stale, and so may any membership; "
                "export the users and the group members again, together",
            )

    def outside(self, member_id: str, email: str) -> None:
        """Mark ``member_id`` (address ``email``) as a member the format documents outside the export, whom the IdP
        never provisions (a Google ``USER`` of another domain or ``EXTERNAL`` member, docs/formats.md §4c; an Entra
        mail contact, §3b and §3e): left unresolved it is one of its groups'
        :attr:`~planner.model.IdpGroup.outside_members` and an ``unknown-group-member`` warning
        (:func:`~planner.model.outside_words`), not a sign of an incomplete users file."""
        self._outside[member_id] = email

    # ------------------------------------------------------------------ groups

    def add_group(
        self,
        group_id: str,
        display_name: str,
        *,
        source: SourceRef | None,
        external_id: str | None = None,
        attributes: Mapping[str, Any] | None = None,
        member_count: MemberCount | None = None,
    ) -> bool:
        """Add a group; a repeated id is a ``duplicate-group-id`` error (the first is kept). True when added.
        ``member_count``: the group's own count of its members, checked against its members answer
        (:meth:`count_listed`) when the directory is built."""
        if group_id in self._groups:
            src = source or SourceRef("")
            self.findings.error(
                "duplicate-group-id", src.file, src.location, "id",
                f"group id {group_id} appears again (first at {self._groups[group_id].source}); one id "
                "must name one group: fix or re-export the file",
            )
            return False
        self._groups[group_id] = _Group(group_id, display_name, external_id, attributes or {}, source,
                                        member_count=member_count)
        self._by_name = None
        self._by_file_name = None
        return True

    def has_group(self, group_id: str) -> bool:
        return group_id in self._groups

    def nested_group(self, child_id: str, name: str, source: SourceRef, *, by_name: bool = True) -> str:
        """The id of the group a members answer at ``source`` lists as a member (a nested group: ``child_id``, and
        ``name``, its displayName or address, or ``""``): a group of the export by id, else by ``name`` when
        ``by_name`` (:meth:`group_key`; Graph answers name groups by id only). Else the group is made here, with no
        members, and recorded: unless its own members answer is read too (in any order), :meth:`build` reports it
        ``incomplete-nested-group``, so the plan holds what it feeds (``inputs.truncated``): its members are
        unknown, not none. One rule for every format that nests groups (Google ``type: GROUP``, Entra's
        ``Member type`` Group and Graph's ``#microsoft.graph.group``; tester20 finding 3: Google made such a
        group empty in silence, and the people it held in an account-type group lost their type)."""
        child = child_id if child_id in self._groups else (self.group_key(name or child_id) if by_name else None)
        if child is None:
            child = child_id or name
            self.add_group(child, name or child, source=source)
            self._nested_unlisted.setdefault(child, source)
        return child

    def group_key(self, key: str) -> str | None:
        """The id of the group that ``key`` names: its id, else its display name or email (:func:`group_name_key`:
        NFC, trimmed, case-insensitive; unique)."""
        if key in self._groups:
            return key
        if self._by_name is None:
            index: dict[str, list[str]] = {}
            for g in self._groups.values():
                index.setdefault(group_name_key(g.display_name), []).append(g.id)
                mail = g.attributes.get("email") or g.attributes.get("mail")
                if isinstance(mail, str) and mail:
                    index.setdefault(fast_email_key(mail), []).append(g.id)
            self._by_name = index
        ids = self._by_name.get(group_name_key(key), [])
        return ids[0] if len(set(ids)) == 1 else None

    def groups_named(self, name: str) -> tuple[str, ...]:
        """The ids of the groups added so far whose display name is ``name`` (:meth:`group_key`'s comparison,
        :func:`group_name_key`), in the order added."""
        self.group_key(name)  # builds the index
        return tuple(dict.fromkeys(self._by_name.get(group_name_key(name), [])))

    def groups_file_named(self, stem: str) -> tuple[str, ...]:
        """The ids of the groups added so far whose display name holds a character no file name can
        (:data:`FILE_NAME_UNSAFE`) and reads as ``stem`` with each such character written ``_`` (trimmed,
        case-insensitive), in the order added: Entra's "Download members" names its file by the group's display
        name, and the browser writes ``Finance/EMEA`` as ``Finance_EMEA.csv`` (tester12 finding 7c). Only asked
        for a key no group's id or display name is (:meth:`group_for_key`)."""
        if self._by_file_name is None:
            index: dict[str, list[str]] = {}
            for g in self._groups.values():
                if FILE_NAME_UNSAFE.intersection(g.display_name):
                    index.setdefault(group_name_key(g.display_name.translate(FILE_NAME_SAFE)), []).append(g.id)
            self._by_file_name = index
        return tuple(self._by_file_name.get(group_name_key(stem), ()))

    def _first_time(self, code: str, source: SourceRef) -> bool:
        """Whether finding ``code`` of ``source`` is said now for the first time (then it is noted): a loader may
        ask for a key's group again (Entra: every file's group is made before the files are read)."""
        seen = (code, source.file, source.location)
        if seen in self._reported:
            return False
        self._reported.add(seen)
        return True

    def _report_file_name(self, display_name: str, source: SourceRef) -> None:
        """One ``group-file-name`` info: the members file at ``source`` is read as group ``display_name``'s
        (:meth:`groups_file_named`)."""
        if self._first_time("group-file-name", source):
            unsafe = " or ".join(repr(c) for c in sorted(FILE_NAME_UNSAFE.intersection(display_name)))
            self.findings.info("group-file-name", source.file, source.location, "",
                               f"read as the members of group {display_name!r}: a file name cannot hold {unsafe}, "
                               "which the download wrote as '_'")

    def _names_of(self, ids: tuple[str, ...], key: str) -> str:
        """``(ids a, b)``, or ``(as a file name: 'A/B' id a, 'A:B' id b)`` when the groups' display names are not
        ``key`` as written but read as it in a file name (:meth:`groups_file_named`)."""
        names = [self._groups[i].display_name for i in ids]
        if all(group_name_key(n) == group_name_key(key) for n in names):
            return f"(ids {', '.join(ids)})"
        return f"(as a file name: {', '.join(f'{n!r} id {i}' for n, i in zip(names, ids))})"

    def _report_shared_name(self, key: str, ids: tuple[str, ...], source: SourceRef) -> None:
        """One ``shared-group-name`` warning (the input is incomplete: :data:`INCOMPLETE_CODES`) for a members
        file or answer named ``key`` at ``source``, a display name the groups ``ids`` share (Entra allows it,
        tester10 #6): which group's members it lists cannot be told, so theirs stay unknown."""
        if not self._first_time("shared-group-name", source):
            return
        self._shared_name.update(ids)
        groups_file = self.groups_file()
        listed = f" of {Path(groups_file).name}" if groups_file else ""
        self.findings.warning(
            "shared-group-name", source.file, source.location, "",
            f"{len(ids)} groups{listed} share the display name {key!r} {self._names_of(ids, key)}, which names these "
            "members: a members file named by display name (Entra's Download members) cannot say which of these "
            "groups it belongs to, so their members are unknown; rename one group in the IdP and download its "
            "members again, or use the Graph export (`sigma-migrate fetch-idp entra`)")

    def group_for_key(self, key: str, source: SourceRef, *, listing: str | None = None) -> tuple[str | None, bool]:
        """The group a members answer or members file is named by: ``(group id, added)``.

        ``key`` is a members map's key or a per-group file's stem: a group id,
        display name or email (:meth:`group_key`). When it names no group, a
        group with id and ``displayName`` ``key`` is added at ``source`` and
        ``added`` is true (the export holds members of a group its groups file
        lacks, or has no groups file): with a groups file, :meth:`build` reports it
        (:meth:`_report_unlisted_groups`). ``(None, False)`` when ``key`` is a display name several groups share:
        the answer is no group's (:meth:`_report_shared_name`); the caller reads none of it.

        The caller reads the answer's members right after (:meth:`add_members`), so they are known per answer:
        ``listing`` is the endpoint the answer is of (``"transitiveMembers"`` for Graph's, ``None``: unknown yet,
        ``"members"`` as it is read), and a group answered again from another file or place is judged by
        :meth:`answers_of_one_group` when the directory is built. ``key`` is read in Unicode NFC (a Mac names a
        download ``Ope\u0301rations.csv``, NFD), so a group it adds is named as the IdP names it
        (:func:`group_name_key`, tester21 finding 4).
        """
        key = key if key.isascii() else unicodedata.normalize("NFC", key)
        group_id = self.group_key(key)
        shared = self.groups_named(key) if group_id is None and key not in self._groups else ()
        if group_id is None and not shared:
            shared = self.groups_file_named(key)
            if len(shared) == 1:
                group_id = shared[0]
                self._report_file_name(self._groups[group_id].display_name, source)
        if len(shared) > 1:
            self._report_shared_name(key, shared, source)
            return None, False
        if group_id is not None:
            self._answered.add(group_id)
            self._begin_answer(group_id, source, listing)
            self._answer_file.setdefault(group_id, source.file)
            self.answered_at(group_id, source)
            return group_id, False
        self.add_group(key, key, source=source)
        self._unlisted.setdefault(key, []).append(source)
        self._answered.add(key)
        self._begin_answer(key, source, listing)
        self._answer_file.setdefault(key, source.file)
        self.answered_at(key, source)
        return key, True

    def _begin_answer(self, group_id: str, source: SourceRef, listing: str | None) -> None:
        """Note that group ``group_id``'s members answer at ``source`` is read next (:meth:`group_for_key`). The
        same answer asked for again (same file, same place: ``""`` and ``$`` are the whole file; Entra makes every
        file's group before reading it) is the one answer; any other is a second answer of the group, whose
        members from then on are kept per answer too (:attr:`_per_answer`) for :meth:`answers_of_one_group`."""
        where = (source.file, "" if source.location in ("", "$") else source.location)
        answers = self._answers.setdefault(group_id, {})
        if where in answers:
            if listing is not None:
                answers[where] = listing
        else:
            answers[where] = listing
            if len(answers) == 2:  # the first answer's members are those read so far
                g = self._groups[group_id]
                self._per_answer[group_id] = {next(iter(answers)): dict.fromkeys((*g.users, *g.groups, *g.untyped))}
        if group_id in self._per_answer:
            self._reading[group_id] = where
            self._per_answer[group_id].setdefault(where, {})

    def _note_members(self, group_id: str, member_ids: Iterable[str]) -> None:
        """Record ``member_ids`` as members of the answer of ``group_id`` being read (a group answered twice)."""
        self._per_answer[group_id][self._reading[group_id]].update(dict.fromkeys(member_ids))

    def answers_of_one_group(self) -> None:
        """One ``group-answered-twice`` warning (an incomplete-input code, :data:`INCOMPLETE_CODES`: the plan holds
        every action the export's gaps could change, ``inputs.truncated``) per group whose members answers of one
        listing, read from two files or two places of one file, list different members, at the later one, naming
        both (file and JSON path), their counts and a member only one lists. tester20 finding 5: an older save beside
        the newer (``group_members.json`` and ``group_members/<id>.json``; Entra's file by Object ID beside one by
        display name; Google's by id and by email) was merged in silence, and a person removed from the group since
        kept its account type and team. Which answer is current cannot be told from the files, so the group's
        members are unknown, like a group without an answer (``missing-group-members``, also a warning): the rest
        of the export is read and planned, and what the gap could change is blocking; an error would stop
        ``check``/``plan`` from showing the rest for a stale file the admin deletes. Not a doubt: the same answer
        asked for again, answers with the same members (a byte copy: either is the group's), and a Graph
        ``/members`` answer beside the group's ``/transitiveMembers`` one (two listings of one group,
        :func:`planner.sources.entra.settle_transitive_answers`). The group keeps the members of all its answers
        (the plan holds what they decide)."""
        for group_id, per_answer in self._per_answer.items():
            listings = self._answers[group_id]
            by_listing: dict[str, list[tuple[str, str]]] = {}
            for where in per_answer:
                by_listing.setdefault(listings.get(where) or "members", []).append(where)
            for answers in by_listing.values():
                first = answers[0]
                other = next((a for a in answers[1:] if per_answer[a].keys() != per_answer[first].keys()), None)
                if other is None:
                    continue
                one, two = per_answer[first], per_answer[other]
                only = next((m for m in (*one, *two) if (m in one) != (m in two)), "")
                side = Path(first[0]).name if only in one else Path(other[0]).name
                name = self._groups[group_id].display_name
                self.findings.warning(
                    "group-answered-twice", other[0], other[1], "",
                    f"group {name!r} has two members answers that differ: {_where(SourceRef(*first))} "
                    f"({len(one)} members) and {_where(SourceRef(*other))} ({len(two)} members; e.g. {only} only "
                    f"in {side}): one is a copy of unknown age (an older save beside the newer one), so the group's "
                    "members are unknown; keep the current answer only (or save the group's members again) and "
                    "plan again")

    def answered_at(self, group_id: str, source: SourceRef) -> None:
        """Record that group ``group_id``'s members were saved at ``source`` (its first answer is kept), so that
        :meth:`identical_answers` compares them with the other groups': a members answer or file read through
        :meth:`group_for_key`, a SCIM Group's ``members`` attribute of an IdP export (RFC 7643 §4.2). Any of them
        may hold another group's members pasted over its own (tester18 finding 1; docs/formats.md §0.9 "Copied
        answers"). A generic CSV's ``groups`` cells are not recorded: each row names its own user's groups, so
        there is no per-group answer to copy, and two groups every row names together are equal groups (tester20
        finding 1: the check held 4 actions of an export that cannot hold a copy)."""
        self._answer_at.setdefault(group_id, source)

    def identical_answers(self) -> list[GroupAnswerDoubt]:
        """The groups whose members answers (recorded by :meth:`answered_at`) list the same two or more
        members in the same order (users, then groups, then untyped ids, as answered), each set once (an
        ``"identical"`` :class:`~planner.model.GroupAnswerDoubt`) with an
        ``identical-members`` warning at the later answer naming both groups and files (tester18 finding 1: one
        answer saved twice under another group's id or name); ``[]`` when :attr:`pulled`.
        Candidates are keyed by count and first and last member, compared whole only then."""
        if self.pulled:
            return []
        by_shape: dict[tuple[int, str, str], list[list[str]]] = {}
        doubts = []
        for group_id in self._answer_at:
            g = self._groups[group_id]
            members = (*g.users, *g.groups, *g.untyped)
            if len(members) < 2:
                continue
            sets = by_shape.setdefault((len(members), members[0], members[-1]), [])
            same = next((ids for ids in sets if self._members_of(ids[0]) == members), None)
            if same is None:
                sets.append([group_id])
            else:
                same.append(group_id)
        for sets in by_shape.values():
            for ids in sets:
                if len(ids) > 1:
                    doubts.append(self._identical(ids))
        return sorted(doubts, key=lambda d: list(self._answer_at).index(d.group_ids[-1]))

    def _members_of(self, group_id: str) -> tuple[str, ...]:
        g = self._groups[group_id]
        return (*g.users, *g.groups, *g.untyped)

    def _identical(self, group_ids: list[str]) -> GroupAnswerDoubt:
        """The ``"identical"`` :class:`~planner.model.GroupAnswerDoubt` of ``group_ids`` (answer order), with its warning."""
        answers = tuple(self._answer_at[g] for g in group_ids)
        count = len(self._members_of(group_ids[0]))
        named = [f"{self._groups[g].display_name!r} ({_where(a)})" for g, a in zip(group_ids, answers)]
        last = answers[-1]
        self.findings.warning(
            "identical-members", last.file, last.location, "",
            f"the members answers of groups {', '.join(named[:-1])} and {named[-1]} list the same {count} members "
            "in the same order: one answer saved twice, under another group's id or name? The plan holds the team, "
            "scope and account-type changes these groups feed (inputs.identical_members) until each group's members "
            "are saved again, or preflight.identical_groups_confirmed names the groups (they really are equal)")
        return GroupAnswerDoubt("identical", tuple(group_ids), answers, count)

    def stale_answers(self) -> list[GroupAnswerDoubt]:
        """One ``"stale"`` :class:`~planner.model.GroupAnswerDoubt` per group whose members answer embeds a user
        record older than the users file's (:meth:`older`), in answer order, each with a ``stale-members`` warning at
        the answer naming the group, the file and its first such user (id, login, both ``lastUpdated``): the
        answer was saved before that user changed, so a move between groups since may be missing from it (tester19
        finding 4); ``[]`` when :attr:`pulled` (a ``fetch-idp`` pull reads the users and the answers together)."""
        if self.pulled:
            return []
        doubts = []
        for group_id, source in self._answer_at.items():
            older = self._stale.get(group_id)
            if not older:
                continue
            first = older[0]
            user = self.users[first.user_id]
            users_file = Path(user.source.file).name if user.source else "the users file"
            self.findings.warning(
                "stale-members", source.file, source.location, "lastUpdated",
                f"the members answer of group {self._groups[group_id].display_name!r} embeds "
                f"{len(older)} user record(s) older than {users_file}'s, e.g. {first.user_id} ({user.user_name}): "
                f"lastUpdated {first.listed} in {Path(source.file).name}, {first.users_file} in {users_file}: the "
                "answer was saved before that user changed, so its members may be from before a move between groups. "
                "The plan holds the team, scope and account-type changes this group feeds (inputs.stale_members) "
                "until the users and the group members are saved again, together (or pulled by fetch-idp okta)")
            doubts.append(GroupAnswerDoubt("stale", (group_id,), (source,), len(older), first))
        return doubts

    def counted(self, group_id: str) -> bool:
        """Whether group ``group_id``'s record in the groups file carries its own count of members
        (:class:`MemberCount`): its members answers are then checked against it when the directory is built
        (:meth:`_report_count_gaps`), which a full-page guess must not second-guess (:mod:`.page_sizes`)."""
        group = self._groups.get(group_id)
        return group is not None and group.member_count is not None

    def count_listed(self, group_id: str, records: int, source: SourceRef, child_groups: int = 0,
                     other_members: int = 0) -> None:
        """Record that a members answer of group ``group_id`` at ``source`` (its file and JSON path) holds
        ``records`` member records (every one saved, kept or not), ``child_groups`` of them groups and
        ``other_members`` neither users nor groups. A second answer of the group (another file or place) is not
        added: it is the same answer again, or :meth:`answers_of_one_group` reports the two."""
        listed = _Listed(records, child_groups, other_members, source)
        before = self._listed.get(group_id)
        if before is not None and group_id in self._per_answer:
            return
        self._listed[group_id] = listed if before is None else _Listed(
            before.records + records, before.child_groups + child_groups, before.other_members + other_members,
            before.source)

    def add_members(self, group_id: str, member_ids: Iterable[str], kind: str | None = None) -> None:
        """:meth:`add_member` for many ids of one kind at once."""
        group = self._groups[group_id]
        target = group.users if kind == "user" else group.groups if kind == "group" else group.untyped
        if group_id in self._per_answer:
            member_ids = list(member_ids)
            self._note_members(group_id, member_ids)
        target.update(dict.fromkeys(member_ids))

    def add_member(self, group_id: str, member_id: str, kind: str | None = None) -> None:
        """Record that group ``group_id`` directly holds ``member_id`` (``kind``: ``"user"``, ``"group"``, ``None``)."""
        group = self._groups[group_id]
        if group_id in self._per_answer:
            self._note_members(group_id, (member_id,))
        if kind == "user":
            group.users[member_id] = None
        elif kind == "group":
            group.groups[member_id] = None
        else:
            group.untyped[member_id] = None

    def drop_members(self, group_id: str, member_ids: Iterable[str]) -> None:
        """Take ``member_ids`` (users, groups or untyped) out of group ``group_id``'s direct members: what a loader
        read as direct it learned is not (a Graph ``/transitiveMembers`` answer, :class:`~planner.model.TransitiveDoubt`)."""
        group = self._groups[group_id]
        for member_id in member_ids:
            for members in (group.users, group.groups, group.untyped):
                members.pop(member_id, None)

    # ------------------------------------------------------------------ result

    def _report_lost_zeros(self, group: _Group, dangling: list[str]) -> list[str]:
        """``dangling`` without the ids that name a user but for leading zeros, each an ``excel-mangled-id`` error,
        and without those that name a user whose id carries Excel's text marker (``abb4`` / ``'abb4``: that
        user's own ``excel-mangled-id`` error stops ``plan``)."""
        marked = [m for m in dangling if TEXT_MARKER + m in self.users]
        if marked:  # the users file's id has Excel's text marker: its excel-mangled-id error covers the member
            dangling = [m for m in dangling if m not in marked]
        digits = [m for m in dangling if m.isdigit()]
        if not digits:
            return dangling
        if self._unpadded is None:
            self._unpadded = {u.lstrip("0"): u for u in self.users if u.isdigit()}
        src = group.source or SourceRef("")
        damaged = set()
        for member in digits:
            user_id = self._unpadded.get(member.lstrip("0"))
            if user_id is None:
                continue
            damaged.add(member)
            user = self.users[user_id]
            self.findings.error(
                "excel-mangled-id", src.file, src.location, "members",
                f"group {group.display_name!r} lists member {member!r}, which is no user, but user {user_id!r} "
                f"(at {user.source}) differs only by leading zeros: a spreadsheet dropped them in one of the "
                "files; re-export without opening it in Excel",
            )
        return [m for m in dangling if m not in damaged]

    def _report_unanswered(self) -> None:
        """One ``missing-group-members`` warning per groups file naming its groups that got no membership
        answer, when the export holds membership answers at all (their absence altogether is
        ``missing-group-memberships``, :func:`planner.sources.validation.check_policy_inputs`)."""
        if not self._answered:
            return
        listing = {i.path for i in self.inputs if i.kind.endswith(".groups")}
        missing: dict[str, list[_Group]] = {}
        for g in self._groups.values():
            if (g.id not in self._answered and g.id not in self._shared_name and g.source is not None
                    and g.source.file in listing):
                missing.setdefault(g.source.file, []).append(g)
        answers = [Path(i.path) for i in self.inputs if i.kind.endswith(".group_members")]
        first = answers[0] if answers else Path("")
        where = first.parent if first.parent.name.casefold() == "group_members" else first
        for file, groups in missing.items():
            names = [repr(g.display_name) for g in groups]
            shown = ", ".join(names[:_MAX_NAMED]) + (f", ... ({len(names)} in all)" if len(names) > _MAX_NAMED else "")
            self.findings.warning(
                "missing-group-members", where, "", "",
                f"{len(groups)} group(s) of {Path(file).name} have no membership file or answer here ({shown}): "
                "their members are unknown, not none; export their members too (an empty file is a group with "
                "no members)" + self._second_downloads(groups),
            )

    def _report_nested_unlisted(self) -> None:
        """One ``incomplete-nested-group`` warning per members file that lists nested groups :meth:`nested_group`
        made, whose own members answer was never read: their members are unknown, not none."""
        by_file: dict[str, list[tuple[str, SourceRef]]] = {}
        for group_id, source in self._nested_unlisted.items():
            if group_id not in self._answered:
                by_file.setdefault(source.file, []).append((group_id, source))
        for file, found in by_file.items():
            names = [repr(self._groups[g].display_name) for g, _ in found]
            self.findings.warning(
                "incomplete-nested-group", file, found[0][1].location, "members",
                f"{len(found)} nested group(s) listed as members here are in no groups file and have no members "
                f"answer of their own ({_first(names)}): their members are unknown, not none; export those groups "
                "and their members too")

    def _second_downloads(self, groups: Sequence[_Group]) -> str:
        """``"; 'Sigma-Build (1).csv' looks like ..."`` for a members file named by no group whose name is a
        missing group's name plus a browser's second-download counter (``Sigma-Build (1).csv``, tester6
        finding 16), else ``""``: the file the admin has is then named, with the name it needs."""
        names = {g.display_name for g in groups}
        hints = [self._rename_hint(key, sources[0]) for key, sources in self._unlisted.items()
                 if _second_download_of(key) in names]
        return "".join(f"; {h}" for h in hints[:_MAX_NAMED])

    def _rename_hint(self, key: str, source: SourceRef) -> str:
        """``"'Sigma-Build (1).csv' looks like a second download of 'Sigma-Build': rename it 'Sigma-Build.csv'"``
        for the members file ``source`` names under group key ``key`` (:func:`_second_download_of`)."""
        found = Path(source.file)
        group = _second_download_of(key)
        return f"{found.name!r} looks like a second download of {group!r}: rename it {group + found.suffix!r}"

    def _second_download(self, key: str) -> bool:
        """Whether unlisted group key ``key`` is a group's name plus a browser's second-download counter
        (:func:`_second_download_of`) of a group the groups file lists."""
        stem = _second_download_of(key)
        return stem is not None and any(g.display_name == stem for g in self._groups.values()
                                        if g.id not in self._unlisted)

    def group_name(self, group_id: str) -> str:
        """The ``displayName`` of the group ``group_id`` added so far (``group_id`` itself when unknown)."""
        group = self._groups.get(group_id)
        return group.display_name if group is not None else group_id

    def groups_file(self) -> str | None:
        """The groups file read so far (the first input of a ``*.groups`` kind), ``None`` without one."""
        return next((i.path for i in self.inputs if i.kind.endswith(".groups")), None)

    def _report_unlisted_groups(self) -> None:
        """One ``unknown-group`` warning (:meth:`~.files.Findings.skipped`) per members file naming the groups
        whose members it lists but the groups file lacks (:meth:`group_for_key` added them), when the export
        has a groups file: that file is incomplete (saved before those groups were made, a filtered or first-page
        listing), and such a group is known only by its key (an Okta or Graph group id), so no scope, account
        type or team rule naming the group can match it and its members would fall out of scope
        (tester6 finding 26). Without a groups file the key is the group's only name (the loader says so)."""
        groups_file = self.groups_file()
        if groups_file is None or not self._unlisted:
            return
        by_file: dict[str, list[tuple[str, SourceRef]]] = {}
        for key, sources in self._unlisted.items():
            if self._second_download(key):  # the groups file is whole: the members file has the wrong name
                self.findings.skipped(
                    "unknown-group", sources[0].file, sources[0].location, "",
                    f"its group {key!r} is not in {Path(groups_file).name}, so its members are read as no group's; "
                    + self._rename_hint(key, sources[0]))
                continue
            by_file.setdefault(sources[0].file, []).append((key, sources[0]))
        for file, groups in by_file.items():
            where = f"{Path(file).name} (first at {groups[0][1].location})" if groups[0][1].location else Path(file).name
            self.findings.skipped(  # at the groups file: the file to export again (tester7 finding 26)
                "unknown-group", groups_file, "", "",
                f"{len(groups)} group(s) whose members {where} lists are not in this groups file "
                f"({_first([repr(k) for k, _ in groups])}), which is therefore incomplete (saved before they were "
                "made, or filtered): each is known only by that key, so no rule naming the group can match it; "
                "export the groups again, whole",
            )

    def _report_count_gaps(self) -> None:
        """An ``incomplete-pages`` warning (:func:`~.envelopes.report_count_gap`, the check of Graph's
        ``@odata.count``) at each members answer whose records do not agree with its group's own
        :class:`MemberCount` (:func:`planner.listing.member_count_agrees`, ``fetch-idp``'s rule: equal to
        the records, or to the records less the child groups or other members Google may leave out):
        fewer, pages of that group's members were not saved; more, the answer and the count are of different
        times. A group without the field passes, and so does one with no answer (``missing-group-members``)."""
        for g in self._groups.values():
            count, listed = g.member_count, self._listed.get(g.id)
            if count is None or listed is None or member_count_agrees(
                    count.value, listed.records, listed.child_groups, listed.other_members):
                continue
            where = count.source
            report_count_gap(self.findings, listed.source.file, listed.source.location, count.field,
                             f"members of group {g.display_name!r}", count.value, listed.records,
                             counted_at=f"{Path(where.file).name} {where.location}".rstrip())

    def _members_file(self, group: _Group) -> str:
        """The file that listed ``group``'s members: its membership answer, else the group's own record."""
        return self._answer_file.get(group.id) or (group.source.file if group.source else "")

    def _sort_dangling(self, group: _Group, dangling: list[str], unresolved: dict[str, dict[str, None]]
                       ) -> tuple[str, ...]:
        """Members of ``group`` that are no user or group: those marked :meth:`outside` are one
        ``unknown-group-member`` warning and returned as the group's outside members (their emails); the
        others are held and collected in ``unresolved`` by members file."""
        outside = tuple(dict.fromkeys(self._outside[m] for m in dangling if m in self._outside))
        if outside:
            src = group.source or SourceRef("")
            shown = ", ".join(outside[:_MAX_NAMED]) + (", ..." if len(outside) > _MAX_NAMED else "")
            words = outside_words(self.format)
            self.findings.warning(
                "unknown-group-member", self._members_file(group), src.location if not self._answer_file.get(
                    group.id) else "", "members",
                f"group {group.display_name!r} lists {len(outside)} member(s) {words.where} ({shown}): no user of "
                f"the export, never provisioned by {words.provisioner}; an active Sigma member with such an address "
                "is asked about, not deactivated (unmatched.outside_member; in a team's group teams.outside_member)",
            )
        inside = [m for m in dangling if m not in self._outside]
        if inside:
            self.held.update(dict.fromkeys(inside))
            unresolved.setdefault(self._members_file(group), {}).update(dict.fromkeys(inside))
        return outside

    def _report_unresolved(self, unresolved: dict[str, dict[str, None]]) -> None:
        """One ``member-not-in-users`` warning, at the users file, naming the members no user or group of the
        export has and the files that list them: the users (or groups) file is incomplete (an
        incomplete-input code, :data:`INCOMPLETE_CODES`)."""
        if not unresolved:
            return
        members = list(dict.fromkeys(m for ids in unresolved.values() for m in ids))
        files = [f"{Path(f).parent.name}/{Path(f).name}" if Path(f).parent.name.casefold() == "group_members"
                 else Path(f).name for f in unresolved]
        self.findings.warning(
            "member-not-in-users", self.users_file(next(iter(unresolved))), "", "",
            f"{len(members)} group member(s) listed in {_first(files)} ({_first(members)}) are neither users nor "
            "groups of this export, which is therefore incomplete (cut short, or filtered): their state is "
            "unknown, so they are held (no action for them); export the users and groups again, whole",
        )

    def users_file(self, fallback: Path | str) -> str:
        """The users file read so far (the first input of a ``*.users`` kind), else ``fallback``: where a
        ``member-not-in-users`` finding points, since that is the file to export again."""
        first = next((i.path for i in self.inputs if i.kind.endswith(".users")), None)
        if first is None:  # users and groups in the same files (SCIM): the first user's file
            first = next((u.source.file for u in self.users.values() if u.source), None)
        return first or str(fallback)

    def _report_id_white_space(self) -> None:
        """One ``invalid-id`` error (:func:`~.values.report_id_white_space`) per user id, ``externalId``, group id and
        member reference that holds white space other than a space inside (U+00A0, U+2028, U+3000, a tab...), at
        its record (a member reference naming no record of the export at its group's record, field ``members``; an
        id a format makes of the user's address is judged as the address): every loader reads an id the one
        way (:func:`~.values.read_id`, never trimming it), so such an id is reported rather than joined in one file
        and not in another (leftovers16 item 3). Decided on the joined ids in C for the usual export."""
        users, groups = self.users.values(), self._groups.values()
        record_id, external_id = attrgetter("id"), attrgetter("external_id")
        members = chain.from_iterable(chain.from_iterable((g.users, g.groups, g.untyped) for g in groups))
        if not ids_hold_white_space(chain(map(record_id, users), filter(None, map(external_id, users)),
                                          map(record_id, groups), filter(None, map(external_id, groups)), members)):
            return
        where = self.findings
        for u in users:
            file, location = (u.source.file, u.source.location) if u.source else ("", "")
            if u.id != u.user_name and not (u.emails and u.id == u.emails[0].value):
                # an id of its own; one a format makes of the user's address (Google's console download, a generic
                # CSV without an id column) is judged as that address (scim.unclean_user_name holds its person)
                report_id_white_space(where, file, location, "id", "user id", u.id)
            if u.external_id:
                report_id_white_space(where, file, location, "externalId", f"user {u.id!r} has externalId",
                                      u.external_id)
        for g in groups:
            file, location = (g.source.file, g.source.location) if g.source else ("", "")
            report_id_white_space(where, file, location, "id", f"group {g.display_name!r} has id", g.id)
            if g.external_id:
                report_id_white_space(where, file, location, "externalId", f"group {g.display_name!r} has externalId",
                                      g.external_id)
            for member in (*g.users, *g.groups, *g.untyped):
                if member in self.users or member in self._groups:
                    continue  # judged at its own record
                report_id_white_space(where, file, location, "members", f"group {g.display_name!r} lists member",
                                      member)

    def build(self) -> IdpDirectory:
        """The directory, with members resolved and dangling ones reported (see the module docstring)."""
        self._report_id_white_space()
        self._report_unanswered()
        self._report_nested_unlisted()
        self.answers_of_one_group()
        self._report_unlisted_groups()
        self._report_count_gaps()
        self._report_disagreements()
        doubts = (*self.identical_answers(), *self.stale_answers())  # the answers as saved, before held users leave
        held = self.held
        if held:
            for g in self._groups.values():
                for members in (g.users, g.untyped):
                    gone = [m for m in members if m in held]
                    self._report_lost_zeros(g, gone)  # a held id a spreadsheet damaged is an error
                    for user_id in gone:
                        del members[user_id]
        groups: list[IdpGroup] = []
        unresolved: dict[str, dict[str, None]] = {}  # members file -> member ids no user or group has
        # sets, not the dicts' keys: a set's slot holds the hash and the key together, one memory read fewer
        # per member looked up (~500k at 100k members: build 0.13 -> 0.09 s of CPU)
        user_ids, group_ids = set(self.users), set(self._groups)
        for g in self._groups.values():
            if not g.untyped and user_ids.issuperset(g.users) and group_ids.issuperset(g.groups):
                groups.append(IdpGroup(  # the usual group: every member resolves (checked in C)
                    id=g.id, display_name=g.display_name, member_user_ids=tuple(g.users),
                    member_group_ids=tuple(g.groups), external_id=g.external_id, attributes=g.attributes,
                    source=g.source,
                ))
                continue
            # set.difference(dict) walks the (small) set in C; dict_keys - dict_keys would walk the dict
            missing_users = set(g.users).difference(self.users)
            missing_groups = set(g.groups).difference(self._groups)
            users = [u for u in g.users if u not in missing_users] if missing_users else list(g.users)
            nested = [c for c in g.groups if c not in missing_groups] if missing_groups else list(g.groups)
            dangling = [u for u in g.users if u in missing_users] + [c for c in g.groups if c in missing_groups]
            for member in g.untyped:
                if member in self.users:
                    users.append(member)
                elif member in self._groups:
                    nested.append(member)
                else:
                    dangling.append(member)
            outside: tuple[str, ...] = ()
            if dangling:
                dangling = self._report_lost_zeros(g, dangling)
            if dangling:
                outside = self._sort_dangling(g, dangling, unresolved)
            groups.append(IdpGroup(
                id=g.id,
                display_name=g.display_name,
                member_user_ids=tuple(dict.fromkeys(users)),
                member_group_ids=tuple(dict.fromkeys(nested)),
                outside_members=outside,
                external_id=g.external_id,
                attributes=g.attributes,
                source=g.source,
            ))
        self._report_unresolved(unresolved)
        return IdpDirectory(
            users=tuple(self.users.values()),
            groups=tuple(groups),
            format=self.format,
            inputs=tuple(self.inputs),
            group_name_doubts=tuple(self.group_name_doubts),
            transitive_doubts=tuple(self.transitive_doubts),
            answer_doubts=doubts,
        )


def _restored(first: IdpUser, again: IdpUser) -> str | None:
    """Why two files list one user id when exactly one of the records is a deleted user (a ``deletedDateTime``:
    Entra's "Deleted users" download or a Graph ``deletedItems`` answer, docs/formats.md §3a) and the other a user
    as they are: the user was deleted and restored after the deleted-users download (keeping that file deactivates
    a restored user; tester11 nit: "a backup? keep one" let either be kept), or deleted after the users download;
    the files carry no download time to tell which, so both are to be downloaded again at one time. ``None``
    otherwise (two copies of one listing: :meth:`DirectoryBuilder.add_user`'s other words)."""
    deleted = [u for u in (first, again) if u.attributes.get("deletedDateTime")]
    if len(deleted) != 1:
        return None
    gone = deleted[0]
    kept = again if gone is first else first
    gone_file = Path(gone.source.file).name if gone.source else "the deleted users file"
    kept_file = Path(kept.source.file).name if kept.source else "the users file"
    return (f"{gone_file} lists them deleted (deletedDateTime {gone.attributes['deletedDateTime']}) and {kept_file} "
            f"as a user: either the user was deleted and restored after {gone_file} was downloaded (keeping it would "
            f"deactivate a restored user: drop it), or deleted after {kept_file} was; the files cannot tell which: "
            f"download both again at one time (a restored user leaves the Deleted users list), and drop {gone_file} "
            "if it no longer lists them")


def member_type_word(word: str) -> str:
    """A member type as compared with a loader's known types: case and spaces dropped (``Service Principal``,
    ``servicePrincipal`` -> ``serviceprincipal``)."""
    return word.casefold().replace(" ", "")


class MemberTypes:
    """The group member records a loader did not read as a user or group, by their type word as written.

    :param ignorable: the type words (:func:`member_type_word`) the format documents for members that are
        never provisioned and are no Sigma member (Entra ``Service Principal``, ``Device``, Graph
        ``#microsoft.graph.orgContact`` and Google ``EXTERNAL`` without an address: one with an address is an
        outside member, :meth:`DirectoryBuilder.outside`): ignored with one ``ignored-members`` info.
    :param what: what the read members are, for the info (``users or groups``, ``Workspace users or groups``).

    Any other word (``Benutzer`` from a localized portal, ``Member``, a typo) means the loader does not
    understand the file: those records are left out with one ``unreadable-member-type`` warning
    (:meth:`~.files.Findings.skipped`) per file naming each word, its count and first record, so the
    group's members are not known whole and every action they could change is blocking (tester6 finding 27).
    """

    def __init__(self, ignorable: Iterable[str], what: str = "users or groups") -> None:
        self.ignorable = frozenset(ignorable)
        self.what = what
        self.seen: dict[str, list] = {}  # word as written -> [count, first location]

    def add(self, word: str, location: str) -> None:
        """Count one member record of type ``word`` (as written) at ``location`` that was not read."""
        seen = self.seen.get(word)
        if seen is None:
            self.seen[word] = [1, location]
        else:
            seen[0] += 1

    def report(self, path: Path | str, field: str, findings: Findings) -> None:
        """The ``ignored-members`` info and the ``unreadable-member-type`` warning of the file at ``path``
        whose type column or key is ``field``."""
        known = {w: s for w, s in self.seen.items() if member_type_word(w) in self.ignorable}
        unknown = {w: s for w, s in self.seen.items() if w not in known}
        if known:
            findings.info("ignored-members", path, "", field,
                          f"members that are not {self.what} ignored: "
                          + ", ".join(f"{n} {k or '(blank)'}" for k, (n, _) in sorted(known.items())))
        if unknown:
            first = next(iter(unknown.values()))[1]
            findings.skipped(
                "unreadable-member-type", path, first, field,
                "group members of a type this loader does not read: "
                + ", ".join(f"{n} {k!r} (first at {loc})" for k, (n, loc) in unknown.items())
                + f"; they are left out, so the group's members are not known whole (types read: user, group; "
                f"ignored: {', '.join(sorted(self.ignorable))}); export the members again (a portal in English) "
                "or fix the column",
            )


RoleReader = tuple[str, Callable[[Path, DirectoryBuilder, Findings], None], str]
"""``(role, read, what)``: ``read(path, builder, findings)`` reads one file of ``role``; ``what`` names it."""


def read_by_role(
    files: Mapping[str, Sequence[Path]],
    readers: Iterable[RoleReader],
    builder: DirectoryBuilder,
    findings: Findings,
) -> None:
    """Feed ``builder`` the files of each role in ``readers`` order (``files``: role -> paths, from :mod:`.detect`).

    Every file is read under :func:`~.files.guarded` with the reader's
    ``what``, so a value of unexpected shape ends that file with an
    ``unexpected-value`` error and the files after it are still read. Roles
    without files are skipped.
    """
    for role, read, what in readers:
        for path in files.get(role, ()):
            with guarded(path, findings, what):
                read(path, builder, findings)


def _where(source: SourceRef) -> str:
    """``file`` or ``file:location`` of ``source``, as a message names an answer."""
    return f"{source.file}:{source.location}" if source.location else source.file
