"""Address takeover: a link a match key made that would hand a member's account to another person.

Sigma links a SCIM user to the member with its email (docs/sigma-api.md §5.3): whoever the IdP sends
with a member's address gets that member, with its documents, private folders and teams. An address
is no proof of the person in two cases an identity admin meets every week (tester13 finding 1):

- **a secondary address** (``linking.secondary_address``): the link was made through an address of
  the IdP user other than the one it signs in with (the SCIM userName the app sends, per
  ``linking.scim_user_name``): Okta ``secondEmail``, Okta ``profile.email`` differing from ``login``,
  Entra ``proxyAddresses`` (``smtp:``) / ``otherMails`` / ``mail`` differing from the UPN, Google
  ``aliases``. When someone leaves, M365 and Google admins routinely add the leaver's address as an
  alias of the successor's or manager's mailbox (Google's own "delete user" flow offers it), so such
  an address is often a *leaver's*. When the member's and the IdP user's names agree
  (:func:`compare_names`: the one comparison of :mod:`planner.person_names`: the same words, order, width,
  letter case and accents aside, or one name within the other; the IdP user's ``displayName`` when a side lacks a
  part) the link stays: it is the usual old-domain or
  alias address of the same person. Otherwise (names differ, or one side has none: a missing name is no
  agreement) it is one blocking item;
- **a recycled address** (``linking.recycled_address``): the link was made through the address the
  IdP user signs in with, but the IdP made the user (Okta ``created``, Entra ``createdDateTime``,
  Google ``creationTime``, a SCIM ListResponse's ``meta.created``) :data:`RECYCLED_AFTER` or more after
  Sigma made the member (``createdAt``), and the names share no part (or a side has no name: no name is
  no evidence of sameness): a new person given a leaver's address, blocking. Names that are not one are
  informational when the IdP user was made after the member by less, or when one name part is alike (a
  marriage, a nickname, a corrected spelling): a rename in the IdP is common and the link sends the IdP's
  name, so the item only asks to check. An IdP user made before the member (the IdP account held the address
  when Sigma made the member) raises nothing. An unreadable or missing date never weakens this (tester17
  findings 3 and 4: an Excel-damaged ``createdDateTime``, the Entra download without the column, a Sigma
  ``createdAt`` re-saved by Excel linked a stranger to a leaver's account): the verdict is the one of the
  longest gap the dates allow (:func:`creation_gap`: a year-last date is each day it may be, a missing one
  any time), so names apart with a date that cannot rule a new person out are blocking, and the message says
  which value is missing or unreadable (file, row, column) or, when every reading gives the same verdict,
  the gap each gives. A side without a name and no date to bound the gap is no item, as before: nothing
  says another person (:func:`_recycled_verdict`).
  A rehire whose IdP user the IdP made after Sigma archived the member gets no recycled-address item: its own
  blocking ``linking.rehire`` asks the same question with the same settlements (:func:`asked_as_rehire`).

A blocking item names both people, the address, both names (and for a recycled address both dates),
and the two settlements as policy: ``never`` for the IdP user (another person: the member follows
``unmatched`` and the IdP user is created; at a recycled address, which Sigma keeps for the member, with
``linking.duplicates: {<memberId>: rename}`` moving the member to an alias first,
:func:`planner.rules.duplicates.moved_onto`), or ``linking.overrides`` linking them (the same person). The item's subject
names the member and the IdP user, so :func:`planner.planning.hold_questioned` holds them (no link, no
create, no deactivation of either) until the policy decides. Links by ``linking.overrides`` (a reviewer
decided), by Sigma's SCIM state (``scim.reused_address`` asks its own question) and by an attribute key
(an identifier, not an address) are not judged.

Each rule is a function of one linked person; :func:`takeover_items` folds them (one pass over the
links, a few string comparisons each: no table is scanned per person).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Iterable

from ..directory import Directory, Person, PersonStatus
from ..model import IdpUser, ItemEvidence, ReviewItem, SigmaMember, email_key
from ..payloads import UNSET
from ..person_names import SAME, WITHIN, compare, idp_person_name, member_person_name, shares_a_word
from ..policy import NEVER
from ..sources.entra import ext_upn_address
from ..sources.values import change_time, clean_text, date_doubt, day_words, local_date_days, local_date_span
from . import make_review, person_ref, yaml_snippet

RECYCLED_AFTER = timedelta(days=90)
"""How much later than the member the IdP user must have been made for a primary-address link whose names
differ to be a recycled address (blocking): a quarter, longer than any onboarding gap between an IdP account
and the Sigma invitation, far shorter than the years a leaver's address waits for its next holder."""

