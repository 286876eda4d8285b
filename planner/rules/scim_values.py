"""Values Sigma refuses: a person the plan links or creates through SCIM must carry what Sigma needs.

Sigma reads ``userName``, ``name.givenName`` and ``name.familyName`` of a SCIM User, **both names
needed** (docs/sigma-api.md §5.2); a ``POST /Users`` without one is answered ``400 'name' is
required`` (the sandbox publishes both as required, :mod:`planner.sandbox.scim`). A plan that sends
a blank name fails mid-apply, half-done (tester report A8). So each person the plan would link or
create (status ``link``, ``reactivate``, ``create``, or a converted guest) whose sent names would be
blank is **held** (:attr:`planner.directory.PersonStatus.HELD`: neither linked nor created nor pushed
in a group, as for any blocking item) with one blocking ``scim.name_required`` item.

The names sent are those :func:`planner.rules.linking.link_actions` writes: the IdP user's, each
falling back to the Sigma member's for a link (:func:`sent_names`), cleaned of control and
invisible characters (:func:`planner.sources.values.clean_text`). A team the plan would create or link (``scim.create_group`` / ``link_group``) needs a ``displayName``
(RFC 7643 §4.2: required; Sigma's ``POST /v2/teams`` refuses a blank name, docs/sigma-api.md §3.2):
a ``teams.rules`` regex whose ``replace`` leaves nothing of a group's name would create a team
named ``''``; such an action is dropped with whatever waits for it (the group's
``scim.set_group_members``), one blocking ``scim.team_name_required`` item each
(:func:`drop_unnamed_teams`).

The ``userName`` a link or create sends must be **clean**: Sigma's SCIM answers 400 to one with
surrounding spaces, control or invisible characters, or not in Unicode NFC (docs/sandbox.md, "how
``userName`` and emails compare"; :meth:`planner.sandbox.scim_storage.SqliteScimStorage._user_attrs`),
and a link under ``update_sigma_email`` changes the member's email first, so the 400 came after a write
(tester2 finding 6: half-applied). Such a person is held with one blocking ``scim.unclean_user_name``
item (:func:`unclean_user_name_item`). A ``userName`` Sigma takes but a reviewer cannot check is held
the same way: one whose local part or a domain label mixes scripts (Latin ``m`` + Cyrillic ``а``:
``mаteo.marsh@`` reads as ``mateo.marsh@`` on screen, tester2 finding 5), one blocking
``scim.mixed_script_user_name`` item (:func:`mixed_script_parts`; the UTS #39 "single script" test,
judged on the script word of each letter's Unicode name: Python has no script property; an address
written wholly in another script that reads as a member's is a near address,
:mod:`planner.near_addresses`). A user to create whose IdP primary
email is not clean is held with one blocking ``scim.unclean_email`` item: the plan never sends an
identity value changed (:func:`unclean_email_item`). :func:`hold_refused`.

Names are display text: control, bidi and invisible characters are removed from the names sent
(:func:`planner.sources.values.clean_text`), each person so sent with one informational
``scim.cleaned_name`` item (:func:`cleaned_names`, in :func:`hold_refused`'s pass).

The other values Sigma refuses (every 400 docs/sandbox.md lists for a User or Group) are decided
where they are made: a ``userName`` that is blank or not an email address
(``user_name_guard.invalid_user_name``, :mod:`.linking`), an account type (``userType``) the
organization does not have (a policy error, :mod:`.account_types`), a guest ``userKind`` (guests are
never linked nor created, :mod:`.guests`), a Group member that is a Group (groups are flattened,
:mod:`.teams`).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from operator import attrgetter
from typing import Iterable

from msgspec.structs import replace

from ..dependencies import with_dependents
from ..directory import Person, PersonStatus
from ..model import Action, ActionKind, IdpUser, ItemEvidence, ItemRef, ReviewItem, SigmaMember
from ..sources.formulas import looks_like_formula
from ..sources.values import character_name, clean_address, clean_text, unclean_parts, unsafe_parts
from ..unsafe_characters import UNSAFE
from . import make_review, outside_policy, person_ref

CODE = "scim.name_required"

SENDING = frozenset({PersonStatus.LINK, PersonStatus.REACTIVATE, PersonStatus.CREATE})
"""Statuses whose person the plan sends to Sigma's SCIM (``scim.link_user`` / ``create_user``)."""


