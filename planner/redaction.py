"""One redaction function for every string the tool prints or writes.

Secrets come from the environment only (design.md "Invariants"); servers and
proxies may still echo them back (a 400 page quoting the token request, a SCIM
error repeating the ``Authorization`` header). :class:`Redactor` replaces them
with ``***`` before any text reaches a terminal, a journal, a result file or
an error message. ``fetch``, ``apply`` (clients, runner, verification, result
files, ``--dry-run``) and the CLI's error printer all use it; the CLI's
printer uses :func:`default_redactor` (every credential of the environment),
so an error path that forgot its own redactor still cannot print a secret.

Redaction is for messages, logs and URLs, never for **data**: a plan, an undo plan and a journal's
before images are written as Sigma and the exports gave them (secrets never go there by
construction), since a secret that is also a word of an address (``SIGMA_CLIENT_SECRET=acme``)
would turn ``brigid.moreau@acme.example`` into ``brigid.moreau@***.example`` and the undo of it
into requests for someone who does not exist (pinned in tests/test_execute_apply.py).

What is replaced:

1. **Registered values** (:meth:`Redactor.add`: the environment's credentials,
   access tokens minted at run time) in each form they travel in: raw,
   percent-encoded (``quote`` and ``quote_plus``, RFC 3986 §2.1 / HTML form
   encoding), JSON-escaped, base64, and ``base64(id:secret)`` of HTTP Basic
   (RFC 7617 §2) for pairs registered with :meth:`Redactor.add_pair`.
   A value of :data:`MIN_SECRET_CHARS` characters or more is replaced wherever
   it occurs. A shorter one is not searched in free text at all: as a pattern it
   would blank words of the audit record (``SIGMA_CLIENT_ID=acme`` turned every
   ``ruth.adler@acme.example`` of a result file into ``ruth.adler@***.example``,
   ``SIGMA_CLIENT_SECRET=Build`` every account type ``Build``; tester6 finding 8),
   and a value that short protects nothing. It is never written by construction,
   and rules 3 and 4 still mask it where it travels as a credential
   (``client_id=acme``, ``Basic ...``, ``http://acme:...@host``; its HTTP Basic
   form ``base64(id:secret)`` is long enough to be replaced wherever it occurs).
2. **Cut bodies**: a text that ends (before an optional ``...``) with the first
   :data:`MIN_PREFIX_CHARS` or more characters of a registered value, which is
   what an error body cut at a byte limit leaves (``Bearer TOKz-sec``).
3. **Credential shapes**, registered or not: the token after ``Bearer`` /
   ``Basic``, the value of a ``*secret*``, ``*token*``, ``*password*``,
   ``client_id`` or ``api_key`` field (``key=value``, ``key: value``,
   ``"key": "value"``), and the user information of a URL
   (``http://ID:SECRET@host`` becomes ``http://***@host``).
4. **URL queries and fragments**: every query value and the fragment of a URL,
   whatever the key is called (a signed URL's ``?sig=``, a SAS token's
   ``&sv=...&sig=``, an OAuth ``#access_token=``): the key names stay, so
   ``https://h/v2?sig=S&x=1#f`` becomes ``https://h/v2?sig=***&x=***#***`` (a
   value-less item such as ``?S`` becomes ``?***``). The OData system query options that only
   say what was asked (:data:`QUERY_SHAPE_OPTIONS`: ``$top``, ``$select``, ``$count``...) keep
   their values, so a Graph next link reads ``?$top=999&$select=id,mail&$skiptoken=***``, never
   ``?$top=***`` (tester8 finding 22); a cursor (``$skiptoken``) and a filter stay masked.
"""

from __future__ import annotations

import base64
import json
import os
import re
from typing import Any, Iterable, Mapping
from urllib.parse import quote, quote_plus, unquote

MASK = "***"
"""What a secret is replaced with."""

MIN_SECRET_CHARS = 8
"""Values at least this long are replaced wherever they occur; shorter ones are not searched in free text
(module docstring, rule 1): only the credential shapes mask them."""

MIN_PREFIX_CHARS = 4
"""The shortest prefix of a secret recognised at the end of a cut text."""

SECRET_ENV_NAMES = ("SIGMA_CLIENT_ID", "SIGMA_CLIENT_SECRET", "SIGMA_SCIM_TOKEN")
"""The credentials the tool reads (docs/sigma-api.md §1.1, §5.1)."""

_SECRET_ENV_SUFFIX = re.compile(r"(?:SECRET|TOKEN|PASSWORD|PASSWD|API_KEY|APIKEY|CLIENT_ID)$", re.IGNORECASE)
"""Other environment variables whose values are treated as secrets (an IdP API token, ...)."""

QUERY_SHAPE_OPTIONS = frozenset({"$select", "$top", "$skip", "$count", "$orderby", "$expand", "$format"})
"""OData system query options (OData 4.01 Part 2 §5.1) whose values are the shape of the request (a page
size, property names, ``true``), never a credential: rule 4 leaves their values (``$`` raw or ``%24``)."""

_BEARER = re.compile(r"\b(Bearer|Basic)(\s+)[A-Za-z0-9\-._~+/]+=*")
_FIELD = re.compile(
    r"""(?ix)
    (?<![/\w.-])(?P<key>["']?[A-Za-z0-9_.-]*(?:secret|token|password|passwd|client_id|api_?key)["']?)
    (?P<sep>\s*[:=]\s*["']?)
    (?P<value>(?!\*\*\*)[^\s"'&,;<>(){}\[\]]+)
    """
)
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^\s/?#@]+@")
_URL_TAIL = re.compile(r"(?i)\b[a-z][a-z0-9+.-]*://[^\s\"'<>?#]*(?P<tail>[?#][^\s\"'<>]*[^\s\"'<>.,;:!)\]}])")
"""A URL with a query or a fragment; ``tail`` is both (trailing sentence punctuation left out)."""
_LAST_WORD = re.compile(r"([^\s\"'&=:,;()<>\[\]{}]+?)(\.\.\.|\u2026)?\s*$")