ADDRESS_KEYS = frozenset({"user_name", "emails", "domain_aliases", "plus_address_folding"})
"""The match key labels that join by address (:mod:`planner.matching`); an attribute key, an override and
Sigma's SCIM state are not judged here."""

_LINK, _REACTIVATE, _REHIRE, _GUEST = (PersonStatus.LINK, PersonStatus.REACTIVATE, PersonStatus.REHIRE,
                                      PersonStatus.GUEST)
"""The statuses of linked people whose link would give the IdP user the member (a guest when ``guests.action:
convert`` converts and links them, :func:`takeover_item`), compared by identity (enum members are singletons; hashing one is slow): a
leaver's or out-of-scope link provisions nobody, a held one is asked already."""

AGREE, DIFFER, MISSING = "agree", "differ", "missing"


def _folded(name: str) -> str:
    """A name part compared letter case and accents aside: as the plan writes it
    (:func:`~planner.sources.values.clean_text`: no control or invisible characters, trimmed), then NFKD,
    combining marks dropped, case-folded."""
    text = unicodedata.normalize("NFKD", clean_text(name))
    return " ".join("".join(c for c in text if not unicodedata.combining(c)).casefold().split())


def _given(text: str | None) -> bool:
    return bool(text and text.strip())


def member_name(member: SigmaMember) -> tuple[str, str]:
    """The member's best name as ``(fields, text)``: ``("firstName lastName", "Alan Brooks")``, one part
    when only one is set (``("firstName", "Alan")``), ``("firstName lastName", "")`` when neither (Sigma's
    members carry no other name field; members made by the API or JIT often have none: tester17 finding 4)."""
    first, last = _given(member.first_name), _given(member.last_name)
    if first and last:
        return "firstName lastName", f"{member.first_name.strip()} {member.last_name.strip()}"
    if first or last:
        return ("firstName", member.first_name.strip()) if first else ("lastName", member.last_name.strip())
    return "firstName lastName", ""


def user_name_words(user: IdpUser) -> tuple[str, str]:
    """The IdP user's best name as ``(fields, text)``: ``givenName familyName`` when both are set, else its
    ``displayName`` (Entra cloud accounts made in the portal or by a script often have only that: tester17
    finding 4), else the one name part set, else ``("givenName familyName", "")``."""
    given, family = _given(user.given_name), _given(user.family_name)
    if given and family:
        return "givenName familyName", f"{user.given_name.strip()} {user.family_name.strip()}"
    if _given(user.display_name):
        return "displayName", user.display_name.strip()
    if given or family:
        return ("givenName", user.given_name.strip()) if given else ("familyName", user.family_name.strip())
    return "givenName familyName", ""


def _words(name: str) -> list[str]:
    """The folded words of a whole name, commas aside (``'Sharma, Priyanka'`` -> ``['sharma', 'priyanka']``)."""
    return _folded(name.replace(",", " ")).split()


@dataclass(frozen=True, slots=True)
class NameComparison:
    """How the member's and the IdP user's names compare (:func:`compare_names`): ``verdict`` :data:`AGREE`,
    :data:`DIFFER` or :data:`MISSING`; ``differences`` each part (or whole name) that is not one, as items
    say it (``"firstName 'Alan' / givenName 'Jonas'"``); ``alike``: names that differ share a part (a marriage,
    a nickname, a corrected spelling)."""

    verdict: str
    differences: tuple[str, ...]
    alike: bool = False


