"""The one exception family the CLI turns into a one-line error and a non-zero exit.

Every error a user can cause with bad input (a file, a flag, a policy, a plan,
a refused apply) is a :class:`UserError` subclass whose message is one line
naming the file, the row/line and the field when they are known. The CLI
prints ``sigma-migrate: error: <message>`` and exits with ``exit_code``; it never
shows a traceback for these.
"""

from __future__ import annotations


class UserError(Exception):
    """Bad input or a refused operation; ``str(exc)`` is the one-line message."""

    exit_code: int = 1
