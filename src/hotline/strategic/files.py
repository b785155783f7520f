"""Output files written whole or not at all: the report's files and the exports.

A full disk, a quota or a killed process must never leave a truncated ``assessment.html`` or
export that looks like a real one. Each file is written to a temporary file in the same
folder, flushed to disk, and renamed over the target (:func:`os.replace`, atomic on POSIX and
Windows). If anything fails, the temporary file is removed: the target is the old file, or
there is none, and :class:`OutputError` says which file and why, in one line.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any


class OutputError(Exception):
    """An output file could not be written; the message is one line for people."""

    def __init__(self, path: Path, error: OSError) -> None:
        reason = error.strerror or str(error) or type(error).__name__
        super().__init__(f"cannot write {path}: {reason}; any earlier file there is unchanged")
        self.path = path


def _new_file_mode(target: Path) -> int:
    """The mode an ordinary new file would get (the umask applied), or the old file's mode."""
    try:
        return os.stat(target).st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def temporary_beside(path: Path) -> Path:
    """A new, empty temporary file in ``path``'s folder, for a tool that writes by file name;
    :func:`commit` puts it in place. Raises :class:`OutputError`."""
    try:
        fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    except OSError as error:
        raise OutputError(path, error) from error
    os.close(fd)
    return Path(temporary)


def commit(temporary: Path, path: Path) -> None:
    """Rename the finished ``temporary`` over ``path``, with the mode a new file would get."""
    try:
        os.chmod(temporary, _new_file_mode(path))
        os.replace(temporary, path)
    except OSError as error:
        raise OutputError(path, error) from error


@contextmanager
def atomic_output(path: Path, *, text: bool = False) -> Iterator[IO[Any]]:
    """A handle to write ``path`` through: binary, or with ``text`` UTF-8 text that keeps line
    endings as written (what :mod:`csv` expects). The file appears only when the block ends
    without an exception; an :class:`OSError` inside becomes :class:`OutputError`.
    """
    path = Path(path)
    try:
        fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    except OSError as error:
        raise OutputError(path, error) from error
    try:
        try:
            handle: IO[Any]
            try:
                if text:
                    handle = os.fdopen(fd, "w", encoding="utf-8", newline="")
                else:
                    handle = os.fdopen(fd, "wb")
            except BaseException:
                os.close(fd)
                raise
            with handle:
                yield handle
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as error:
            raise OutputError(path, error) from error
        commit(Path(temporary), path)
    except BaseException:
        with suppress(OSError):
            os.unlink(temporary)
        raise


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all (see :func:`atomic_output`)."""
    with atomic_output(path) as handle:
        handle.write(data)