def compare_names(member: SigmaMember, user: IdpUser) -> NameComparison:
    """The member's and the IdP user's names compared on the best name each side has (tester17 finding 4), by
    the one comparison every "same person?" rule reads (:func:`planner.person_names.compare`: words split on
    spaces, hyphens and commas, width, accents and letter case aside; tester18 finding 4):

    - :data:`AGREE` when the names are the same words, order aside (``'Sharma, Priyanka'`` = ``'Priyanka
      Sharma'``, ``Dunmore``/``Greta`` = ``Greta``/``Dunmore``), or one name's words (two or more) are all among
      the other's (a middle name, a double surname): :data:`~planner.person_names.SAME` or
      :data:`~planner.person_names.WITHIN`;
    - :data:`MISSING` when a side has no name at all: nothing to compare, which is no agreement;
    - :data:`DIFFER` otherwise, ``alike`` when they share a word or their given names agree (a marriage, a
      nickname, a corrected spelling: :func:`planner.person_names.shares_a_word`).

    ``differences``: each part that is not one when both sides have both parts (``firstName``/``givenName``,
    ``lastName``/``familyName``), else the whole names (:func:`member_name`, :func:`user_name_words`: the IdP
    user's ``displayName`` when it lacks a part)."""
    mf, ml, ug, uf = member.first_name, member.last_name, user.given_name, user.family_name
    m_name, u_name = member_person_name(member), idp_person_name(user)
    verdict = compare(m_name, u_name)
    if verdict == SAME or verdict == WITHIN:
        return NameComparison(AGREE, ())
    alike = shares_a_word(m_name, u_name)
    if _given(mf) and _given(ml) and _given(ug) and _given(uf):
        out = tuple(f"{sigma} {a!r} / {idp} {b!r}"
                    for sigma, idp, a, b in (("firstName", "givenName", mf, ug), ("lastName", "familyName", ml, uf))
                    if _folded(a) != _folded(b))
        return NameComparison(DIFFER if out else AGREE, out, alike=alike)
    (m_fields, m_text), (u_fields, u_text) = member_name(member), user_name_words(user)
    if not m_text and _given(ug) and _given(uf):  # as a secondary address has always said it
        return NameComparison(MISSING, (f"firstName {(mf or '')!r} / givenName {ug!r}",
                                        f"lastName {(ml or '')!r} / familyName {uf!r}"))
    difference = (f"{m_fields} {m_text!r} / {u_fields} {u_text!r}",)
    if not (m_text and u_text):
        return NameComparison(MISSING, difference)
    if sorted(_words(m_text)) == sorted(_words(u_text)):
        return NameComparison(AGREE, ())
    return NameComparison(DIFFER, difference, alike=alike)


def name_verdict(member: SigmaMember, user: IdpUser) -> str:
    """Whether the member's and the IdP user's names are one (:func:`compare_names`): :data:`AGREE`,
    :data:`DIFFER` or :data:`MISSING` (a side has no name: no agreement, nothing to compare)."""
    return compare_names(member, user).verdict


def names_phrase(member: SigmaMember, user: IdpUser) -> str:
    """Both best names as the item says them (:func:`member_name`, :func:`user_name_words`):
    ``member 'Alan Brooks', IdP user 'Jonas Weber'`` (``(none)`` for a side without a name)."""
    m_text, u_text = member_name(member)[1], user_name_words(user)[1]
    return f"member {repr(m_text) if m_text else '(none)'}, IdP user {repr(u_text) if u_text else '(none)'}"


def name_differences(member: SigmaMember, user: IdpUser) -> list[str]:
    """Each name part (or whole name) that is not one (:func:`compare_names`):
    ``"firstName 'Alan' / givenName 'Jonas'"``, ``"firstName lastName 'Alan Brooks' / displayName 'P. Sharma'"``."""
    return list(compare_names(member, user).differences)


def is_secondary_address(person: Person, directory: Directory) -> bool:
    """Whether ``person``'s link (an address match key) joined through an address of the IdP user other
    than the userName its app sends (:attr:`~planner.directory.Directory.scim_user_name_keys`) and, for an
    Entra B2B guest whose userName is its ``#EXT#`` UPN, the invited address that UPN was made from
    (:func:`planner.sources.entra.ext_upn_address`): both are the address the user signs in with."""
    link = person.link
    if link.key == "user_name":
        return False
    joined = email_key(link.idp_value)
    if joined == directory.scim_user_name_keys[person.idp_id]:
        return False
    guest_address = ext_upn_address(directory.scim_user_names[person.idp_id])
    return guest_address is None or joined != email_key(guest_address)


