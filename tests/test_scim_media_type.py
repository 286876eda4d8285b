"""Issue 12 item 8: SCIM requests carry ``application/scim+json`` (RFC 7644 §3.8).

scim2-client's httpx2 engine sends ``Content-Type: application/json`` and ``Accept: */*``;
:class:`planner.execute.scim_client.ScimMediaClient` sends the SCIM media type. Checked on the
wire against the sandbox and against a plain scim2-server (its own test application), both real
servers on 127.0.0.1, with a WSGI middleware recording the headers each received.
"""

from __future__ import annotations

import threading
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from scim2_models import Group, Name, PatchOp, PatchOperation, ScimProvider
from scim2_server.memory import InMemoryStorage
from scim2_server.service import ScimService
from scim2_server.testserver.application import BearerTokenApplication
from scim2_server.utils import load_default_resource_types, load_default_schemas, load_default_service_provider_config

from planner.execute.scim_client import SCIM_MEDIA_TYPE, SigmaScimClient, SigmaUser
from planner.sandbox.server import SandboxServer

from .execute_support import small_org


class HeaderRecorder:
    """WSGI middleware: ``(method, path, Content-Type, Accept)`` of every request."""

    def __init__(self, app):
        self.app = app
        self.seen: list[tuple[str, str, str, str]] = []

    def __call__(self, environ, start_response):
        self.seen.append((environ["REQUEST_METHOD"], environ.get("PATH_INFO", ""),
                          environ.get("CONTENT_TYPE", ""), environ.get("HTTP_ACCEPT", "")))
        return self.app(environ, start_response)


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


def exercise(client: SigmaScimClient) -> None:
    """Create, read, search and patch a user and a group (the calls apply makes)."""
    user = client.create_user(SigmaUser(user_name="media@example.com", external_id="idp-u1",
                                        name=Name(given_name="Media", family_name="Type"), active=True))
    assert client.find_user("media@example.com").id == user.id
    client.patch_user(user.id, PatchOp[SigmaUser](operations=[
        PatchOperation[SigmaUser](op=PatchOperation.Op.replace_, path="active", value=False)]))
    group = client.create_group(Group(display_name="Media Team", external_id="idp-g1"))
    assert client.find_group("Media Team").id == group.id


def assert_scim_media_type(seen):
    assert seen, "no request reached the server"
    for method, path, content_type, accept in seen:
        assert accept == SCIM_MEDIA_TYPE, (method, path)
        if method in ("POST", "PATCH", "PUT"):
            assert content_type == SCIM_MEDIA_TYPE, (method, path)
    assert {m for m, *_ in seen} >= {"GET", "POST", "PATCH"}


def test_the_sandbox_receives_scim_media_type():
    server = SandboxServer(small_org(), token_rate=None)
    recorder = HeaderRecorder(server.app)
    server.app = recorder  # before start: the WSGI server serves this app
    server.start()
    client = SigmaScimClient(server.scim_base_url, server.scim_token)
    try:
        exercise(client)
    finally:
        client.close()
        server.stop()
    assert_scim_media_type(recorder.seen)


@pytest.fixture
def plain_scim2_server():
    schemas = load_default_schemas().values()
    resource_types = load_default_resource_types().values()
    provider = ScimProvider.from_discovery(schemas, resource_types, config=load_default_service_provider_config())
    app = BearerTokenApplication(InMemoryStorage(), provider, ScimService(provider, secret="test-secret"),
                                 bearer_tokens=["plain-token"])
    recorder = HeaderRecorder(app)
    httpd = make_server("127.0.0.1", 0, recorder, server_class=WSGIServer, handler_class=_Quiet)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/v2", recorder
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_plain_scim2_server_receives_scim_media_type(plain_scim2_server):
    base_url, recorder = plain_scim2_server
    client = SigmaScimClient(base_url, "plain-token")
    try:
        exercise(client)
    finally:
        client.close()
    assert_scim_media_type(recorder.seen)
