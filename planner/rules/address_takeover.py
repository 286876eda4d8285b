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
  (:func:`name_verdict`: given and family names, letter case and accents aside) the link stays: it is
  the usual old-domain or alias address of the same person. Otherwise (names differ, or one side has
  none: a missing name is no agreement) it is one blocking item;
- **a recycled address** (``linking.recycled_address``): the link was made through the address the
  IdP user signs in with, but the IdP made the user (Okta ``created``, Entra ``createdDateTime``,
  Google ``creationTime``, a SCIM ListResponse's ``meta.created``) :data:`RECYCLED_AFTER` or more after
  Sigma made the member (``createdAt``), and both the given and the family name differ: a new person
  given a leaver's address, blocking. Otherwise names that are not one are informational when the
  dates cannot rule a new person out (a date missing or unreadable, the IdP user made after the member
  by less, or one name part alike: a marriage, a nickname, a corrected spelling; a name missing on a
  side): a rename in the IdP is common and the link sends the IdP's name, so the item only asks to
  check. An IdP user made before the member (the IdP account held the address when Sigma made the
  member) raises nothing.

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
from datetime import timedelta
from typing import Iterable

from ..directory import Directory, Person, PersonStatus, time_between
from ..model import IdpUser, ItemEvidence, ReviewItem, SigmaMember, email_key
from ..payloads import UNSET
from ..policy import NEVER
from ..sources.entra import ext_upn_address
from ..sources.values import clean_text
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


def name_verdict(member: SigmaMember, user: IdpUser) -> str:
    """Whether the member's ``firstName``/``lastName`` and the IdP user's ``givenName``/``familyName`` are
    one name: :data:`AGREE` (both parts equal, letter case and accents aside: ``José`` = ``jose``),
    :data:`MISSING` (a part is blank on either side: no agreement, nothing to compare), else :data:`DIFFER`."""
    parts = (member.first_name, user.given_name, member.last_name, user.family_name)
    if not all(p and p.strip() for p in parts):
        return MISSING
    if member.first_name == user.given_name and member.last_name == user.family_name:
        return AGREE  # the common case, without normalizing
    same = (_folded(member.first_name) == _folded(user.given_name)
            and _folded(member.last_name) == _folded(user.family_name))
    return AGREE if same else DIFFER


def names_phrase(member: SigmaMember, user: IdpUser) -> str:
    """Both names as the item says them: ``member 'Alan Brooks', IdP user 'Jonas Weber'`` (``(none)`` blank)."""
    def spelled(*parts: str | None) -> str:
        return repr(" ".join(p.strip() for p in parts if p and p.strip())) if any(p and p.strip() for p in parts) \
            else "(none)"
    return f"member {spelled(member.first_name, member.last_name)}, IdP user {spelled(user.given_name, user.family_name)}"


def name_differences(member: SigmaMember, user: IdpUser) -> list[str]:
    """Each name part that is not one (:func:`name_verdict`): ``"firstName 'Alan' / givenName 'Jonas'"``."""
    out = []
    for sigma, idp, a, b in (("firstName", "givenName", member.first_name, user.given_name),
                             ("lastName", "familyName", member.last_name, user.family_name)):
        if not (a and a.strip() and b and b.strip()) or _folded(a) != _folded(b):
            out.append(f"{sigma} {(a or '')!r} / {idp} {(b or '')!r}")
    return out


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
    verdict = name_verdict(member, user)
    if verdict == AGREE:
        return None
    if is_secondary_address(person, directory):
        return secondary_address_item(person, directory)
    gap = time_between(member.created_at, user.created)
    wide = gap is not None and gap >= RECYCLED_AFTER
    if verdict == DIFFER and wide and len(name_differences(member, user)) == 2:
        return recycled_address_item(person, directory, gap, blocking=True)
    if (verdict == DIFFER and (gap is None or gap > timedelta(0))) or (verdict == MISSING and wide):
        return recycled_address_item(person, directory, gap, blocking=False)
    return None


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
    settlements (:func:`_settlements`, ``other``, ``freeing``)."""
    member, user, key = person.member, person.idp_user, person.link.key
    sent = directory.scim_user_names[person.idp_id]
    return make_review(
        code, person.member_id, blocking=blocking,
        subject=person_ref(member_id=person.member_id, email=member.email, idp_id=person.idp_id, user_name=sent),
        message=message,
        rule=f"linking.match_keys.{key}",
        evidence=ItemEvidence(linked_by=key, sigma_email=member.email, idp_user_name=sent,
                              differences=name_differences(member, user), **evidence),
        resolution=_settlements(person, directory, other, freeing),
    )


def _settlements(person: Person, directory: Directory, other: str, freeing: dict) -> str:
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


def recycled_address_item(person: Person, directory: Directory, gap: timedelta | None, *,
                          blocking: bool) -> ReviewItem:
    """``linking.recycled_address`` of ``person``, linked through the address the IdP user signs in with
    while the names are not one (``gap``: how much later the IdP made the user than Sigma the member, ``None``
    unknown): ``blocking`` when the IdP made the user :data:`RECYCLED_AFTER` or more after the member and both
    name parts differ, else informational (module docstring)."""
    member, user = person.member, person.idp_user
    mid, iid = person.member_id, person.idp_id
    sent = directory.scim_user_names[iid]
    made = (f"the IdP made {iid} {user.created}, {gap.days} days after Sigma made the member ({member.created_at})"
            if gap is not None else
            f"when the IdP made {iid} ({user.created or user.created_unreadable or 'not said'}) and Sigma the member "
            f"({member.created_at or 'not said'}) cannot be compared")
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