def takeover_item(person: Person, directory: Directory, converts: bool = False) -> ReviewItem | None:
    """The ``linking.secondary_address`` or ``linking.recycled_address`` item of one linked ``person``
    (module docstring), ``None`` when the link is no doubt. ``converts``: ``guests.action: convert``, under
    which a guest member whose IdP user is in scope is converted and linked (judged like a link)."""
    link, status = person.link, person.status
    if link is None or link.key not in ADDRESS_KEYS or not (
            status is _LINK or status is _REACTIVATE or status is _REHIRE
            or (status is _GUEST and converts and person.idp_id in directory.in_scope_idp_ids)):
        return None
    member, user = person.member, person.idp_user
    names = compare_names(member, user)
    if names.verdict == AGREE:
        return None
    if is_secondary_address(person, directory):
        return secondary_address_item(person, directory)
    if asked_as_rehire(person):
        return None
    dates = creation_gap(member, user)
    strong = names.verdict == MISSING or not names.alike
    verdict = _recycled_verdict(strong, names.verdict, dates.most)
    if verdict is None:
        return None
    decided = dates.least is not None and _recycled_verdict(strong, names.verdict, dates.least) is verdict
    return recycled_address_item(person, directory, dates, blocking=verdict, decided=decided)


def asked_as_rehire(person: Person) -> bool:
    """Whether ``person``'s own ``linking.rehire`` item (:func:`planner.rules.linking.made_after_archive_item`) asks
    the recycled address's question already: a rehire (not a guest, whose return :mod:`.guests` asks about) whose IdP
    user the IdP made after Sigma archived the member (:func:`made_after_archive`). That item names both names and
    both dates and offers the very settlements of :func:`recycled_address_item` (``never`` with the member's address
    freed, or a ``linking.overrides`` link), so the link through the address the user signs in with gets no
    ``linking.recycled_address`` beside it: one person, one item per doubt (t20b: the other-name repro, 'Wei Zhang'
    at maria.gomez@'s recycled address, gave one person both items, blocking, with the same settlements)."""
    return (person.status is _REHIRE and person.member.user_kind != "guest"
            and made_after_archive(person.member, person.idp_user) is not None)


BLOCK, INFORM = True, False
"""The two verdicts of :func:`_recycled_verdict` (the item's ``blocking``); ``None``: no item."""


def _recycled_verdict(strong: bool, verdict: str, gap: timedelta | None) -> bool | None:
    """The item a primary-address link whose names are not one gets when the IdP made the user ``gap`` after
    Sigma made the member (``None``: any time after, however long): :data:`BLOCK` when ``gap`` is
    :data:`RECYCLED_AFTER` or more and the names are ``strong``ly apart (no part alike, or a side without a name:
    no name is no evidence of sameness, tester17 finding 4); :data:`INFORM` when the names differ and the IdP
    made the user later; ``None`` (no item) otherwise, and when a side has no name and no date bounds the gap
    (``gap`` ``None``: a format that dates no user, a member without ``createdAt``): nothing then says another
    person, and holding every such link would hold every member made by the API in an undated export. Monotone in
    a bounded ``gap``: the verdicts at both ends of a span of gaps are those of every gap between
    (:func:`creation_gap`)."""
    if verdict == MISSING and gap is None:
        return None
    wide = gap is None or gap >= RECYCLED_AFTER
    if strong and wide:
        return BLOCK
    if verdict == DIFFER and (gap is None or gap > timedelta(0)):
        return INFORM
    return None


@dataclass(frozen=True, slots=True)
class CreatedDate:
    """When one side made the person, as the rule can use it: ``earliest``/``latest`` (UTC; equal for a date
    read exactly, ``None`` unbounded: not said, or unreadable with no day to read), ``days`` (the calendar days
    a year-last date may be, :func:`planner.sources.values.local_date_days`) and ``phrase`` (how the item says
    it, naming file, row and column of a value missing or unreadable)."""

    earliest: datetime | None
    latest: datetime | None
    days: tuple[date, ...]
    phrase: str

    @property
    def exact(self) -> bool:
        return self.earliest is not None and self.earliest == self.latest


