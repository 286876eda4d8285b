"""A local emulator of Sigma's REST API v2 and SCIM 2.0 service, for rehearsals and tests.

Start one with :class:`planner.sandbox.server.SandboxServer` (Python) or
``sigma-migrate sandbox serve`` (command line). Behaviour and the choices made
where Sigma's is unknown: docs/sandbox.md.
"""
