"""Reading and parsing Python source: bytes -> text -> ``ast``, errors as data."""

from __future__ import annotations

import ast
import io
import os
import stat
import tokenize


class SourceError(Exception):
    """A file that cannot be read or parsed. ``line``/``col`` are 1-based when known."""

    def __init__(self, message: str, line: int = 1, col: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.col = col


def decode(data: bytes, path: str = "<bytes>") -> str:
    """Decode Python source bytes as the interpreter would (PEP 263 cookie, BOM, UTF-8)."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        text = data.decode(encoding)
    except (SyntaxError, LookupError, UnicodeDecodeError) as exc:
        raise SourceError(f"cannot decode {path}: {exc}") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return text


def read_source(path: str) -> str:
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise SourceError(f"{path}: not a regular file")
        with open(path, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        raise SourceError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise SourceError(f"{path}: is a directory") from None
    except OSError as exc:
        raise SourceError(f"{path}: cannot read: {exc.strerror or exc}") from None
    return decode(data, path)


def parse(source: str, path: str) -> ast.Module:
    try:
        return ast.parse(source, filename=path)
    except SyntaxError as exc:
        raise SourceError(f"SyntaxError: {exc.msg}", exc.lineno or 1, (exc.offset or 1)) from None
    except (ValueError, TypeError) as exc:  # null bytes and similar
        raise SourceError(f"cannot parse: {exc}") from None
    except (RecursionError, MemoryError):
        raise SourceError("cannot parse: the file is nested too deeply for Python's parser") from None
