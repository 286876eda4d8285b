"""Output files of a command: check every destination first, write beside it, rename all at the end.

The rule for every output location (``--out``, ``--report``, ``--csv``, ``--db``,
``fetch --out``, ``demo --workdir``):

- its **parent directory must already exist**; nothing creates missing parents
  (a typo in a path is refused instead of growing a directory tree). An output
  *directory* (``fetch --out``, ``demo --workdir``) is itself created when
  missing, like ``mkdir`` without ``-p``;
- an existing output file is replaced; an existing directory, device or other
  non-regular file is refused;
- an output may not be an input: not the policy file, the plan file or an
  ``--idp`` file, nor anything inside the ``--sigma`` or an ``--idp`` directory,
  nor another output of the same command (paths compared after resolving
  symbolic links and ``..``);
- a command writing several files declares them all before writing any, writes
  each to a hidden temporary file in the destination's directory
  (``.<name>.<random>.tmp``, which also proves the directory is writable) and
  renames them all over their destinations only after every one was written.
  A failure (bad input, a full disk, Ctrl-C) removes the temporary files, so it
  leaves nothing new and no half-written file behind.

Every file the tool writes goes through here (:class:`Outputs`; :func:`write_all`,
:func:`write_file` and :func:`write_record` are shorthands of it): the plan, report,
CSV, exports, and the approval and run results that apply keeps beside a plan (the
audit trail, which no other output may replace). Only appends (the journal) and the
sandbox's own database are written elsewhere.

Every refusal is an :class:`OutputError`: one line, ``cannot write <path>: <reason>``.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
from pathlib import Path
from typing import IO, Any, Iterable, Iterator, Mapping, Union

from .errors import UserError


class OutputError(UserError):
    """An output location cannot be written; ``str(exc)`` is ``cannot write <path>: <reason>``."""


def _reason(exc: OSError, parent: Path) -> str:
    """One-line reason of an ``OSError`` raised while creating a file in ``parent``."""
    if exc.errno == errno.ENOENT and parent.is_dir():
        return f"cannot create files in {parent} ({exc.strerror})"  # /proc and the like
    return exc.strerror or str(exc)


InputPath = Union[str, os.PathLike[str]]
InputPaths = Mapping[str, Union[InputPath, Iterable[InputPath], None]]
"""The inputs of a command by option name (``"--policy"``, ``"--sigma"``, ``"--idp"``, ``"PLAN"``): a
path, several (``--idp`` may repeat), or ``None`` (not given); outputs may not be any of them."""


def _resolve(path: Path) -> Path:
    return Path(os.path.realpath(path))


def _input_paths(inputs: InputPaths) -> list[tuple[str, str, Path]]:
    """``[(option, path as given, resolved path)]`` of the inputs (a value: a path, several, or ``None``)."""
    out: list[tuple[str, str, Path]] = []
    for option, value in inputs.items():
        if value is None:
            continue
        values = [value] if isinstance(value, (str, os.PathLike)) else list(value)
        out.extend((option, str(v), _resolve(Path(v))) for v in values if v is not None)
    return out


def check_not_an_input(path: str | os.PathLike[str], inputs: InputPaths) -> None:
    """Raise :class:`OutputError` when ``path`` is an input file or lies inside an input directory.

    ``inputs`` maps an option name (``"--policy"``, ``"--sigma"``, ``"PLAN"``) to a
    path, a list of paths, or ``None``. Paths are compared resolved (symbolic
    links, ``..``), so ``./a/../p.yaml`` is ``p.yaml``.
    """
    target = _resolve(Path(path))
    for option, given, source in _input_paths(inputs):
        if target == source:
            raise OutputError(f"cannot write {path}: it is the {option} input {given}")
        if source.is_dir() and target.is_relative_to(source):
            raise OutputError(f"cannot write {path}: it is inside the {option} input directory {given}")


def check_destination(path: str | os.PathLike[str], *, record: bool = False) -> Path:
    """The resolved destination of an output *file*, or :class:`OutputError`.

    Refused: a missing parent directory, a parent that is not a directory, an
    existing destination that is not a regular file, and (unless ``record``: the
    tool writing its own audit trail) a file of an apply's audit trail
    (:func:`check_not_audit_trail`). Symbolic links are followed (the file they
    point to is replaced, the link stays).
    """
    target = _resolve(Path(path))
    parent = target.parent
    if not parent.exists():
        raise OutputError(f"cannot write {path}: directory {Path(path).parent} does not exist (create it first)")
    if not parent.is_dir():
        raise OutputError(f"cannot write {path}: {Path(path).parent} is not a directory")
    if target.is_dir():
        raise OutputError(f"cannot write {path}: it is a directory")
    if target.exists() and not target.is_file():
        raise OutputError(f"cannot write {path}: it exists and is not a regular file")
    if not record:
        check_not_audit_trail(path, target)
    return target


AUDIT_TRAIL_FILE = re.compile(r"\.(approval|journal\.sqlite(-wal|-shm|-journal)?|journal\.lock|run-\d+\.result\.(json|html))$")
"""Names apply and approve give their records beside a plan (docs/apply.md: the audit trail)."""


def check_not_audit_trail(path: str | os.PathLike[str], target: Path) -> None:
    """Raise :class:`OutputError` when writing ``target`` would destroy an apply's audit trail.

    Refused: an approval, a journal (and its SQLite side files or lock), a run's result file, and a
    plan that has a journal beside it (it was applied: the journal belongs to that plan's digest,
    so after a replacement ``undo``, ``verify`` and later waves would refuse). A plan with only an
    approval may be replaced: apply then refuses the approval of another digest.
    """
    if AUDIT_TRAIL_FILE.search(target.name):
        raise OutputError(f"cannot write {path}: it is part of an apply's audit trail; choose another name")
    journal = target.with_name(target.name + ".journal.sqlite")
    if journal.exists():
        raise OutputError(f"cannot write {path}: it is a plan with {journal.name} beside it "
                          "(replacing it would orphan that journal); choose another name")


def _create_temp(target: Path) -> Path:
    """Create ``.<name>.<random>.tmp`` beside ``target`` (mode from the umask); OSError when impossible."""
    while True:
        tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            return tmp
        except FileExistsError:
            continue


class Outputs:
    """The output files of one command, written all or nothing.

    Usage::

        with Outputs(inputs={"--policy": policy, "--sigma": sigma_dir}) as outputs:
            outputs.add("--out", out)              # checks now, before the slow work
            outputs.add("--report", report)
            ...                                    # compute
            with outputs.open(out) as fh:          # text, UTF-8, newline=""
                fh.write(...)
            outputs.write_text(report, html)
        # here every file is in place; on an exception none was touched

    :meth:`add` raises :class:`OutputError` for a refused destination (module
    docstring: missing parent, directory, an input, the same file as another
    output, not writable). Writing errors (a full disk) become :class:`OutputError`
    too. Leaving the ``with`` block normally renames every temporary file over
    its destination (:meth:`commit`); leaving it by an exception removes them.
    """

    def __init__(self, *, inputs: InputPaths | None = None) -> None:
        self._inputs = dict(inputs or {})
        self._temps: dict[Path, tuple[str, str, Path]] = {}  # destination -> (option, as given, temp)
        self._written: set[Path] = set()

    def __enter__(self) -> Outputs:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.discard()

    # ------------------------------------------------------------------ declaring

    def add(self, option: str, path: str | os.PathLike[str], *, record: bool = False) -> Path:
        """Declare the output ``option`` (e.g. ``"--out"``) at ``path``; check it and create its temp file.

        Returns the resolved destination. Raises :class:`OutputError` (module docstring).
        ``record``: ``path`` is one of the tool's own audit-trail records beside a plan (an
        approval, a run's result), which :func:`check_not_audit_trail` keeps every other
        output from replacing; see :func:`write_record`.
        """
        check_not_an_input(path, self._inputs)
        target = check_destination(path, record=record)
        if target in self._temps:
            other = self._temps[target][0]
            raise OutputError(f"cannot write {path}: {other} and {option} name the same file")
        try:
            tmp = _create_temp(target)
        except OSError as exc:
            raise OutputError(f"cannot write {path}: {_reason(exc, target.parent)}") from None
        self._temps[target] = (option, str(path), tmp)
        return target

    def _entry(self, path: str | os.PathLike[str]) -> tuple[Path, str, Path]:
        target = _resolve(Path(path))
        if target not in self._temps:
            raise KeyError(f"{path} was not declared with Outputs.add")
        _, given, tmp = self._temps[target]
        return target, given, tmp

    # ------------------------------------------------------------------ writing

    @contextlib.contextmanager
    def open(self, path: str | os.PathLike[str], *, encoding: str = "utf-8") -> Iterator[IO[str]]:
        """The temporary file of a declared output, open for writing text (``newline=""``)."""
        target, given, tmp = self._entry(path)
        try:
            with open(tmp, "w", encoding=encoding, newline="") as fh:
                yield fh
        except OSError as exc:
            raise OutputError(f"cannot write {given}: {exc.strerror or exc}") from None
        self._written.add(target)

    def write_text(self, path: str | os.PathLike[str], text: str, *, encoding: str = "utf-8") -> None:
        """Write ``text`` (``newline=""``: no newline translation) to a declared output."""
        with self.open(path, encoding=encoding) as fh:
            fh.write(text)

    def write_bytes(self, path: str | os.PathLike[str], data: bytes) -> None:
        """Write ``data`` to a declared output."""
        target, given, tmp = self._entry(path)
        try:
            tmp.write_bytes(data)
        except OSError as exc:
            raise OutputError(f"cannot write {given}: {exc.strerror or exc}") from None
        self._written.add(target)

    # ------------------------------------------------------------------ finishing

    def commit(self) -> list[Path]:
        """Rename every temporary file over its destination; return the destinations.

        A declared output that was never written is discarded with the others
        and raises ``RuntimeError`` (a programming error, not a user's).
        Renames stay in one directory, so they do not fail after the checks
        short of a concurrent change to the directory; that one becomes
        :class:`OutputError`.
        """
        missing = [given for target, (_, given, _) in self._temps.items() if target not in self._written]
        if missing:
            self.discard()
            raise RuntimeError(f"outputs declared but not written: {', '.join(missing)}")
        done: list[Path] = []
        try:
            for target, (_, given, tmp) in list(self._temps.items()):
                try:
                    os.replace(tmp, target)
                except OSError as exc:
                    raise OutputError(f"cannot write {given}: {exc.strerror or exc}") from None
                done.append(target)
                del self._temps[target]
        finally:
            self.discard()
        return done

    def discard(self) -> None:
        """Remove the temporary files not renamed yet (idempotent)."""
        for _, _, tmp in self._temps.values():
            with contextlib.suppress(OSError):
                tmp.unlink()
        self._temps.clear()


def write_all(files: Mapping[str | os.PathLike[str], bytes | str], *, inputs: InputPaths | None = None,
              record: bool = False) -> list[Path]:
    """Write ``{path: bytes or text}`` all or nothing (:class:`Outputs`; text as UTF-8, no newline
    translation); return the destinations. ``record`` as :meth:`Outputs.add`."""
    with Outputs(inputs=inputs) as outputs:
        for path in files:
            outputs.add(str(path), path, record=record)
        for path, data in files.items():
            outputs.write_bytes(path, data.encode("utf-8") if isinstance(data, str) else data)
    return [_resolve(Path(p)) for p in files]


def write_file(path: str | os.PathLike[str], data: bytes | str, *, encoding: str = "utf-8") -> Path:
    """Write one output file all or nothing (temp file beside it, then rename); return its path as given.

    The output rules of the module docstring apply (the parent directory must exist);
    :class:`OutputError` (one line) when refused or when writing fails. ``str`` data is
    encoded with ``encoding`` (``"utf-8-sig"`` for a CSV that Excel opens).
    """
    write_all({path: data.encode(encoding) if isinstance(data, str) else data})
    return Path(path)


def write_record(path: str | os.PathLike[str], text: str) -> Path:
    """Write one of the tool's own audit-trail records beside a plan (an approval, a run's
    result JSON or HTML; docs/apply.md) as UTF-8, all or nothing; return its path as given.

    The rules of :func:`write_file` without :func:`check_not_audit_trail`, which keeps every
    *other* output from replacing these records. :class:`OutputError` when it cannot be written.
    """
    write_all({path: text}, record=True)
    return Path(path)


@contextlib.contextmanager
def output_directory(path: str | os.PathLike[str]) -> Iterator[Path]:
    """An output *directory* (``fetch --out``, ``demo --workdir``): checked, created if missing.

    The parent must exist; the directory is created without parents. A probe
    file proves it is writable. When the block raises and the directory was
    created here, it is removed again if still empty (nothing new is left). An
    ``OSError`` naming a file (``exc.filename``) that escapes the block becomes
    :class:`OutputError` ``cannot write <file>: <reason>``; others propagate.
    """
    given = Path(path)
    target = _resolve(given)
    if target.exists() and not target.is_dir():
        raise OutputError(f"cannot write {path}: it exists and is not a directory")
    created = False
    if not target.exists():
        if not target.parent.is_dir():
            raise OutputError(f"cannot write {path}: directory {given.parent} does not exist (create it first)")
        try:
            target.mkdir()
        except OSError as exc:
            raise OutputError(f"cannot write {path}: {_reason(exc, target.parent)}") from None
        created = True
    try:
        try:
            os.unlink(_create_temp(target / "probe"))
        except OSError as exc:
            raise OutputError(f"cannot write {path}: {_reason(exc, target)}") from None
        try:
            yield given
        except OSError as exc:
            if exc.filename is None:
                raise
            raise OutputError(f"cannot write {exc.filename}: {exc.strerror or exc}") from None
    except BaseException:
        if created:
            with contextlib.suppress(OSError):
                target.rmdir()  # only when empty
        raise


def check_output_file(path: str | os.PathLike[str], *, inputs: InputPaths | None = None) -> Path:
    """Check an output file written in place by someone else (``sandbox serve --db``).

    The same checks as :meth:`Outputs.add` and a writability probe beside it
    (created and removed at once). Returns the resolved destination.
    """
    check_not_an_input(path, inputs or {})
    target = check_destination(path)
    try:
        os.unlink(_create_temp(target))
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {_reason(exc, target.parent)}") from None
    return target


