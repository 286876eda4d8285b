"""Reading a policy: YAML text or a file into a validated :class:`~planner.policy.Policy`, or every problem of it.

:mod:`planner.policy` is the schema (what a policy can say); this module reads a document into it and runs the
checks of the document as a whole, each problem one line ``<file>:<line>:<column>: <dotted.path>: <message>``
(:class:`~planner.policy.PolicyProblem`, raised as :class:`~planner.policy.PolicyError`). It parses with
``yaml.compose`` (:func:`planner.yaml_schema.read_marked`) to keep the position of every node, so a YAML error, a
repeated key, an unknown key, a wrong type, a bad regular expression and a person named twice in one collection
(:func:`planner.rules.repeated_people.repeated_names`, tester13 F3) are each reported where they are written.
"""

from __future__ import annotations

import hashlib
import re
import types
from pathlib import Path
from typing import Any, Mapping

import yaml
from pydantic import ValidationError

from .policy import MatchKey, Policy, PolicyError, PolicyOrigin, PolicyProblem
from .rules.repeated_people import repeated_names
from .yaml_schema import model_at, model_keys, read_marked, schema_problems


def load_policy(path: str | Path) -> Policy:
    """Read, parse and validate a policy file.

    Raises :class:`PolicyError` (one line, ``<file>:<line>:<column>: ...``) when
    the file cannot be read, is not YAML, repeats a key, has an unknown key, a
    value of the wrong type or a bad regular expression.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PolicyError(f"{path}: cannot read policy file: {exc.strerror}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PolicyError(f"{path}: policy file is not UTF-8 (byte {exc.start})") from None
    return parse_policy(text, str(path), sha256=hashlib.sha256(data).hexdigest())


def _reader_problem(exc: yaml.reader.ReaderError, text: str, name: str) -> "PolicyProblem":
    """A PyYAML ReaderError (a character YAML does not allow, YAML 1.1 §5.1) as ``file:line:column``."""
    line = text.count("\n", 0, exc.position) + 1
    column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
    character = exc.character if isinstance(exc.character, str) else chr(exc.character)
    return PolicyProblem(name, line, column, "", f"not valid YAML: the control character U+{ord(character):04X} "
                         "is not allowed in YAML (write it as an escape in a double-quoted string)")


def parse_policy(text: str, name: str = "<policy>", *, sha256: str | None = None) -> Policy:
    """Parse policy YAML ``text``; ``name`` is used in error messages. See :func:`load_policy`.

    Besides YAML syntax, refuses recursive aliases, aliases expanding past
    :data:`~planner.yamlsafe.ALIAS_BUDGET` nodes and nesting past :data:`~planner.yamlsafe.MAX_DEPTH` (:class:`planner.yamlsafe.BoundedLoader`),
    and characters YAML forbids, each as ``file:line:column``. Raises :class:`PolicyError` with
    the first problem (:func:`lint_policy_text` lists them all).
    """
    policy, problems = _parse(text, name, sha256)
    if problems:
        raise PolicyError(str(problems[0]))
    assert policy is not None
    return policy


def lint_policy_text(text: str, name: str = "<policy>") -> list[PolicyProblem]:
    """Every problem of policy YAML ``text`` in file order, without any export (``policy lint``).

    YAML syntax errors stop the reading (one problem); duplicate keys, unknown keys, wrong types
    and bad patterns are all reported. An empty file (or only comments) is a problem: the
    defaults are never taken silently. ``[]`` means the file is a valid policy.
    """
    return _parse(text, name, None)[1]


def lint_policy(path: str | Path) -> list[PolicyProblem]:
    """:func:`lint_policy_text` of a file; an unreadable or non-UTF-8 file is one problem at 1:1."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        return [PolicyProblem(str(path), 1, 1, "", f"cannot read policy file: {exc.strerror}")]
    except UnicodeDecodeError as exc:
        return [PolicyProblem(str(path), 1, 1, "", f"policy file is not UTF-8 (byte {exc.start})")]
    return lint_policy_text(text, str(path))