def sent_names(user: IdpUser, member: SigmaMember | None) -> tuple[str, str]:
    """``(givenName, familyName)`` a link (``member`` given) or create sends for IdP user ``user``:
    the IdP's names, each falling back to the member's for a link, cleaned."""
    given = user.given_name or (member.first_name if member is not None else "")
    family = user.family_name or (member.last_name if member is not None else "")
    return clean_text(given or ""), clean_text(family or "")


def missing_names(given: str, family: str) -> tuple[str, ...]:
    """The SCIM attributes among ``name.givenName``, ``name.familyName`` that would be blank."""
    return tuple(attr for attr, value in (("name.givenName", given), ("name.familyName", family)) if not value)


def name_required_item(user: IdpUser, member: SigmaMember | None, missing: tuple[str, ...]) -> ReviewItem:
    """``scim.name_required`` (blocking): IdP user ``user`` (linked to ``member``, or to be created)
    would be sent without ``missing``; Sigma refuses such a user (docs/sigma-api.md §5.2)."""
    what = f"linking member {member.email!r}" if member is not None else "creating this user"
    blank = " and ".join(missing)
    also = " (the Sigma member has none either)" if member is not None else ""
    return make_review(
        CODE, member.member_id if member is not None else user.id, blocking=True,
        subject=person_ref(member_id=member.member_id if member else None, email=member.email if member else None,
                           idp_id=user.id, user_name=user.user_name),
        message=(f"IdP user {user.id} ({user.user_name}) has a blank {blank}{also}: Sigma's SCIM needs both names "
                 f"and refuses the user (400 'name' is required), so {what} would fail during apply; held "
                 "(neither linked nor created) until the IdP user has both names"),
        rule="scim.name_required",
        evidence=ItemEvidence(missing=list(missing)),
        resolution=outside_policy(f"give IdP user {user.id} ({user.user_name}) a first and a last name in the IdP "
                                  "(or fix the export's name columns), then export and plan again"),
    )


def team_name_required_item(action: Action) -> ReviewItem:
    """``scim.team_name_required`` (blocking): ``action`` would push IdP group ``group_display_name``
    as a team with a blank name, which Sigma refuses."""
    t = action.target
    return make_review(
        "scim.team_name_required", t.group_id, blocking=True,
        subject=ItemRef(group_id=t.group_id, group_display_name=t.group_display_name),
        message=(f"group {t.group_display_name!r} would become a team with a blank name ({action.rule}): Sigma "
                 "refuses a team without a name, so the team is neither created nor linked"),
        rule=action.rule,
        resolution=(f"# map the group to a named team (teams.map) or fix the rule {action.rule} so that its "
                    "replace leaves a name\n"),
    )


def drop_unnamed_teams(actions: list[Action]) -> tuple[list[Action], list[ReviewItem]]:
    """``actions`` without the ``scim.create_group`` / ``link_group`` whose ``displayName`` is blank
    and without every action waiting for them (transitively); their ``scim.team_name_required`` items."""
    kinds = (ActionKind.SCIM_CREATE_GROUP, ActionKind.SCIM_LINK_GROUP)
    unnamed = [a for a in actions if a.kind in kinds and not a.after.display_name.strip()]
    if not unnamed:
        return actions, []
    dropped = with_dependents(actions, (a.id for a in unnamed))
    return [a for a in actions if a.id not in dropped], sorted(map(team_name_required_item, unnamed),
                                                               key=lambda r: r.id)


# --------------------------------------------------------------------------- userNames Sigma refuses or hides