@dataclass(frozen=True, slots=True)
class CreationGap:
    """How much later the IdP made the user than Sigma the member (:func:`creation_gap`): ``least``/``most``
    (``None``: unbounded), ``user``/``member`` the two :class:`CreatedDate`."""

    least: timedelta | None
    most: timedelta | None
    user: CreatedDate
    member: CreatedDate


def _moment(text: str | None) -> datetime | None:
    """A time read by :func:`planner.sources.values.change_time` (``2024-08-09T18:05:00.000Z``; with ``T`` and no
    zone: UTC), ``None`` when absent or unreadable: a spreadsheet's local date (``2024-08-09 18:05``, no ``T``, no
    zone) is read by its days instead (:func:`_bounds`; was: read as UTC here, tester21 finding 10)."""
    read = change_time(text)
    return datetime.fromisoformat(read[:-1] + "+00:00") if read else None


def _created(read: datetime | None, written: str | None, phrase_read: str, phrase_unreadable: str,
             phrase_missing: str) -> CreatedDate:
    earliest, latest = _bounds(read, written)
    if read is not None:
        return CreatedDate(read, read, (), phrase_read)
    if written:
        return CreatedDate(earliest, latest, () if earliest is None else local_date_days(written), phrase_unreadable)
    return CreatedDate(None, None, (), phrase_missing)


def _bounds(read: datetime | None, written: str | None) -> tuple[datetime | None, datetime | None]:
    """``(earliest, latest)`` of a :class:`CreatedDate`: ``read`` twice, else the span of a locale's date
    ``written`` (:func:`planner.sources.values.local_date_span`), else ``(None, None)``."""
    if read is not None:
        return read, read
    if written and (span := local_date_span(written)) is not None:
        return span
    return None, None


def user_made(user: IdpUser) -> tuple[datetime | None, datetime | None]:
    """``(earliest, latest)`` of :func:`user_created` without its phrase (speed20: the same-person hints' keys read
    the bounds of every would-be create; the phrases are written for the items only)."""
    return _bounds(_moment(user.created), user.created_unreadable)


def member_made(member: SigmaMember) -> tuple[datetime | None, datetime | None]:
    """``(earliest, latest)`` of :func:`member_created` without its phrase (as :func:`user_made`)."""
    read = _moment(member.created_at)
    return _bounds(read, None if read else member.created_at)


def _where(record: IdpUser | SigmaMember, field: str) -> str:
    src = record.source
    if src is None:
        return field
    return f"{src.file}, {src.location}, {field}" if src.location else f"{src.file}, {field}"


def creation_gap(member: SigmaMember, user: IdpUser) -> CreationGap:
    """When the IdP made ``user`` (:func:`user_created`) against when Sigma made ``member`` (:func:`member_created`),
    as a span of gaps: exact when both dates are read; a year-last date a spreadsheet wrote (``10/1/2026 9:00``)
    is each day it may be (day or month first), whole and in any zone
    (:func:`planner.sources.values.local_date_span`); a date missing, or unreadable with no day to read, leaves the
    span open on that side. Each side's phrase names the file, row and column of a missing or unreadable value
    (tester17 finding 3)."""
    user_date = user_created(user)
    member_date = member_created(member)
    least = (user_date.earliest - member_date.latest
             if user_date.earliest is not None and member_date.latest is not None else None)
    most = (user_date.latest - member_date.earliest
            if user_date.latest is not None and member_date.earliest is not None else None)
    return CreationGap(least, most, user_date, member_date)