def _parse(text: str, name: str, sha256: str | None) -> tuple[Policy | None, list[PolicyProblem]]:
    if sha256 is None:
        sha256 = hashlib.sha256(text.encode("utf-8")).hexdigest()
    try:
        read = read_marked(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = unread_tag_problem(exc) or " ".join(str(exc.problem or exc.context or "invalid YAML").split())
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        return None, [PolicyProblem(name, line, col, "", f"not valid YAML: {problem}")]
    except yaml.reader.ReaderError as exc:
        return None, [_reader_problem(exc, text, name)]
    except yaml.YAMLError as exc:
        return None, [PolicyProblem(name, 1, 1, "", f"not valid YAML: {' '.join(str(exc).split())[:300]}")]
    if read.node is None:
        return None, [PolicyProblem(name, 1, 1, "", "the policy is empty: write at least `version: 1` and "
                                    "the sections you decide (policies/default.yaml lists every key)")]
    problems = _duplicate_keys(read.node, name)
    document, marks, spellings = read.data, read.marks, read.spellings
    if document is None:
        document = {}
    if not isinstance(document, dict):
        return None, problems + [PolicyProblem(
            name, 1, 1, "", f"a policy is a YAML mapping of sections, not {type(document).__name__}")]
    try:
        policy = Policy.model_validate(document)
    except ValidationError as exc:
        problems += _all_errors(exc, name, marks, spellings)
        return None, sorted(problems, key=lambda p: (p.line, p.column))
    policy._origin = PolicyOrigin(path=name, sha256=sha256, marks=marks)

    problems = sorted(problems + repeated_names(policy), key=lambda p: (p.line, p.column))
    return (None, problems) if problems else (policy, [])


YAML_MERGE_TAG = "tag:yaml.org,2002:merge"


def unread_tag_problem(exc: yaml.MarkedYAMLError) -> str | None:
    """What to say for a YAML tag the policy reader builds nothing from (PyYAML's "could not determine a
    constructor for the tag"): a merge key (``<<: *anchor``, YAML 1.1's merge type), which the reader does not
    expand so that every key a decision rests on is written where it applies, or any other ``!tag``;
    ``None`` for any other YAML error."""
    if not isinstance(exc, yaml.constructor.ConstructorError):
        return None
    if YAML_MERGE_TAG in str(exc.problem):
        return "a merge key (<<: *anchor) is not read here: write the keys out in this mapping"
    found = re.search(r"the tag '([^']*)'", str(exc.problem))
    if found is None:
        return None
    return f"the tag {found.group(1)!r} is not read here: a policy holds plain values (remove the tag)"


def _duplicate_keys(node: yaml.Node, name: str) -> list[PolicyProblem]:
    """Every key of a mapping that an earlier key of it repeats, as written or once trimmed (a name is read trimmed,
    so ``'a@x '`` and ``a@x`` would be one key, the later value silently winning: tester13 F3)."""
    out: list[PolicyProblem] = []
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, yaml.Node] = {}
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                trimmed = key.value.strip()
                if trimmed in seen:
                    first = seen[trimmed]
                    how = "" if first.value == key.value else f", {first.value!r} once trimmed"
                    out.append(PolicyProblem(name, key.start_mark.line + 1, key.start_mark.column + 1, "",
                                             f"duplicate key {key.value!r} (first at line {first.start_mark.line + 1}"
                                             f"{how})"))
                else:
                    seen[trimmed] = key
            out += _duplicate_keys(value, name)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            out += _duplicate_keys(item, name)
    return out


def _allowed_keys(loc: tuple[Any, ...]) -> list[str]:
    """Keys the policy schema allows at ``loc`` (:func:`planner.yaml_schema.model_keys`); a match key
    mapping allows ``attribute`` only (:class:`MatchKey`)."""
    model = model_at(Policy, loc)
    if isinstance(model, type) and issubclass(model, MatchKey):
        return ["attribute"]
    return model_keys(Policy, loc)


def _all_errors(exc: ValidationError, name: str, marks: Mapping,
                spellings: Mapping[tuple[Any, ...], str] = types.MappingProxyType({})) -> list[PolicyProblem]:
    """Every pydantic error as a :class:`PolicyProblem`, in file order, one per location
    (:func:`planner.yaml_schema.schema_problems`)."""
    return [PolicyProblem(name, p.line, p.column, p.path, p.message)
            for p in schema_problems(exc, marks, spellings, _allowed_keys)]
