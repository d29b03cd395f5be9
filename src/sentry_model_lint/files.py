"""Reading and writing the files of a checkout.

Reading: :func:`read_bytes` / :func:`read_text`, the one guarded way to read an input file of an
untrusted checkout (never blocks on a FIFO or device, never reads without bound, never follows a
symlink out of the project). Writing atomically: a temporary file in the target's folder, then a
rename, so that a reader (another run, a flake8 worker, an editor) never sees half a file."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile

#: the largest input file read (bytes); anything larger is treated as unreadable
MAX_INPUT_BYTES = 16 * 1024 * 1024

_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_BINARY = getattr(os, "O_BINARY", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


class RefusedFile(OSError):
    """An input file that is not read: not a regular file, too large, or a symlink out of the
    project. An :class:`OSError`, so callers treat it like any unreadable file."""


def _inside(root: str, path: str) -> bool:
    try:
        return os.path.commonpath([os.path.realpath(root), path]) == os.path.realpath(root)
    except ValueError:  # another drive on Windows
        return False


def read_bytes(path: str, *, root: str | None = None, limit: int = MAX_INPUT_BYTES) -> bytes:
    """The bytes of the regular file ``path``, read without blocking and without bound issues.

    Raises :class:`OSError` (``FileNotFoundError`` when missing, :class:`RefusedFile` when
    refused) for anything that is not a regular file (FIFO, device, socket, folder), a file of
    more than ``limit`` bytes, or, when ``root`` is given, a path whose symlinks lead outside
    ``root``.
    """
    real = os.path.realpath(path)
    if root is not None and not _inside(root, real):
        raise RefusedFile(f"{path}: a symbolic link out of the project")
    # O_NONBLOCK: opening a FIFO with no writer returns at once instead of waiting
    fd = os.open(real, os.O_RDONLY | _NONBLOCK | _NOFOLLOW | _CLOEXEC | _BINARY)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise RefusedFile(f"{path}: not a regular file")
        if info.st_size > limit:
            raise RefusedFile(f"{path}: larger than {limit} bytes")
        chunks: list[bytes] = []
        size = 0
        while True:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:  # grew since fstat
                raise RefusedFile(f"{path}: larger than {limit} bytes")
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_text(path: str, *, root: str | None = None, limit: int = MAX_INPUT_BYTES, errors: str = "replace") -> str:
    """:func:`read_bytes` decoded as UTF-8 (``errors`` as in :meth:`bytes.decode`)."""
    return read_bytes(path, root=root, limit=limit).decode("utf-8", errors)


def write_atomically(
    path: str,
    data: str | bytes,
    *,
    keep_mode: bool = False,
    mode: int | None = None,
    prefix: str | None = None,
    newline: str | None = None,
) -> None:
    """Replace (or create) ``path`` with ``data``.

    ``data`` is written to a temporary file (``<prefix>XXXXXXXX.tmp``, ``tmp`` when ``prefix``
    is None) in the folder of ``path``, which is then renamed over ``path``; on any failure the
    temporary file is removed and the error raised. Text is written as UTF-8, with ``newline``
    as in :func:`open` (None: ``\\n`` becomes the platform's line ending, ``""``: written as
    is); bytes are written as they are.

    ``keep_mode``: ``path`` must exist, and the new file gets its permission bits (a fixed
    source file stays as readable as it was). Otherwise the file gets the temporary file's mode
    (0600, readable by its owner only) unless ``mode`` gives its permission bits (a baseline is
    0644, like any file of the project); ``mode`` and ``keep_mode`` cannot be combined.
    """
    if keep_mode and mode is not None:
        raise ValueError("write_atomically: give mode or keep_mode, not both")
    if keep_mode:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=prefix, suffix=".tmp")
    try:
        if isinstance(data, bytes):
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
        else:
            with os.fdopen(fd, "w", encoding="utf-8", newline=newline) as fh:
                fh.write(data)
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