def user_created(user: IdpUser) -> CreatedDate:
    """When the IdP made ``user``: its ``created``, else as the export wrote it when it could not be read
    (``created_unreadable``, :func:`planner.sources.values.date_field`)."""
    iid = user.id
    field = user.created_field
    written = user.created_unreadable
    return _created(
        _moment(user.created), written,
        f"the IdP made {iid} {user.created}",
        f"the IdP made {iid} at {written!r} ({_where(user, field or 'created')}), which {date_doubt(written or '')}",
        f"the export does not say when the IdP made {iid} ({_where(user, field)}: no value)" if field else
        f"the export does not say when the IdP made {iid} (its format dates no user)")


def member_created(member: SigmaMember) -> CreatedDate:
    """When Sigma made ``member``: its ``createdAt``, kept as written (:func:`planner.sources.sigma._created_at`)."""
    at = member.created_at
    m_read = _moment(at)
    return _created(
        m_read, None if m_read else at,
        f"Sigma made the member {at}",
        f"Sigma made the member at {at!r} ({_where(member, 'createdAt')}), which cannot be read",
        f"the Sigma export does not say when it made the member ({_where(member, 'createdAt')}: no value)")


def _readings(dates: CreationGap, iid: str) -> str:
    """Every reading of the dates and the gaps they give, said when all give one verdict: ``read as 10 January
    2026 or as 1 October 2026, the IdP made <id> 518 or 782 days after Sigma made the member, which every reading
    decides alike`` (days at midnight UTC of each reading)."""
    def points(side: CreatedDate) -> list[datetime]:
        return [side.earliest] if side.exact else [datetime(d.year, d.month, d.day, tzinfo=timezone.utc)
                                                   for d in side.days]
    gaps = sorted({(u - m).days for u in points(dates.user) for m in points(dates.member)})
    span = (f"{gaps[0]}" if len(gaps) == 1 else f"{gaps[0]} or {gaps[1]}" if len(gaps) == 2
            else f"{gaps[0]} to {gaps[-1]}")
    named = " and ".join("read as " + " or as ".join(day_words(d) for d in side.days)
                         for side in (dates.user, dates.member) if side.days)
    return f"{named}, the IdP made {iid} {span} days after Sigma made the member, which every reading decides alike"


def takeover_items(people: Iterable[Person], directory: Directory, converts: bool = False) -> list[ReviewItem]:
    """The :func:`takeover_item` of each linked person (member and IdP user both set), in ``people``'s order
    (memberId). A person whose names are one as typed (the common case) is passed over in a few comparisons,
    without a call: this runs once per link (under 0.1 CPU s for 95,000 links)."""
    items = []
    for p in people:
        m, u = p.member, p.idp_user
        first, last = m.first_name, m.last_name
        if first == u.given_name and last == u.family_name and first and last and first.strip() and last.strip():
            continue  # name_verdict: AGREE
        if (item := takeover_item(p, directory, converts)) is not None:
            items.append(item)
    return items


def _takeover_review(code: str, person: Person, directory: Directory, message: str, blocking: bool, other: str,
                     freeing: dict, **evidence) -> ReviewItem:
    """The item ``code`` about ``person`` (id ``<code>:<memberId>``, subject both ids, so
    :func:`planner.planning.hold_questioned` holds both while it is blocking), rule the match key that linked them,
    evidence ``linkedBy``, ``sigmaEmail``, ``idpUserName``, ``differences`` and ``evidence``, and the two
    settlements (:func:`person_settlements`, ``other``, ``freeing``)."""
    member, user, key = person.member, person.idp_user, person.link.key
    sent = directory.scim_user_names[person.idp_id]
    return make_review(
        code, person.member_id, blocking=blocking,
        subject=person_ref(member_id=person.member_id, email=member.email, idp_id=person.idp_id, user_name=sent),
        message=message,
        rule=f"linking.match_keys.{key}",
        evidence=ItemEvidence(linked_by=key, sigma_email=member.email, idp_user_name=sent,
                              differences=name_differences(member, user), **evidence),
        resolution=person_settlements(person, directory, other, freeing),
    )


