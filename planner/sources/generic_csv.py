"""Generic CSV of IdP users, with a column mapping in a small YAML file.

For any IdP without a dedicated loader (OneLogin, JumpCloud, an HR system, a
home-made report): one CSV of users, one row per user, plus a mapping that says
which column holds which SCIM attribute. The CSV follows docs/formats.md §0 like
every other (BOM, ``;``/tab, ``#TYPE`` lines, case-insensitive headers).

The mapping file (``*.yaml`` / ``*.yml``; recognized by its ``columns:`` map)::

    # sigma-migrate generic CSV mapping
    users: people.csv          # the CSV, relative to this file (a list is fine);
                               # default: every CSV given next to the mapping
    columns:                   # SCIM attribute -> CSV column header (any case)
      userName: Login          # REQUIRED: what the IdP sends to Sigma as userName
      id: Employee ID          # the IdP's user id; default: the userName column
      emails: [Work Email, Alt Email]   # first non-empty = primary; default: userName
      givenName: First Name
      familyName: Last Name
      displayName: Full Name
      active: Enabled          # boolean column: true/false (True/TRUE, False/FALSE); anything else,
                               # empty included, is an unreadable-status error (docs/formats.md §0.6):
                               # map a yes/no or 1/0 column as `status` with active_statuses: [yes]
      status: State            # the IdP's status word, kept as status; read with the two lists below
      userType: Kind           # Member / Guest, or the Sigma account type the IdP sends (SCIM userType)
      externalId: HR Number
      groups: Groups           # group names in one cell, split by groups_separator
      created: Created At      # when the IdP made the user (ISO 8601; docs/formats.md §0.7, §5): dates a
                               # rehire (linking.rehire) and when the export was taken (unmatched.new_member)
    groups_separator: ";"      # default ";"
    active_statuses: [active, enabled]   # when `active` is not mapped: the status words (any case)
    inactive_statuses: [inactive, disabled, suspended, deprovisioned]   # meaning active / inactive;
                                         # any other word, empty included, is an unreadable-status error
    suspended_statuses: ["2"]            # the inactive words meaning suspended, a hold the IdP can lift
                                         # (OneLogin's status 2); the word `suspended` means it unlisted
    never_activated_statuses: ["0"]      # the inactive words meaning created but never activated (OneLogin's
                                         # status 0); the word `STAGED` means it unlisted
    status_labels: {"0": Unactivated}    # what the IdP calls a status word that is a code: reasons name it
                                         # (`status is 0 (Unactivated)`)

A status is read only from the words the mapping lists, both ways (docs/formats.md §0.6): a word in
neither list (``Locked``, a typo such as ``actve``) or an empty cell is an ``unreadable-status`` error
naming file, line and column, never "inactive" because it is not an active word; a word in both lists
is an ``invalid-mapping`` error (:func:`status_active`). A user whose word ``suspended_statuses`` lists is
suspended (:attr:`planner.model.IdpUser.suspended`; a word of suspension that is not ``suspended``, as OneLogin's
``status`` 2, docs/formats.md §5): :mod:`planner.rules.unmatched` follows ``unmatched.idp_suspended`` for their
member, not ``unmatched.idp_inactive`` (:func:`planner.rules.idp_status.suspended`, which reads the word
``suspended`` itself, any case, without the list). Each word of ``suspended_statuses`` must be one of
``inactive_statuses`` (a suspended user is inactive), else ``invalid-mapping``; so must each word of
``never_activated_statuses`` (:attr:`planner.model.IdpUser.never_activated`, read by
:func:`planner.rules.idp_status.never_activated`: Okta's ``STAGED`` in another IdP's code), and no word may be both
suspended and never activated. Each key of ``status_labels`` is a word one of the two lists holds
(:attr:`planner.model.IdpUser.status_label`). A mapping that maps both ``active`` and ``status`` is an
``invalid-mapping`` error naming both keys (tester16a finding 4): the two columns could disagree, and the loader
does not guess which one is the truth.

Built-in layouts: ``--idp-format onelogin`` reads a OneLogin users CSV (docs/formats.md §5, the SDK sample's
snake_case headers) with :data:`ONELOGIN`, a mapping written in code, no YAML (:func:`load_onelogin`): status 1
Active and the temporary states of an active account (3 Locked, 4 Password expired, 5 Awaiting password reset, 7
Password pending, 8 Security questions required) active, 2 Suspended suspended, 0 Unactivated never activated, any
other value an ``unreadable-status`` error (tester16a finding 1: the docs' earlier hand mapping read 3-8 as
inactive and deactivated OneLogin's active users).

Keys of ``columns`` are SCIM attribute names, matched case-insensitively. Every
mapped column must exist in the CSV, and a column is read as one attribute (only
``id``, ``userName``, ``emails`` and ``externalId``, one person's identifiers, may
share one). A fault is one error at the mapping's line naming the key, the CSV's
columns and the closest one: ``map.yaml:3 [columns.userName]: columns.userName
names column 'Logon', which is not in the CSV: people.csv has 'Login', 'Mail'
(header at line 1); did you mean 'Login'?`` (``missing-column``), two attributes
on one column or a key that is no attribute (``map.yaml:3 [columns]: unknown key
'email' (did you mean 'emails'?); allowed here: ...``) ``invalid-mapping``;
unmapped columns are kept as attributes by header. Groups named in the
``groups`` cells become :class:`~planner.model.IdpGroup` objects whose id and
display name are the name as written (no nesting). A bad mapping is an
``invalid-mapping`` error naming the YAML line and key, one per problem.

The mapping is read as strictly as the policy (:mod:`planner.yaml_schema`): no value is coerced, so
``userName: 007`` (YAML 1.1's number 7) is refused with how YAML read it and the hint to quote it,
never read as column ``7``; a list where one header belongs, or a mapping where a list belongs, is
refused. The status lists alone are read as written (``active_statuses: [yes]`` is the word ``yes``,
:func:`_status_words_as_written`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator

from ..model import GroupNameDoubt, IdpDirectory, IdpUser, SourceRef
from ..unsafe_characters import LINE_BREAK
from ..yaml_schema import TOP_LEVEL, model_keys, read_marked, schema_problems
from .directory import DirectoryBuilder, make_emails
from .files import Findings, guarded, read_text
from .tabular import Table, closest_column, column_list, flag_damaged_ids, parse_table
from .values import (
    DateRead, InvalidValue, date_field, fast_email_key, missing_status_column, other_separator_split, parse_bool, sent_account_type,
    separator_words, typed_team_name_key, unreadable_status,
)

FORMAT = "generic-csv"

NOT_SAID = DateRead(None)
"""The creation date of a user whose CSV has no ``created`` column: not said (a mapping without the key), or, for a
layout's CSV without it, the file's missing column (:mod:`.rule_columns`: :attr:`IdpUser.created_field` is set)."""

_ATTRIBUTES = ("id", "userName", "emails", "givenName", "familyName", "displayName", "active",
               "status", "userType", "externalId", "groups", "created")
_IDENTITY = ("id", "userName", "emails", "externalId", "groups")
"""The attributes whose cells are one line each (``line-break-in-value``, :func:`~.tabular.flag_line_breaks`);
``groups`` not when ``groups_separator`` is a line break (``"\n"``: one group name a line of the cell)."""
_SHARED_COLUMN_ORDER = ("id", "userName", "emails", "externalId")
_SHARED_COLUMN = frozenset(_SHARED_COLUMN_ORDER)
"""The attributes that may name one column together: a person's identifiers (``id`` and ``emails`` default to
the ``userName`` column). Any other attribute sharing a column is an ``invalid-mapping`` error."""


class ColumnMap(BaseModel):
    """``columns:`` of a mapping: SCIM attribute -> CSV header (``emails``: one header or a list)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    userName: str
    id: str | None = None
    emails: tuple[str, ...] = ()
    givenName: str | None = None
    familyName: str | None = None
    displayName: str | None = None
    active: str | None = None
    status: str | None = None
    userType: str | None = None
    externalId: str | None = None
    groups: str | None = None
    created: str | None = None

    @field_validator("emails", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return (value,) if isinstance(value, str) else tuple(value) if isinstance(value, list) else value


class Mapping(BaseModel):
    """A generic-CSV mapping file (schema in the module docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    users: tuple[str, ...] = ()
    columns: ColumnMap
    groups_separator: str = Field(default=";", min_length=1)
    active_statuses: tuple[str, ...] = ("active", "enabled")
    inactive_statuses: tuple[str, ...] = ("inactive", "disabled", "suspended", "deprovisioned")
    suspended_statuses: tuple[str, ...] = ()
    never_activated_statuses: tuple[str, ...] = ()
    status_labels: dict[str, str] = Field(default_factory=dict)
    format: str | None = None  # optional marker, e.g. "generic-csv"
    _lines: dict[str, int] = PrivateAttr(default_factory=dict)  # SCIM attribute -> line in the YAML

    def line_of(self, attribute: str) -> int | None:
        """The 1-based line of ``columns.<attribute>`` in the mapping file (``None`` when unknown)."""
        return self._lines.get(attribute)

    @field_validator("users", "active_statuses", "inactive_statuses", "suspended_statuses", "never_activated_statuses",
                     mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return (value,) if isinstance(value, str) else tuple(value) if isinstance(value, list) else value

    def statuses_in_both(self) -> list[str]:
        """The status words (case-folded) both ``active_statuses`` and ``inactive_statuses`` list: an
        ``invalid-mapping`` error, a word means one thing."""
        return sorted({w.casefold() for w in self.active_statuses} & {w.casefold() for w in self.inactive_statuses})

    def not_inactive(self, words: tuple[str, ...]) -> list[str]:
        """The ``words`` (as written) that ``inactive_statuses`` does not list (case-folded): of
        ``suspended_statuses`` or ``never_activated_statuses``, an ``invalid-mapping`` error (a suspended user, a
        user never activated, is an inactive one)."""
        inactive = {w.casefold() for w in self.inactive_statuses}
        return [w for w in words if w.casefold() not in inactive]

    def labels(self) -> dict[str, str]:
        """``status_labels`` keyed by the case-folded word (a cell is compared case-folded)."""
        return {w.casefold(): label for w, label in self.status_labels.items()}

    def status_words(self) -> str:
        """The status words the mapping reads, for messages: ``"active, enabled mean active; inactive, ...
        mean inactive"``; one word ``means`` (``"active means active"``), none ``"no word means active"``; a
        labelled word with its label (``"1 Active, 3 Locked mean active"``)."""
        labels = self.labels()

        def said(words: tuple[str, ...], meaning: str) -> str:
            if not words:
                return f"no word means {meaning}"
            named = ", ".join(f"{w} {labels[w.casefold()]}" if w.casefold() in labels else w for w in words)
            return f"{named} {'means' if len(words) == 1 else 'mean'} {meaning}"
        return f"{said(self.active_statuses, 'active')}; {said(self.inactive_statuses, 'inactive')}"

    @field_validator("columns", mode="before")
    @classmethod
    def _case_insensitive(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        canonical = {a.casefold(): a for a in _ATTRIBUTES}
        return {canonical.get(str(k).casefold(), k): v for k, v in value.items()}


def status_active(word: str, active: frozenset[str], inactive: frozenset[str]) -> bool | None:
    """Whether a status cell means active: ``True`` for a word of ``active``, ``False`` for one of
    ``inactive`` (both case-folded, as :attr:`Mapping.active_statuses` / :attr:`Mapping.inactive_statuses`
    fold them; the cell is compared case-folded), ``None`` for any other word or an empty cell: the caller
    reports it (``unreadable-status``). Both lists are explicit (docs/formats.md §0.6): a word is never
    "inactive" for not being an active word."""
    folded = word.casefold()
    if folded in active:
        return True
    if folded in inactive:
        return False
    return None


def _yaml_line(node: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """1-based line of the YAML node at ``loc`` (pydantic error location), or the closest parent."""
    line = None
    for part in loc:
        if not isinstance(node, yaml.MappingNode):
            break
        for key, value in node.value:
            if str(key.value).casefold() == str(part).casefold():
                line, node = key.start_mark.line + 1, value
                break
        else:
            break
    return line


_STATUS_LISTS = ("active_statuses", "inactive_statuses", "suspended_statuses", "never_activated_statuses")
_STATUS_LABELS = "status_labels"


def _status_words_as_written(node: yaml.Node | None) -> dict[str, Any]:
    """The status lists (:data:`_STATUS_LISTS`) and ``status_labels`` of the mapping's YAML as the words written: YAML
    1.1 reads ``yes``, ``no``, ``on``, ``off`` (any case) as booleans and ``1`` as a number, while a status column
    holds them as words (``active_statuses: [yes]``, ``status_labels: {0: Unactivated}``, docs/formats.md §0.6).
    Scalars only; anything else is left to the schema."""
    out: dict[str, Any] = {}
    if not isinstance(node, yaml.MappingNode):
        return out
    for key, value in node.value:
        if (isinstance(key, yaml.ScalarNode) and key.value == _STATUS_LABELS and isinstance(value, yaml.MappingNode)
                and all(isinstance(k, yaml.ScalarNode) and isinstance(v, yaml.ScalarNode) for k, v in value.value)):
            out[_STATUS_LABELS] = {k.value: v.value for k, v in value.value}
        if not isinstance(key, yaml.ScalarNode) or key.value not in _STATUS_LISTS:
            continue
        if isinstance(value, yaml.ScalarNode) and value.tag != "tag:yaml.org,2002:null":
            out[key.value] = (value.value,)
        elif isinstance(value, yaml.SequenceNode) and all(isinstance(v, yaml.ScalarNode) for v in value.value):
            out[key.value] = tuple(v.value for v in value.value)
    return out


def _allowed_keys(loc: tuple[Any, ...]) -> list[str]:
    """Keys a mapping allows at ``loc``: the SCIM attributes under ``columns`` (:data:`_ATTRIBUTES`), the
    mapping's keys at the top (:func:`planner.yaml_schema.model_keys`)."""
    return list(_ATTRIBUTES) if loc == ("columns",) else model_keys(Mapping, loc)


def read_mapping(path: Path, findings: Findings) -> Mapping | None:
    """Read and validate a mapping file strictly, as the policy is read (:mod:`planner.yaml_schema`);
    ``None`` with an ``invalid-mapping`` (or read) error.

    One ``invalid-mapping`` error per problem, at its ``line`` with its dotted key as field: YAML that does
    not parse, an unknown key (the keys allowed there, the closest: ``unknown key 'colums' (did you mean
    'columns'?); allowed here: ...``), a value of the wrong type (``columns.userName: 007`` is the number 7
    to YAML: quote it; ``users: {a: b}``), a word both status lists hold. The status lists are read as the
    words written (:func:`_status_words_as_written`: ``yes`` is a status word, not YAML's true)."""
    tf = read_text(path, findings)
    if tf is None:
        return None
    try:
        read = read_marked(tf.text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1} column {mark.column + 1}" if mark else ""
        findings.error("invalid-mapping", path, where, "", f"not valid YAML: {getattr(exc, 'problem', exc)}")
        return None
    node, data, marks, spellings = read.node, read.data, read.marks, read.spellings
    if isinstance(data, dict):
        data = {**data, **_status_words_as_written(node)}
        canonical = {a.casefold(): a for a in _ATTRIBUTES}  # columns' keys are read in any case (ColumnMap)
        for found in (marks, spellings):
            for loc, value in list(found.items()):
                if len(loc) > 1 and loc[0] == "columns" and isinstance(loc[1], str):
                    found.setdefault(("columns", canonical.get(loc[1].casefold(), loc[1]), *loc[2:]), value)
    try:
        mapping = Mapping.model_validate(data)
    except ValidationError as exc:
        for problem in schema_problems(exc, marks, spellings, _allowed_keys):
            findings.error("invalid-mapping", path, f"line {problem.line}",
                           "" if problem.path == TOP_LEVEL else problem.path, problem.message)
        return None
    for attr in _ATTRIBUTES:
        line = _yaml_line(node, ("columns", attr))
        if line is not None and _yaml_line(node, ("columns",)) != line:
            mapping._lines[attr] = line
    problem = status_list_problem(mapping)
    if problem is not None:
        key, message = problem
        line = _yaml_line(node, (key,))
        findings.error("invalid-mapping", path, f"line {line}" if line else "", key, message)
        return None
    if mapping.columns.active is not None and mapping.columns.status is not None:
        _both_active_and_status(mapping, path, findings)
        return None
    return mapping


def _both_active_and_status(mapping: Mapping, path: Path, findings: Findings) -> None:
    """The ``invalid-mapping`` error of a mapping that maps both ``active`` and ``status`` (tester16a finding 4): at
    the later of the two lines, naming both keys, their columns and lines; the two columns could disagree and the
    loader does not guess which one is the truth (docs/formats.md §0.6)."""
    first, later = sorted(("active", "status"), key=lambda a: mapping.line_of(a) or 0)
    line = mapping.line_of(later)
    said = {a: f"columns.{a} ({getattr(mapping.columns, a)!r}"
               + (f", line {mapping.line_of(a)})" if mapping.line_of(a) else ")") for a in (first, later)}
    findings.error("invalid-mapping", path, f"line {line}" if line else "", f"columns.{later}",
                   f"{said[first]} and {said[later]} both say whether a user is active, and the two columns could "
                   "disagree: map one, active for a true/false column or status with active_statuses and "
                   "inactive_statuses; the loader does not guess which one is the truth")


def status_list_problem(mapping: Mapping) -> tuple[str, str] | None:
    """``(key, message)`` of the first fault of ``mapping``'s status lists, ``None`` when they hold together: a
    word both ``active_statuses`` and ``inactive_statuses`` list (a status word means one thing), a word of
    ``suspended_statuses`` or ``never_activated_statuses`` that ``inactive_statuses`` does not list (such a user is
    inactive), a word both of these list, a ``status_labels`` key neither status list holds."""
    both = mapping.statuses_in_both()
    if both:
        return "inactive_statuses", (f"active_statuses and inactive_statuses both list {', '.join(map(repr, both))}: "
                                     "a status word means one thing")
    for key, who in (("suspended_statuses", "a suspended user"),
                     ("never_activated_statuses", "a user never activated")):
        unlisted = mapping.not_inactive(getattr(mapping, key))
        if unlisted:
            return key, (f"{key} lists {', '.join(map(repr, unlisted))}, which inactive_statuses does not: {who} is "
                         "inactive; list the word in inactive_statuses too")
    twice = sorted({w.casefold() for w in mapping.suspended_statuses}
                   & {w.casefold() for w in mapping.never_activated_statuses})
    if twice:
        return "never_activated_statuses", (f"suspended_statuses and never_activated_statuses both list "
                                            f"{', '.join(map(repr, twice))}: a status word means one thing")
    read = {w.casefold() for w in (*mapping.active_statuses, *mapping.inactive_statuses)}
    unread = [w for w in mapping.status_labels if w.casefold() not in read]
    if unread:
        return _STATUS_LABELS, (f"status_labels names {', '.join(map(repr, unread))}, which neither active_statuses "
                                "nor inactive_statuses lists: a label names a status word the mapping reads")
    return None


@dataclass(frozen=True)
class MappingSource:
    """Where a :class:`Mapping` comes from: a mapping file (``path``), or a built-in layout (``path`` ``None``).

    ``name`` names it in messages (``map.yaml``, ``the onelogin layout``); ``input_kind`` is the
    :attr:`planner.model.InputFile.kind` of the CSVs it reads (``generic.users``, ``onelogin.users``); ``hint``
    ends a layout's ``missing-column`` message (where the layout is documented, the way out); ``optional``: the
    attributes of a layout whose column a CSV may lack, no ``missing-column`` error (the layout's ``created``: a
    CSV without ``created_at`` is a file that lacks a column its format carries, so the rules that decide on it
    cannot tell, :mod:`.rule_columns`). A mapping file's faults are at its lines; a layout's at the CSV's header
    line (:func:`_mapping_error`)."""

    path: Path | None
    name: str
    input_kind: str = "generic.users"
    hint: str = ""
    optional: frozenset[str] = frozenset()

    def names(self, attr: str, header: str) -> str:
        """How a message says that ``attr`` is read from column ``header``: ``columns.userName names column
        'Login'`` (a file), ``the onelogin layout reads userName from column 'email'``."""
        if self.path is None:
            return f"{self.name} reads {attr} from column {header!r}"
        return f"columns.{attr} names column {header!r}"


def _mapping_error(code: str, mapping: Mapping, source: MappingSource, attr: str, message: str,
                   findings: Findings, csv_path: Path, table: Table) -> None:
    """One error at the line of ``columns.<attr>`` in the mapping file, field ``columns.<attr>``; of a built-in
    layout (no file), at the CSV's header line, field the column the layout reads ``attr`` from."""
    if source.path is None:
        header = getattr(mapping.columns, attr)
        findings.error(code, csv_path, f"line {table.header_line}",
                       header[0] if isinstance(header, tuple) else header, message)
        return
    line = mapping.line_of(attr)
    findings.error(code, source.path, f"line {line}" if line else "", f"columns.{attr}", message)


def _columns_found(table: Table, aliases: dict[str, tuple[str, ...]], mapping: Mapping, source: MappingSource,
                   csv_path: Path, findings: Findings) -> bool:
    """True when every column the mapping names is a column of ``table``, each read as one attribute.

    Else an error at the mapping's line for each fault (the CSV is not read): a column the CSV does not have
    (``missing-column``), or one column named by two attributes (``invalid-mapping``; only
    :data:`_SHARED_COLUMN` attributes, a person's identifiers, may share one: ``id`` is the ``userName``
    column by default), each message naming the CSV's columns as written and the closest one ("did you
    mean", :func:`~.tabular.closest_column`)."""
    columns = f"{csv_path.name} has {column_list(table.headers)} (header at line {table.header_line})"
    ok = True
    for name, (header,) in aliases.items():
        if table.has(name) or name in source.optional:
            continue
        close = closest_column((header,), table.headers)
        attr = name.split(".")[0]
        _mapping_error("missing-column", mapping, source, attr,
                       f"{source.names(attr, header)}, which is not in the CSV: {columns}"
                       + (f"; did you mean {close!r}?" if close else "") + (f"; {source.hint}" if source.hint else ""),
                       findings, csv_path, table)
        ok = False
    by_column: dict[int, list[str]] = {}
    for name in aliases:
        if table.has(name):
            by_column.setdefault(table.canonical[name], []).append(name)
    for pos, names in by_column.items():
        attrs = [n.split(".")[0] for n in names]
        if len(names) < 2 or (len(set(attrs)) == len(attrs) and set(attrs) <= _SHARED_COLUMN):
            continue
        attrs.sort(key=lambda a: mapping.line_of(a) or 0)  # reported at the later line of the file
        first, again = attrs[0], attrs[-1]
        line = mapping.line_of(first)
        said = (f"names column {table.headers[pos]!r} twice" if first == again else
                f"names column {table.headers[pos]!r}, as columns.{first}{f' (line {line})' if line else ''} does")
        _mapping_error("invalid-mapping", mapping, source, again,
                       f"columns.{again} {said}: a column is read as one attribute (only "
                       f"{', '.join(_SHARED_COLUMN_ORDER)} may share one: the same person's identifiers); {columns}",
                       findings, csv_path, table)
        ok = False
    return ok


GroupCell = tuple[str, list[str], SourceRef, str, str]
"""A row's ``groups`` cell as :func:`_add_typed_groups` reads it: the user's id, the group names of the cell (trimmed,
none empty), the row, the column's header as written, the mapping's ``groups_separator`` it was split by."""


def _users(csv_path: Path, mapping: Mapping, source: MappingSource, builder: DirectoryBuilder,
           findings: Findings, cells: list[GroupCell]) -> None:
    """The users of ``csv_path`` read with ``mapping`` (from ``source``) into ``builder``; their ``groups`` cells
    appended to ``cells`` (every CSV's groups are added at once, :func:`_add_typed_groups`)."""
    tf = read_text(csv_path, findings)
    if tf is None:
        return
    cols = mapping.columns
    aliases: dict[str, tuple[str, ...]] = {}
    for attr in _ATTRIBUTES:
        if attr == "emails":
            for i, header in enumerate(cols.emails):
                aliases[f"emails.{i}"] = (header,)
        elif getattr(cols, attr):
            aliases[attr] = (getattr(cols, attr),)
    what = f"CSV mapped by {source.name}"
    table = parse_table(tf, findings, aliases=aliases, what=what, spellings_only=True,
                        identity=[a for a in aliases if a.split(".")[0] in _IDENTITY
                                  and not (a == "groups" and LINE_BREAK.search(mapping.groups_separator))])
    if table is None:
        return
    if not _columns_found(table, aliases, mapping, source, csv_path, findings):
        return
    flag_damaged_ids(table, "id", findings)
    names = table.identity("userName", findings)
    ids = table.ids("id") or names
    email_cols = [table.identity(f"emails.{i}", findings) for i in range(len(cols.emails))] or [names]
    given = table.get_or_empty("givenName")
    family = table.get_or_empty("familyName")
    display = table.get_or_empty("displayName")
    actives = table.get("active")
    statuses = table.get_or_empty("status")
    types = table.get_or_empty("userType")
    external = table.ids("externalId") or [""] * len(table)
    groups = table.get("groups")
    created_cells = table.get("created")
    # the creation date's field as messages name it: the CSV's header, or the layout's when the CSV lacks it
    created_field = table.header("created") if created_cells is not None else cols.created
    active_words = frozenset(s.casefold() for s in mapping.active_statuses)
    inactive_words = frozenset(s.casefold() for s in mapping.inactive_statuses)
    suspended_words = frozenset(s.casefold() for s in mapping.suspended_statuses)
    never_activated_words = frozenset(s.casefold() for s in mapping.never_activated_statuses)
    labels = mapping.labels()
    attrs = table.row_attributes(tuple(aliases))
    if actives is None and not table.has("status"):
        missing_status_column(findings, csv_path, f"line {table.header_line}",
                              f"active or status (map one in {source.name})")
    count = 0
    column = table.header("groups") if groups is not None else "groups"
    for row, ref in enumerate(table.refs()):
        user_id = ids[row]
        if not user_id:
            findings.skipped("missing-id", csv_path, ref.location, table.header("id"),
                             "row has no id / userName; skipped")
            continue
        if actives is not None:
            try:
                active = parse_bool(actives[row])
                if active is None:
                    raise InvalidValue(actives[row])
            except InvalidValue:
                unreadable_status(findings, csv_path, ref.location, table.header("active"), actives[row],
                                  "true or false")
                active = None
        elif table.has("status"):
            active = status_active(statuses[row], active_words, inactive_words)
            if active is None:
                unreadable_status(findings, csv_path, ref.location, table.header("status"), statuses[row],
                                  f"a status word of {source.name} ({mapping.status_words()})")
        else:
            active = None
        user_name = names[row]
        created = (date_field(created_cells[row], created_field, ref, findings) if created_cells is not None
                   else NOT_SAID)
        added = builder.add_user(IdpUser(
            id=user_id,
            user_name=user_name,
            user_name_key=fast_email_key(user_name),
            emails=make_emails((col[row], i == 0, None) for i, col in enumerate(email_cols)),
            given_name=given[row] or None,
            family_name=family[row] or None,
            display_name=display[row] or None,
            active=active,
            status=statuses[row] or None,
            suspended=active is False and statuses[row].casefold() in suspended_words,
            never_activated=active is False and statuses[row].casefold() in never_activated_words,
            status_label=labels.get(statuses[row].casefold()) if active is not None else None,
            user_type=types[row] if types[row].casefold() in ("member", "guest") else None,
            account_type=sent_account_type(types[row]),
            external_id=external[row] or None,
            attributes=attrs[row],
            source=ref,
            created=created.value,
            created_unreadable=created.unreadable,
            created_field=created_field,
        ))
        count += added
        if added and groups is not None and groups[row]:
            names_here = [n.strip() for n in groups[row].split(mapping.groups_separator)]
            cells.append((user_id, [n for n in names_here if n], ref, column, mapping.groups_separator))
    builder.inputs.append(tf.input_file(source.input_kind, count))


def _add_typed_groups(builder: DirectoryBuilder, cells: list[GroupCell]) -> None:
    """The groups the ``groups`` cells of every CSV name (``cells``, :data:`GroupCell`), into ``builder``: one group
    per :func:`~.values.typed_team_name_key` (a name typed in each row has no id of its own, so ``Finance``,
    ``finance `` and ``FINANCE`` are one group, not three, in one CSV or across several: tester10 #13), its id and
    display name the spelling most rows use (the first such in file order on a tie); spellings that differ are one
    ``group-name-variants`` warning per group at the first row of that spelling, naming each spelling and the lines
    it is on (at most 3 a spelling; each with its file's name when the cells come from several files)."""
    several = len({ref.file for _, _, ref, _, _ in cells}) > 1
    spellings: dict[str, dict[str, list[tuple[SourceRef, str]]]] = {}
    for _, names, ref, column, _ in cells:
        for name in names:
            spellings.setdefault(typed_team_name_key(name), {}).setdefault(name, []).append((ref, column))
    chosen = {key: max(found, key=lambda s: len(found[s])) for key, found in spellings.items()}
    for user_id, names, ref, _, _ in cells:
        for name in names:
            group_id = chosen[typed_team_name_key(name)]
            if not builder.has_group(group_id):
                builder.add_group(group_id, group_id, source=ref)
            builder.add_member(group_id, user_id, "user")
    for key, found in spellings.items():
        if len(found) > 1:
            written = ", ".join(
                f"{s!r} ({', '.join(_line(ref, several) for ref, _ in rows[:3])}"
                f"{f' and {len(rows) - 3} more' if len(rows) > 3 else ''}"
                f"{'; white space in a row inside' if s.split() != s.split(' ') else ''})"  # messages show one space
                for s, rows in found.items())
            first, column = found[chosen[key]][0]
            builder.findings.warning(
                "group-name-variants", first.file, first.location, column,
                f"group names {written} differ only by letter case or spaces: a generic CSV names a group by its "
                f"cells, so they are one group, read as {chosen[key]!r} (the spelling most rows use, the first on a "
                "tie); write it one way in the source")
    _report_separator_doubts(builder, cells, chosen, several)


def _report_separator_doubts(builder: DirectoryBuilder, cells: list[GroupCell], chosen: dict[str, str],
                             several: bool) -> None:
    """The group names of ``cells`` that are likely several names typed with another separator than the mapping's
    (:func:`~.values.other_separator_split`; ``chosen``: each group's name by its typed key): one
    ``group-name-separator`` warning per such group at its first row, naming the lines (at most 3, each with its
    file's name when the cells come from several files), the separator, the pieces and the pieces that are other
    groups; each a :class:`~planner.model.GroupNameDoubt` on ``builder`` with the users whose cell names it but the
    inactive ones, whose groups decide nothing (the plan holds those users, tester11 finding 9: ``'Finance,
    Sales'`` read as one group removed Ann from team Finance without a word)."""
    splits = {(name, separator): other_separator_split(name, separator, chosen)
              for separator in {cell[4] for cell in cells} for name in chosen.values()}  # each name once
    found: dict[str, tuple[tuple[str, tuple[str, ...], tuple[str, ...]], str, str, list[tuple[str, SourceRef]]]] = {}
    for user_id, names, ref, column, separator in cells:
        for name in names:
            group_id = chosen[typed_team_name_key(name)]
            split = splits[group_id, separator]
            if split is not None:
                found.setdefault(group_id, (split, separator, column, []))[3].append((user_id, ref))
    for group_id, ((separator, pieces, known), configured, column, rows) in found.items():
        # an inactive user's groups decide nothing: the plan deactivates them whatever the cell says
        users = tuple(dict.fromkeys(u for u, _ in rows if builder.users[u].active is not False))
        first = rows[0][1]
        lines = (", ".join(_line(ref, several) for _, ref in rows[:3])
                 + (f" and {len(rows) - 3} more" if len(rows) > 3 else ""))
        builder.findings.warning(
            "group-name-separator", first.file, first.location, column,
            f"group name {group_id!r} ({lines}) splits on {separator_words(separator)} into "
            f"{', '.join(map(repr, pieces))}, and {', '.join(map(repr, known))} "
            f"{'is a group' if len(known) == 1 else 'are groups'} of this export, while the mapping's "
            f"groups_separator is {configured!r}: read as one group {group_id!r}, likely several typed with "
            f"{separator_words(separator)}; the plan holds the {len(users)} active user(s) whose cell names it; "
            f"write the cell with {configured!r} in the source if it means several groups")
        builder.group_name_doubts.append(GroupNameDoubt(group_id, separator, pieces, known, configured, users, column))


def _line(ref: SourceRef, with_file: bool) -> str:
    """``line 5``, or ``people.csv line 5`` when the cells come from several files."""
    return f"{Path(ref.file).name} {ref.location}" if with_file else ref.location


def load(files: dict[str, list[Path]], findings: Findings) -> IdpDirectory:
    """Load generic CSVs (role ``csv``) with their mapping(s) (role ``mapping``).

    Errors: ``missing-mapping`` (CSV without a mapping), ``ambiguous-mapping``
    (several mappings, one of them without ``users:``), ``invalid-mapping``.
    """
    builder = DirectoryBuilder(FORMAT, findings)
    mappings = files.get("mapping", [])
    csvs = files.get("csv", [])
    if not mappings:
        first = csvs[0] if csvs else Path(".")
        findings.error("missing-mapping", first, "", "",
                       "generic-csv needs a mapping YAML (columns: userName: ...) next to the CSV "
                       "or as another --idp path")
        return builder.build()
    loaded = [(p, read_mapping(p, findings)) for p in mappings]
    loaded = [(p, m) for p, m in loaded if m is not None]
    if len(loaded) > 1 and any(not m.users for _, m in loaded):
        findings.error("ambiguous-mapping", loaded[0][0], "", "users",
                       "several mapping files: each must name its CSV with users:")
        return builder.build()
    cells: list[GroupCell] = []
    for path, mapping in loaded:
        targets = [(path.parent / u) for u in mapping.users] if mapping.users else csvs
        if not targets:
            findings.error("missing-file", path, "", "users", "no CSV file to read with this mapping")
        for csv_path in targets:
            with guarded(csv_path, findings, f"CSV mapped by {path.name}"):
                _users(csv_path, mapping, MappingSource(path, path.name), builder, findings, cells)
    _add_typed_groups(builder, cells)
    return builder.build()


ONELOGIN_FORMAT = "onelogin"

ONELOGIN = Mapping(
    columns=ColumnMap(userName="email", id="id", emails=("email",), givenName="firstname", familyName="lastname",
                      status="status", created="created_at"),
    active_statuses=("1", "3", "4", "5", "7", "8"),
    inactive_statuses=("0", "2"),
    suspended_statuses=("2",),
    never_activated_statuses=("0",),
    status_labels={"0": "Unactivated", "1": "Active", "2": "Suspended", "3": "Locked", "4": "Password expired",
                   "5": "Awaiting password reset", "7": "Password pending", "8": "Security questions required"},
)
"""The ``onelogin`` layout (``--idp-format onelogin``): a OneLogin users CSV as OneLogin's SDK sample writes it
(docs/formats.md §5: snake_case headers ``id``, ``email``, ``firstname``, ``lastname``, ``status``...). ``status``
is a number (§5): 1 Active and 3 Locked, 4 Password expired, 5 Awaiting password reset, 7 Password pending, 8
Security questions required are active accounts (a temporary state, as Okta's ``LOCKED_OUT`` / ``PASSWORD_EXPIRED`` /
``RECOVERY``, §2a); 2 Suspended is suspended (:func:`planner.rules.idp_status.suspended`); 0 Unactivated was never
activated (:func:`planner.rules.idp_status.never_activated`, as Okta's ``STAGED``); any other value (``6``, empty)
is an ``unreadable-status`` error (tester16a finding 1). ``userName`` is the ``email`` column, what OneLogin's Sigma
app sends; an app that sends another field is read with a generic CSV mapping (the same keys in YAML). The
``external_id`` column (a directory's id, not the SCIM externalId), ``username``, ``role_ids`` (role ids, no
names) and the other columns are kept as attributes; no column is read as groups. ``created_at`` (ISO 8601 UTC, §5)
is the user's creation date (``created``: ``linking.rehire``, ``unmatched.new_member``, read by
:func:`~.values.date_field` as every format's); a CSV without the column loads, and the rules that decide on it
cannot tell (``missing-rule-column``; was: the column was ignored and the rules never fired, tester21 finding 8's
note)."""

ONELOGIN_SOURCE = MappingSource(
    None, "the onelogin layout", "onelogin.users",
    "it reads the columns of OneLogin's SDK sample export (docs/formats.md §5); read another export with a generic "
    "CSV mapping, without --idp-format onelogin", frozenset({"created"}))


def load_onelogin(files: dict[str, list[Path]], findings: Findings) -> IdpDirectory:
    """Load OneLogin users CSVs (role ``csv``) with the built-in :data:`ONELOGIN` layout (``--idp-format onelogin``).

    Errors: ``ambiguous-mapping`` for a mapping YAML given too (role ``mapping``): the layout is built in and the
    loader does not guess which of the two reads the CSV; the generic loader's (``missing-column`` at the CSV's
    header line, ``unreadable-status``...)."""
    builder = DirectoryBuilder(ONELOGIN_FORMAT, findings)
    for path in files.get("mapping", []):
        findings.error("ambiguous-mapping", path, "", "",
                       "a generic CSV mapping beside --idp-format onelogin, whose layout is built in "
                       "(docs/formats.md §5): the loader does not guess which of the two reads the CSV; drop "
                       "--idp-format onelogin to read it with this mapping, or remove the file")
    csvs = files.get("csv", [])
    if files.get("mapping"):
        return builder.build()
    cells: list[GroupCell] = []
    for csv_path in csvs:
        with guarded(csv_path, findings, "OneLogin users CSV"):
            _users(csv_path, ONELOGIN, ONELOGIN_SOURCE, builder, findings, cells)
    return builder.build()
