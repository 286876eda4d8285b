"""A ``Retry-After`` holds every request apply sends to that server, REST and SCIM alike, when both
APIs have one origin (tester4 finding 1: under a server-wide rate limit the SCIM requests took the
slots the REST requests were told to wait for, until their tries ran out)."""

from __future__ import annotations

import threading
from dataclasses import replace

from planner.execute.apply import build_clients
from planner.execute.retry import origin_of
from planner.execute.runner import _RetryCounter
from planner.execute.targets import Redactor

from .execute_support import counting_sandbox, make_plan, options_for, small_plan_actions


def test_origin_of_is_scheme_host_and_port():
    assert origin_of("http://127.0.0.1:8080/scim/v2") == origin_of("http://127.0.0.1:8080") == ("http", "127.0.0.1", 8080)
    assert origin_of("https://api.example.com/scim/v2") != origin_of("https://scim.example.com/scim/v2")


def test_a_429_from_the_rest_api_holds_the_scim_api_of_the_same_server():
    server, _ = counting_sandbox()
    plan = make_plan(small_plan_actions())
    clients = build_clients(plan, options_for(server), Redactor(), _RetryCounter())
    scim_answers: list[object] = []
    try:
        assert clients.scim.transport.throttle is clients.rest.transport.throttle
        clients.rest.whoami()  # the token; then two requests a second, spent at once
        server.faults.set(rate=2)
        clients.rest.whoami()
        clients.rest.whoami()

        def scim_read_once_throttled(request, status, delay):  # the REST API just said 429, Retry-After: 1
            if status == 429 and not scim_answers:
                reader = threading.Thread(target=lambda: scim_answers.append(clients.scim.check_access()))
                reader.start()
                scim_answers.append(reader)

        clients.rest.transport.listener = scim_read_once_throttled
        clients.rest.whoami()
        scim_answers[0].join()
    finally:
        clients.rest.close()
        clients.scim.close()
        server.close()
    assert server.status_counts[("GET /v2/whoami", 429)] == 1
    assert server.status_counts.get(("GET /scim/v2/Users", 429), 0) == 0  # it waited with the REST request
    assert server.status_counts[("GET /scim/v2/Users", 200)] == 1


def test_apis_on_two_servers_keep_their_own_throttle():
    server, _ = counting_sandbox()
    try:
        options = replace(options_for(server), scim_base_url=server.scim_base_url.replace("127.0.0.1", "localhost"))
        clients = build_clients(make_plan(small_plan_actions()), options, Redactor(), _RetryCounter())
        assert clients.scim.transport.throttle is not clients.rest.transport.throttle
        clients.rest.close()
        clients.scim.close()
    finally:
        server.close()
