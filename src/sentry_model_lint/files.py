"""Writing a file atomically: a temporary file in the target's folder, then a rename, so that a
reader (another run, a flake8 worker, an editor) never sees half a file."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile


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
