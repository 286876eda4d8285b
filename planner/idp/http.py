"""Reading an IdP's REST API: one client for Okta, Microsoft Graph and Google's Directory API.

:class:`IdpReader` sends GETs with the IdP's credential, retries throttling
and server errors through :class:`planner.execute.retry.RetryTransport` (429
waits ``Retry-After`` or Okta's ``X-Rate-Limit-Reset``, capped at
``RetryPolicy.retry_after_cap``; 5xx and network errors back off), and turns
every other failure into one :class:`IdpFetchError` line:

- 401: the IdP refused the credential (wrong token, wrong secret, expired key);
- 403: the credential lacks a permission or scope (the message names the one needed);
- a 2xx answer that is not JSON (an HTML sign-in or proxy page): refused, never parsed;
- a next-page link to another host: refused, the credential is only sent to the base URL.

Tokens minted by an OAuth grant (:meth:`IdpReader.mint`) are kept in memory only.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import httpx2

from ..errors import UserError
from ..execute.retry import (RetryPolicy, RetryTransport, give_up_hint, long_wait_notice, tries_note, tries_of,
                             tries_spent)
from ..fetch import check_base_url


class IdpFetchError(UserError):
    """The IdP pull cannot go on: a refused credential, a missing permission, an answer that is not the API's."""


def describe(response: httpx2.Response) -> str:
    """The error text of an IdP answer, one line: Okta ``errorCode: errorSummary``, Graph / Google
    ``error.code: error.message``, OAuth ``error: error_description``, else the start of the body."""
    try:
        body = response.json()
    except ValueError:
        return _snippet(response)
    if isinstance(body, dict):
        if body.get("errorSummary"):
            return f"{body.get('errorCode', '')}: {body['errorSummary']}".strip(": ")
        error = body.get("error")
        if isinstance(error, dict):
            code = error.get("status") or error.get("code") or ""
            return f"{code}: {error.get('message', '')}".strip(": ")
        if isinstance(error, str):
            return f"{error}: {body.get('error_description', '')}".strip(": ")
    return " ".join(str(body).split())[:200]


def _snippet(response: httpx2.Response) -> str:
    text = " ".join(response.text.split())
    return text[:120] + ("..." if len(text) > 120 else "")


def _path(url: str) -> str:
    return urlsplit(url).path or "/"