_ONE_WRITING = {"HIRAGANA": "CJK", "KATAKANA": "CJK", "HANGUL": "CJK", "CJK": "CJK", "BOPOMOFO": "CJK"}
"""Scripts written together in one word (Japanese, Korean, Chinese: UTS #39 "highly restrictive" sets)."""


def letter_script(c: str) -> str | None:
    """The script of letter ``c`` as the first word of its Unicode name (``LATIN``, ``CYRILLIC``,
    ``GREEK``, ...; Han, kana and Hangul as ``CJK``), ``None`` for a non-letter (digit, ``.``, ``-``,
    a combining accent: they belong to any script)."""
    if not unicodedata.category(c).startswith("L"):
        return None
    word = unicodedata.name(c, "UNKNOWN").split(" ", 1)[0]
    return _ONE_WRITING.get(word, word)


def mixed_script_parts(address: str) -> list[str]:
    """One phrase per label of ``address`` (the local part, each domain label) whose letters come from
    more than one script, naming each letter outside the label's first script (1-based position in
    ``address``); ``[]`` when every label is written in one script. ASCII is never mixed."""
    if address.isascii():
        return []
    parts: list[str] = []
    start = 0
    local, at, domain = address.rpartition("@")
    for label in ([local] + domain.split(".")) if at else [address]:
        scripts = [(n, c, letter_script(c)) for n, c in enumerate(label, start + 1)]
        first = next((s for _, _, s in scripts if s), None)
        others = [(n, c, s) for n, c, s in scripts if s and s != first]
        if others:
            names = " and ".join(dict.fromkeys([first.title()] + [s.title() for _, _, s in others]))
            at = ", ".join(f"{character_name(c)} at position {n}" for n, c, _ in others)
            parts.append(f"label {label!r} mixes {names}: {at}")
        start += len(label) + 1
    return parts


def _what(p: Person) -> str:
    return f"linking member {p.member.email!r}" if p.member is not None else "creating this user"


def _subject(p: Person) -> ItemRef:
    m = p.member
    return person_ref(member_id=m.member_id if m else None, email=m.email if m else None,
                      idp_id=p.idp_id, user_name=p.user_name)


def unclean_user_name_item(p: Person, differences: list[str]) -> ReviewItem:
    """``scim.unclean_user_name`` (blocking): ``p`` would be sent userName ``p.user_name`` that is not
    clean (``differences``: :func:`planner.sources.values.unclean_parts`); Sigma answers 400."""
    after = " after its email changed" if p.member is not None and p.guard == "update_sigma_email" else ""
    nfc = any(d.startswith("not in Unicode NFC") for d in differences)
    return make_review(
        "scim.unclean_user_name", p.member_id or p.idp_id, blocking=True, subject=_subject(p),
        message=(f"IdP user {p.idp_id} would send userName {p.user_name!r}, which is "
                 f"{'; '.join(differences) if nfc else 'not clean (' + '; '.join(differences) + ')'}: Sigma's "
                 f"SCIM refuses such a userName (400), so {_what(p)} would fail during apply{after}; held "
                 "(neither linked nor created) until the IdP stores the userName "
                 f"{'composed (NFC)' if nfc else 'without them'}"),
        rule="scim.unclean_user_name",
        evidence=ItemEvidence(user_name=p.user_name, differences=differences),
        resolution=outside_policy(f"fix the userName of IdP user {p.idp_id} in the IdP (type it again, or have the "
                                  f"IdP normalize it: {clean_address(p.user_name)!r}), then export and plan again"),
    )