def person_settlements(person: Person, directory: Directory, other: str, freeing: dict) -> str:
    """The two policy snippets: ``never`` for the IdP user, with the ``linking`` entries ``freeing`` the member's
    address for its create (``other``: what then happens), or link them (``linking.overrides``)."""
    mid, iid = person.member_id, person.idp_id
    user_name = directory.scim_user_names[iid]
    return yaml_snippet(
        {"linking": {"overrides": [{"idp": iid, "member": NEVER}], **freeing}},
        {"linking": {"overrides": [{"idp": iid, "member": mid}]}},
        notes=[f"another person: never link IdP user {iid} ({user_name}); {other}; "
               f"or the same person: link them (the member's account, documents and teams become {user_name}'s):"])


def secondary_address_item(person: Person, directory: Directory) -> ReviewItem:
    """Blocking ``linking.secondary_address``: ``person`` was linked only through an address of the IdP user
    that is not the one it signs in with, and the names are not one (module docstring)."""
    member, user, link = person.member, person.idp_user, person.link
    mid, iid = person.member_id, person.idp_id
    sent = directory.scim_user_names[iid]
    message = (f"IdP user {iid} ({sent}) matches member {mid} ({member.email}) only through its {link.idp_field} "
               f"{link.idp_value!r}, not the address it signs in with, and the names are not one "
               f"({names_phrase(member, user)}): a leaver's address is often kept as an alias of another person's "
               f"mailbox, so the link would give {sent} the member's account, documents and teams; neither is "
               "linked, created nor deactivated until the policy decides")
    return _takeover_review("linking.secondary_address", person, directory, message, True,
                            f"member {mid} then follows `unmatched` and {sent} is created", {}, address=link.idp_value)


def recycled_address_item(person: Person, directory: Directory, dates: CreationGap, *,
                          blocking: bool, decided: bool = True) -> ReviewItem:
    """``linking.recycled_address`` of ``person``, linked through the address the IdP user signs in with
    while the names are not one (``dates``: how much later the IdP made the user than Sigma the member,
    :func:`creation_gap`): ``blocking`` per :func:`_recycled_verdict` at the longest gap the dates allow (module
    docstring); ``decided``: every gap the dates allow gives that verdict. The message says both dates: the gap in days when both are read; each date missing or
    unreadable with its file, row and column, and either the gap every reading of them gives (when all give
    this verdict) or that it cannot be told (tester17 finding 3)."""
    member, user = person.member, person.idp_user
    mid, iid = person.member_id, person.idp_id
    sent = directory.scim_user_names[iid]
    if dates.user.exact and dates.member.exact:
        made = (f"the IdP made {iid} {user.created}, {dates.most.days} days after Sigma made the member "
                f"({member.created_at})")
    elif decided:
        made = f"{dates.user.phrase}; {dates.member.phrase}; {_readings(dates, iid)}"
    else:
        made = (f"{dates.user.phrase}; {dates.member.phrase}; so how much later the IdP made {iid} than Sigma the "
                "member cannot be told")
    head = (f"IdP user {iid} ({sent}) signs in with member {mid}'s address {member.email!r} but the names are not "
            f"one ({names_phrase(member, user)}); {made}")
    if blocking:
        message = (f"{head}: a new person given a leaver's address, or the same person renamed? The link would give "
                   f"{sent} the member's account, documents and teams; neither is linked, created nor deactivated "
                   "until the policy decides")
    else:
        message = (f"{head}: linked, sending the IdP's name (a rename in the IdP is common); if {sent} is another "
                   "person than the member, settle it in the policy before applying")
    other = (f"member {mid}'s address is freed first (linking.duplicates: rename, an alias; Sigma keeps one member "
             f"per address), then it follows `unmatched` and {sent} is created")
    return _takeover_review("linking.recycled_address", person, directory, message, blocking, other,
                            {"duplicates": {mid: "rename"}}, created_at=member.created_at or UNSET,
                            idp_created=user.created)


@dataclass(frozen=True, slots=True)
class MadeAfterArchive:
    """An IdP user the IdP made after Sigma archived (or SCIM deactivated) the member it matches
    (:func:`made_after_archive`): ``user`` when the IdP made it, ``archived`` when the member left (its
    ``archivedAt`` when the export has one, else its ``updatedAt``: an archived account is not edited), ``phrase``
    how an item says both."""

    user: CreatedDate
    archived: CreatedDate
    phrase: str


