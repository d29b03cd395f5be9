"""Reading and parsing Python source: bytes -> text -> ``ast``, errors as data."""

from __future__ import annotations

import ast
import io
import os
import re
import stat
import tokenize
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sentry_model_lint.rules.base import Violation


class SourceError(Exception):
    """A file that cannot be read or parsed. ``line``/``col`` are 1-based when known."""

    def __init__(self, message: str, line: int = 1, col: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.col = col


@dataclass
class FileResult:
    """What linting one file gave: its findings (before ``# noqa``) or why it could not be read."""

    path: str
    violations: list[Violation] = field(default_factory=list)
    error: SourceError | None = None  # unreadable or unparsable file
    internal_errors: list[str] = field(default_factory=list)  # a rule that failed (a bug)
    source: str | None = None


def decode(data: bytes, path: str = "<bytes>") -> str:
    """Decode Python source bytes as the interpreter would (PEP 263 cookie, BOM, UTF-8)."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        text = data.decode(encoding)
    except (SyntaxError, LookupError, UnicodeError, ValueError, TypeError) as exc:
        # UnicodeError: a codec such as ``punycode`` that fails with more than UnicodeDecodeError
        raise SourceError(f"cannot decode {path}: {exc}") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return text


def encoding_of(data: bytes) -> str:
    """The codec Python reads ``data`` with: ``utf-8-sig`` when it starts with a BOM (encoding
    with it puts the BOM back), else the PEP 263 cookie's codec, else ``utf-8``."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        raise SourceError(f"cannot decode: {exc}") from None
    return encoding


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
    except RecursionError:
        raise SourceError("cannot parse: the file is nested too deeply for Python's parser") from None
    except MemoryError:
        # CPython's parser raises MemoryError both when its own stack overflows on deep nesting
        # and when memory truly runs out: the message names both rather than guess
        raise SourceError(
            "cannot parse: Python's parser ran out of memory (nesting too deep for it, or too little memory)"
        ) from None


_LINE_END = re.compile(r"(?<=\r\n)|(?<=\r)(?!\n)|(?<=\n)")


def physical_lines(source: str, keepends: bool = False) -> list[str]:
    """Lines as Python's tokenizer counts them: split at \\n, \\r\\n and \\r only.

    ``str.splitlines`` also splits at form feeds, U+2028 and other separators that may sit in a
    comment or a string, which would shift every line number after them.
    """
    if "\r" not in source:  # the common case: \n alone, no regular expression needed
        parts = source.split("\n")
        if keepends:
            lines = [part + "\n" for part in parts[:-1]]
            return [*lines, parts[-1]] if parts[-1] else lines
        return parts[:-1] if not parts[-1] else parts
    lines = [line for line in _LINE_END.split(source) if line]
    if keepends:
        return lines
    return [line.rstrip("\r\n") for line in lines]