def mixed_script_item(p: Person, differences: list[str]) -> ReviewItem:
    """``scim.mixed_script_user_name`` (blocking): ``p`` would be sent a userName with a label mixing
    scripts (``differences``: :func:`mixed_script_parts`), which reads as another address on screen."""
    first = differences[0]
    label, _, rest = first.partition(" mixes ")
    scripts, _, letters = rest.partition(": ")
    return make_review(
        "scim.mixed_script_user_name", p.member_id or p.idp_id, blocking=True, subject=_subject(p),
        message=(f"IdP user {p.idp_id} would send userName {p.user_name!r}, whose {label} mixes {scripts} "
                 f"letters ({letters}): it looks like another address on screen, so {_what(p)} with it cannot "
                 "be reviewed; held (neither linked nor created) until the IdP's userName is written in one "
                 "script"),
        rule="scim.mixed_script_user_name",
        evidence=ItemEvidence(user_name=p.user_name, differences=differences),
        resolution=outside_policy(f"retype the userName of IdP user {p.idp_id} in the IdP in one script (the letters "
                                  "named above are look-alikes), then export and plan again"),
    )


def unclean_email_item(p: Person, email: str, differences: list[str]) -> ReviewItem:
    """``scim.unclean_email`` (blocking): IdP user ``p`` would be created with its primary email ``email``,
    which is not clean (``differences``: :func:`planner.sources.values.unclean_parts`). An identity value
    is never changed silently: the plan would send it cleaned while the IdP keeps sending it as it holds it."""
    return make_review(
        "scim.unclean_email", p.idp_id, blocking=True, subject=_subject(p),
        message=(f"IdP user {p.idp_id} would be created with email {email!r}, which is not clean "
                 f"({'; '.join(differences)}): the plan does not change an email silently (the IdP keeps "
                 "sending it as it holds it); held (not created) until the IdP stores the email without them"),
        rule="scim.unclean_email",
        evidence=ItemEvidence(differences=differences),
        resolution=(f"# fix the email of IdP user {p.idp_id} in the IdP (type it again: "
                    f"{clean_address(email)!r}), then export and plan again\n"),
    )


def _created_email_item(p: Person) -> ReviewItem | None:
    """:func:`unclean_email_item` of a person to create (no member) whose IdP primary email is not clean."""
    primary = p.idp_user.primary_email if p.member is None and p.idp_user is not None else None
    email = primary.value if primary is not None else ""
    if not email or (email.isascii() and email.isprintable() and email == email.strip()):
        return None
    differences = unclean_parts(email)
    return unclean_email_item(p, email, differences) if differences else None


def unsendable_item(p: Person) -> ReviewItem | None:
    """The blocking item of a person the plan would send to SCIM with userName ``p.user_name`` that
    Sigma refuses (:func:`unclean_user_name_item`) or a reviewer cannot see (:func:`mixed_script_item`),
    or, to be created, with a primary email that is not clean (:func:`unclean_email_item`); ``None``
    for a fine one."""
    name = p.user_name
    if name and not (name.isascii() and name.isprintable() and name == name.strip()):
        unclean = unclean_parts(name)
        if unclean:
            return unclean_user_name_item(p, unclean)
        mixed = mixed_script_parts(name)
        if mixed:
            return mixed_script_item(p, mixed)
    return _created_email_item(p)


@dataclass(frozen=True, slots=True)
class Refusals:
    """What :func:`hold_refused` returns: the ``people`` (those Sigma would refuse held), their blocking
    ``unnamed`` (``scim.name_required``) and ``unsendable`` items, and the informational ``cleaned`` items of the
    people sent with cleaned names (:func:`cleaned_names`); each item list by id."""

    people: tuple[Person, ...]
    unnamed: list[ReviewItem]
    unsendable: list[ReviewItem]
    cleaned: list[ReviewItem]