def member_archived(member: SigmaMember) -> CreatedDate:
    """When Sigma archived (or SCIM deactivated) ``member``, at the latest: its ``archivedAt`` when the export has
    one, else its ``updatedAt`` (the last change of an archived member, which nothing edits after the archive; a
    later edit only moves the date later, never earlier); unbounded when neither is said."""
    raw = member.raw.get("archivedAt") if member.raw else None
    field, at = ("archivedAt", raw) if isinstance(raw, str) and raw.strip() else ("updatedAt", member.updated_at)
    read = _moment(at)
    state = "archived" if member.is_archived else "deactivated"
    return _created(
        read, None if read else at,
        f"Sigma {state} the member {at} ({field})" if field == "archivedAt" else
        f"Sigma {state} the member by {at} (its updatedAt)",
        f"Sigma {state} the member at {at!r} ({_where(member, field)}), which cannot be read",
        f"the Sigma export does not say when it {state} the member ({_where(member, field)}: no value)")


def made_after_archive(member: SigmaMember, user: IdpUser, directory: Directory | None = None
                       ) -> MadeAfterArchive | None:
    """Whether the IdP may have made ``user`` after Sigma archived ``member`` (tester20 finding 4): the IdP user's
    creation (:func:`user_created`) after the member's archive (:func:`member_archived`) on some reading of the two
    dates (a year-last date is each day it may be, :func:`creation_gap`'s rule), ``None`` when every reading puts
    the IdP user first (it held the address while the member was still in use: the same account of the same
    person) or when a date is not said at all (as before this rule: ``linking.archived_members`` decides). A date
    whose file lacks the column (``directory``'s :meth:`~planner.directory.Directory.lacks`: a Sigma members file
    without ``updatedAt``, an IdP users file without its creation date) is not "not said" but cannot tell: the
    result then says which file lacks which column (tester21 finding 7: Ruth Adler, archived 2022, reactivated for
    an IdP user made 2025 from a members.csv without the date columns, 0 blocking).

    Such a reactivation would give an archived member (a leaver's account: history, home folder, teams, whatever
    documents it still owns) to whoever holds the address now; the "a rename in the IdP is common" reason that lets
    name-alike links stay cannot hold, since an archived account is not renamed. :func:`.linking.linked_status`
    makes it a blocking ``linking.rehire`` whatever the names and ``linking.archived_members`` say, settled per
    person by ``linking.overrides``."""
    made, archived = user_created(user), member_archived(member)
    if made.latest is None or archived.earliest is None:
        return _archive_untold(member, user, made, archived, directory)
    if made.latest <= archived.earliest:
        return None
    if made.exact and archived.exact:
        days = (made.earliest - archived.earliest).days
        phrase = f"the IdP made {user.id} {user.created}, {days} days after {archived.phrase}"
    else:
        phrase = f"{made.phrase}; {archived.phrase}, so the IdP may have made {user.id} after the archive"
    return MadeAfterArchive(made, archived, phrase)


def _archive_untold(member: SigmaMember, user: IdpUser, made: CreatedDate, archived: CreatedDate,
                    directory: Directory | None) -> MadeAfterArchive | None:
    """:func:`made_after_archive` when a date is missing: ``None`` (not said) unless the file of a missing date lacks
    its column, then the two sides said, each missing one as its file's column (tester21 finding 7)."""
    if directory is None:
        return None
    user_lacks = (directory.lacks(user, user.created_field)
                  if made.latest is None and not user.created_unreadable else None)
    member_lacks = directory.lacks(member, "updatedAt") if archived.earliest is None and not member.updated_at else None
    if user_lacks is None and member_lacks is None:
        return None
    state = "archived" if member.is_archived else "deactivated"
    user_side = (f"the export does not say when the IdP made {user.id} ({user_lacks.words()})" if user_lacks
                 else made.phrase)
    member_side = (f"the Sigma export does not say when it {state} the member ({member_lacks.words()})"
                   if member_lacks else archived.phrase)
    phrase = (f"{user_side}; {member_side}, so whether the IdP made {user.id} after the archive cannot be told")
    return MadeAfterArchive(made, archived, phrase)