def _forms(secret: str) -> set[str]:
    """The encodings a secret may be echoed in (module docstring, rule 1)."""
    forms = {secret, quote(secret, safe=""), quote_plus(secret), json.dumps(secret)[1:-1]}
    if len(secret) >= MIN_SECRET_CHARS:
        forms.add(base64.b64encode(secret.encode()).decode().rstrip("="))
    return {f for f in forms if f}


class Redactor:
    """Replaces secrets in text (module docstring); callable on a string, :meth:`value` on JSON-like data.

    Thread-safe for concurrent calls while values are added (each call reads a snapshot).
    """

    def __init__(self, secrets: Iterable[str | None] = ()):
        self._long: tuple[str, ...] = ()
        self._secrets: set[str] = set()
        self._forms: set[str] = set()
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str | None) -> None:
        """Register a value that must never be shown (a credential, a token minted at run time)."""
        if not secret or secret in self._secrets:
            return
        self._secrets.add(secret)
        self._forms |= _forms(secret)
        self._compile()

    def add_pair(self, user: str | None, password: str | None) -> None:
        """Register both values and their HTTP Basic form ``base64(user:password)`` (RFC 7617 §2)."""
        self.add(user)
        self.add(password)
        if user and password:
            self.add(base64.b64encode(f"{user}:{password}".encode()).decode())

    def _compile(self) -> None:
        # a form shorter than MIN_SECRET_CHARS is left to the credential shapes (module docstring, rule 1)
        self._long = tuple(sorted((f for f in self._forms if len(f) >= MIN_SECRET_CHARS), key=len, reverse=True))

    def __call__(self, text: str) -> str:
        """``text`` with every secret replaced by ``***`` (module docstring, rules 1-3)."""
        if not text:
            return text
        for secret in self._long:
            if secret in text:
                text = text.replace(secret, MASK)
        text = _redact_cut_end(text, self._long)
        if "://" in text:
            text = _USERINFO.sub(rf"\1{MASK}@", text)
            text = _URL_TAIL.sub(_mask_url_tail, text)
        text = _BEARER.sub(rf"\1\2{MASK}", text)
        return _FIELD.sub(lambda m: f"{m['key']}{m['sep']}{MASK}", text)

    def value(self, obj: Any) -> Any:
        """Redact every string inside a JSON-like value (keys stay as they are)."""
        if isinstance(obj, str):
            return self(obj)
        if isinstance(obj, Mapping):
            return {k: self.value(v) for k, v in obj.items()}
        if isinstance(obj, (list, tuple)):
            return [self.value(v) for v in obj]
        return obj


def _mask_url_tail(found: re.Match[str]) -> str:
    """The URL of ``found`` with each query value but those of :data:`QUERY_SHAPE_OPTIONS`, and the fragment,
    masked (module docstring, rule 4)."""
    url, tail = found.group(), found["tail"]
    query, hash_, _fragment = tail.partition("#")
    if query.startswith("?"):
        items = (item.partition("=") for item in query[1:].split("&"))
        query = "?" + "&".join(f"{key}={value if unquote(key).casefold() in QUERY_SHAPE_OPTIONS else MASK}"
                               if eq else (MASK if key else "") for key, eq, value in items)
    return url[: len(url) - len(tail)] + query + (hash_ + MASK if hash_ else "")


def _redact_cut_end(text: str, secrets: tuple[str, ...]) -> str:
    """Replace a trailing word that is the start of a secret (a body cut mid-secret)."""
    if not secrets:
        return text
    found = _LAST_WORD.search(text)
    if found is None or len(found[1]) < MIN_PREFIX_CHARS:
        return text
    word = found[1]
    if any(s.startswith(word) for s in secrets):
        return text[: found.start(1)] + MASK + text[found.end(1):]
    return text


def environment_secrets(environ: Mapping[str, str] | None = None) -> list[str]:
    """Values of :data:`SECRET_ENV_NAMES` and of every variable named ``*_SECRET``, ``*_TOKEN``,
    ``*_PASSWORD``, ``*_API_KEY``, ``*_CLIENT_ID`` in ``environ`` (default ``os.environ``)."""
    env = os.environ if environ is None else environ
    return [v for k, v in env.items() if v and (k in SECRET_ENV_NAMES or _SECRET_ENV_SUFFIX.search(k))]


def default_redactor(environ: Mapping[str, str] | None = None) -> Redactor:
    """A :class:`Redactor` of every credential in the environment (:func:`environment_secrets`),
    with the Sigma client id/secret also registered as an HTTP Basic pair."""
    env = os.environ if environ is None else environ
    redactor = Redactor(environment_secrets(env))
    redactor.add_pair(env.get("SIGMA_CLIENT_ID"), env.get("SIGMA_CLIENT_SECRET"))
    return redactor


def clip(text: str, limit: int = 500) -> str:
    """``text`` on one line (runs of whitespace become one space), at most ``limit`` characters
    (the end replaced by ``...``). Redact first: a cut can leave the start of a secret."""
    one = " ".join(str(text).split())
    return one if len(one) <= limit else one[: max(0, limit - 3)] + "..."