def hold_refused(people: tuple[Person, ...]) -> Refusals:
    """``people`` (linking's records, after guests) with every person the plan would send to SCIM
    (status ``link``, ``reactivate``, ``create``, or converted) held (and not converted: a held guest is
    not linked either) when Sigma would refuse them: without both names (their ``scim.name_required``
    items), else with a userName that is unclean or mixes scripts (their :func:`unsendable_item`); each
    person still sent whose names lose a character when cleaned gets a :func:`cleaned_name_item`. One pass
    over the people (was two: the cleaned names' own pass read every person sent again, s18)."""
    out: list[Person] = []
    unnamed: list[ReviewItem] = []
    unsendable: list[ReviewItem] = []
    cleaned: list[ReviewItem] = []
    held = PersonStatus.HELD
    for p in people:
        user = p.idp_user
        if user is not None and (p.status in SENDING or p.converted):
            given, family = sent_names(user, p.member)
            item = None
            if not (given and family):
                item = name_required_item(user, p.member, missing_names(given, family))
                unnamed.append(item)
            elif (item := unsendable_item(p)) is not None:
                unsendable.append(item)
            if item is not None:
                p = replace(p, status=held, converted=False)
            elif (parts := cleaned_names(user, p.member)) is not None:
                cleaned.append(cleaned_name_item(p, parts))
        out.append(p)
    return Refusals(tuple(out), sorted(unnamed, key=_by_id), sorted(unsendable, key=_by_id),
                    sorted(cleaned, key=_by_id))


_by_id = attrgetter("id")


# --------------------------------------------------------------------------- names sent cleaned


def cleaned_name_item(p: Person, parts: list[str]) -> ReviewItem:
    """``scim.cleaned_name`` (informational): ``p`` is sent with names from which :func:`clean_text`
    removed control, bidi or invisible characters (``parts``: ``"name.familyName: U+202E
    RIGHT-TO-LEFT OVERRIDE at position 6"``); the IdP still holds them."""
    return make_review(
        "scim.cleaned_name", p.member_id or p.idp_id, blocking=False, subject=_subject(p),
        message=(f"IdP user {p.idp_id} ({p.user_name}) has control, bidi or invisible characters in its names "
                 f"({'; '.join(parts)}): the plan sends the names without them, and the IdP, which still holds "
                 "them, sends them as they are at its next update of this user; remove them in the IdP"),
        rule="scim.cleaned_name",
        evidence=ItemEvidence(differences=parts),
        resolution=f"# retype the names of IdP user {p.idp_id} in the IdP (the characters named above are unseen)\n",
    )


def cleaned_names(user: IdpUser, member: SigmaMember | None) -> list[str] | None:
    """What :func:`clean_text` removes from the names sent for ``user`` (:func:`sent_names`' raw values):
    ``"name.familyName: U+202E RIGHT-TO-LEFT OVERRIDE at position 6"``, one per character of
    :data:`planner.unsafe_characters.UNSAFE`; ``None`` for names sent as the IdP holds them. Names are data:
    anything else in them (``<script>``, ``=HYPERLINK(...)``) is sent as the IdP holds it."""
    given = user.given_name or (member.first_name if member is not None else "") or ""
    family = user.family_name or (member.last_name if member is not None else "") or ""
    if (given.isprintable() or UNSAFE.search(given) is None) and (
            family.isprintable() or UNSAFE.search(family) is None):  # str.isprintable: the common case, in C
        return None
    return [f"{attr}: {part}" for attr, raw in (("name.givenName", given), ("name.familyName", family))
            for part in unsafe_parts(raw)]


def team_name_items(actions: Iterable[Action]) -> list[ReviewItem]:
    """One informational ``teams.formula_like_name`` review item per team the plan would create or link
    under a name a spreadsheet reads as a formula: a ``teams.rules`` regex can make one of a group
    name that is not (``sigma-team-=cmd|...`` -> ``=cmd|...``), so the loaders' findings miss it."""
    out = []
    for a in actions:
        if a.kind in (ActionKind.SCIM_CREATE_GROUP, ActionKind.SCIM_LINK_GROUP) and looks_like_formula(
                a.after.display_name):
            t = a.target
            out.append(make_review(
                "teams.formula_like_name", t.group_id, blocking=False,
                subject=ItemRef(group_id=t.group_id, group_display_name=t.group_display_name, name=t.name),
                message=(f"team {a.after.display_name!r} (from group {t.group_display_name!r}, {a.rule}) starts with "
                         f"{a.after.display_name.lstrip()[0]!r}, which a spreadsheet reads as a formula; Sigma stores "
                         "it as text, but rename the group in the IdP if the name is not meant"),
                rule=a.rule))
    return out
