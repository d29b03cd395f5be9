"""``# noqa`` handling for the CLI, matching flake8's own rules exactly.

flake8 applies these itself to the plugin's findings; the CLI applies the same ones:
- ``# noqa`` silences every finding on the line; ``# noqa: SML101,SML2`` silences codes that equal
  or start with one of the listed codes (so ``SML2`` covers the SML2xx family);
- a comment at the end of a multi-line string or a backslash-continued line covers every line of
  it, as flake8 maps each physical line to its whole token range;
- a line that is only ``# flake8: noqa`` silences the whole file.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Iterable

from sentry_model_lint.rules.base import Violation
from sentry_model_lint.source import physical_lines

NOQA_INLINE = re.compile(r"# noqa(?::[\s]?(?P<codes>([A-Z]+[0-9]+(?:[,\s]+)?)+))?", re.IGNORECASE)
NOQA_FILE = re.compile(r"\s*# flake8[:=]\s*noqa", re.IGNORECASE)
_SPLIT = re.compile(r"[,\s]")


def file_is_ignored(lines: list[str]) -> bool:
    return any(NOQA_FILE.match(line) for line in lines)


def line_mapping(source: str, lines: list[str]) -> dict[int, str]:
    """For each line number, the text flake8 searches for ``# noqa``."""
    mapping: dict[int, str] = {}
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError):
        return mapping
    low, high = len(lines) + 2, -1
    for tok in tokens:
        if tok.type in (tokenize.ENDMARKER, tokenize.DEDENT):
            continue
        low = min(low, tok.start[0])
        high = max(high, tok.end[0])
        if tok.type in (tokenize.NL, tokenize.NEWLINE):
            joined = "".join(lines[low - 1 : high])
            for number in range(low, high + 1):
                mapping[number] = joined
            low, high = len(lines) + 2, -1
    return mapping


def is_silenced(code: str, text: str) -> bool:
    match = NOQA_INLINE.search(text)
    if match is None:
        return False
    codes_text = match.group("codes")
    if codes_text is None:
        return True
    codes = tuple(c.strip() for c in _SPLIT.split(codes_text) if c.strip())
    return code in codes or code.startswith(codes)


def filter_violations(violations: Iterable[Violation], source: str) -> list[Violation]:
    violations = list(violations)
    if not violations or "noqa" not in source.lower():
        return violations  # no comment can silence anything: skip the tokenizer
    lines = physical_lines(source, keepends=True)
    if file_is_ignored(lines):
        return []
    mapping = line_mapping(source, lines)
    kept = []
    for violation in violations:
        text = mapping.get(violation.line)
        if text is None:
            text = lines[violation.line - 1] if 0 < violation.line <= len(lines) else ""
        if not is_silenced(violation.code, text):
            kept.append(violation)
    return kept