class IdpReader:
    """GET JSON from one IdP API host with a bearer-style credential.

    :param idp: the IdP's name for messages (``"Okta"``).
    :param base_url: the API host (https, or http on a loopback host), checked
        with :func:`planner.fetch.check_base_url`.
    :param authorization: returns the ``Authorization`` header value (called per
        request, so a re-minted token is used at once).
    :param refresh: called once after a 401 to mint a new token (OAuth grants);
        ``None`` for static tokens (Okta API tokens).
    :param credential_hint: what to check after a 401 (the environment variables).
    :param permission_hint: what the credential needs, named after a 403.
    :param sleep: how to wait between retries (tests pass a recorder).
    :param note: hears each wait of 10 s or more before a retry, apply's line
        (:func:`~planner.execute.retry.long_wait_notice`); a request that still fails names its tries, how
        long they took and the ``Retry-After`` asked (:func:`~planner.execute.retry.tries_note`), and after
        a 429 what to do (:func:`~planner.execute.retry.give_up_hint`), as apply's and ``fetch``'s do.
    """

    def __init__(
        self,
        idp: str,
        base_url: str,
        *,
        authorization: Callable[[], str],
        refresh: Callable[[], None] | None = None,
        credential_hint: str,
        permission_hint: str,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        timeout: float = 60.0,
        note: Callable[[str], None] | None = None,
    ) -> None:
        self.idp = idp
        self.base_url = check_base_url(base_url, f"{idp} base URL")
        self._origin = urlsplit(self.base_url)[:2]
        self.authorization = authorization
        self.refresh = refresh
        self.credential_hint = credential_hint
        self.permission_hint = permission_hint
        self.transport = RetryTransport(policy=retry or RetryPolicy(), sleep=sleep, listener=long_wait_notice(note))
        self.http = httpx2.Client(timeout=timeout, transport=self.transport)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> IdpReader:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def url(self, path_or_url: str) -> str:
        """An absolute URL on the base URL's origin; :class:`IdpFetchError` for a link to another origin."""
        if "://" not in path_or_url:
            return self.base_url + path_or_url
        if urlsplit(path_or_url)[:2] != self._origin:
            raise IdpFetchError(
                f"{self.idp}: a next-page link points to {urlsplit(path_or_url).netloc}, not {self.base_url}; "
                "refused (the credential is only sent to the base URL)")
        return path_or_url

    def get(self, path_or_url: str, params: dict[str, Any] | None = None,
            headers: dict[str, str] | None = None) -> tuple[Any, httpx2.Response]:
        """GET a JSON answer: ``(parsed body, response)``; :class:`IdpFetchError` for anything else."""
        url = self.url(path_or_url)
        for first in (True, False):
            try:
                response = self.http.get(url, params=params,
                                         headers={**(headers or {}), "Authorization": self.authorization(),
                                                  "Accept": "application/json"})
            except httpx2.HTTPError as exc:
                raise IdpFetchError(f"{self.idp}: GET {_path(url)}: {exc.__class__.__name__}: {exc}"
                                    f"{self._after_tries(None)}") from None
            if response.status_code == 401 and first and self.refresh is not None:
                self.refresh()
                continue
            break
        return self.json_of(response, "GET", url), response

    def json_of(self, response: httpx2.Response, method: str, url: str) -> Any:
        """The JSON body of a 2xx answer; :class:`IdpFetchError` naming the status and the IdP's words."""
        where = f"{self.idp}: {method} {_path(url)}"
        status = response.status_code
        if status == 401:
            raise IdpFetchError(f"{where} answered 401 {describe(response)}: the credential was refused "
                                f"(check {self.credential_hint})")
        if status == 403:
            raise IdpFetchError(f"{where} answered 403 {describe(response)}: the credential lacks a "
                                f"permission or scope this pull needs ({self.permission_hint})")
        if status // 100 != 2:
            raise IdpFetchError(f"{where} answered {status} {describe(response)}{self._after_tries(response)}"
                                f"{give_up_hint(status)}")
        kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
        try:
            body = response.json()
        except ValueError:
            body = None
        if body is None or kind in ("text/html", "application/xhtml+xml"):
            what = "an HTML page" if kind.endswith("html") or response.text.lstrip()[:1] == "<" else \
                f"a {kind or 'non-JSON'} body"
            raise IdpFetchError(f"{where} answered {status} with {what}, not the API's JSON ({_snippet(response)}); "
                                f"is {self.base_url} the right {self.idp} URL?")
        return body

    def _after_tries(self, response: httpx2.Response | None) -> str:
        """`` (after 8 tries over 95 s)`` for a request the retries gave up on (``response`` ``None``: no
        answer; :func:`~planner.execute.retry.tries_note`), else ``""``."""
        policy = self.transport.policy
        note = tries_note(tries_spent(None, policy) if response is None else tries_of(response, policy))
        return f" ({note})" if note else ""

    def mint(self, token_url: str, form: dict[str, str], what: str) -> str:
        """POST an OAuth 2.0 token request (RFC 6749 §4.4 / RFC 7523 §2.1) and return ``access_token``.

        ``token_url`` must be https (or loopback http). A refusal is :class:`IdpFetchError`
        ``<idp>: POST <path> answered 401 invalid_client: ...: the credential was refused (check ...)``.
        """
        url = check_base_url(token_url, f"{self.idp} token URL")
        try:
            response = self.http.post(url, data=form, headers={"Accept": "application/json"})
        except httpx2.HTTPError as exc:
            raise IdpFetchError(f"{self.idp}: POST {_path(url)}: {exc.__class__.__name__}: {exc}") from None
        if response.status_code // 100 != 2:
            raise IdpFetchError(f"{self.idp}: POST {_path(url)} ({what}) answered {response.status_code} "
                                f"{describe(response)}: the credential was refused (check {self.credential_hint})")
        body = self.json_of(response, "POST", url)
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise IdpFetchError(f"{self.idp}: POST {_path(url)} ({what}) answered without an access_token")
        return token
