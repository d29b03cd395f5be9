"""Reporters: how findings are written out (text, json, sarif, github) and the statistics."""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TextIO
from urllib.parse import quote

from sentry_model_lint import __version__
from sentry_model_lint.rules.base import Fix, all_rules, get_rule, strip_expect_marks

SYNTAX_ERROR = "E999"
FORMATS = ("text", "json", "sarif", "github")
INFO_URI = "https://develop.sentry.dev/database-migrations/"


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    column: int  # 1-based, as flake8 prints it
    code: str
    message: str
    symbol: str = ""
    root: str | None = None  # the project root the file belongs to (SARIF URIs are relative to it)

    @property
    def rule_name(self) -> str:
        rule = get_rule(self.code)
        return rule.name if rule else "syntax-error"

    @property
    def rel_path(self) -> str:
        """The path relative to the project root (as given when there is no root or the file
        lies outside it): what the github and SARIF formats report, whatever the working folder."""
        if self.root is None:
            return self.path
        rel = os.path.relpath(os.path.abspath(self.path), os.path.abspath(self.root))
        return self.path if rel == os.pardir or rel.startswith(os.pardir + os.sep) else rel.replace(os.sep, "/")

    @property
    def fix(self) -> str | None:
        """``"safe"`` (applied by ``--fix``), ``"unsafe"`` (also needs ``--unsafe-fixes``) or None."""
        return fix_kind(self.code)

    @property
    def fixable(self) -> bool:
        """Fixed by ``--fix`` alone (as ruff counts it)."""
        return self.fix == "safe"


def fix_kind(code: str) -> str | None:
    """The fix the rule ``code`` declares: ``"safe"``, ``"unsafe"`` or None."""
    rule = get_rule(code)
    return None if rule is None or rule.fix is Fix.NONE else str(rule.fix.value)


#: the marker the text format puts after the code of a finding with a fix
MARKERS = {"safe": "[*] ", "unsafe": "[~] ", None: ""}


# C0 and C1 controls, DEL, and the Unicode line and paragraph separators: any of them in a path
# or message could start a forged line or drive the terminal
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape_control(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_controls(text: str) -> str:
    """``text`` with its control characters written as escapes (``\\n``, ``\\x1b``), for any
    human-readable output: a path or message read from a checkout cannot forge a line."""
    return _CONTROLS.sub(_escape_control, text)


def write(findings: Sequence[Finding], fmt: str, out: TextIO, colour: bool = False) -> None:
    if fmt == "text":
        _text(findings, out, colour)
    else:
        {"json": _json, "sarif": _sarif, "github": _github}[fmt](findings, out)


#: ANSI styles of the coloured text report
_BOLD, _RED, _CYAN, _DIM, _RESET = "\033[1m", "\033[31m", "\033[36m", "\033[2m", "\033[0m"


def _text(findings: Sequence[Finding], out: TextIO, colour: bool = False) -> None:
    for f in findings:
        if colour:  # the escaped text is coloured: a checkout still cannot send its own escapes
            place = f"{_BOLD}{escape_controls(f.path)}{_RESET}{_DIM}:{f.line}:{f.column}:{_RESET}"
            marker = f"{_CYAN}{MARKERS[f.fix]}{_RESET}" if f.fix else ""
            out.write(f"{place} {_BOLD}{_RED}{f.code}{_RESET} {marker}{escape_controls(f.message)}\n")
        else:
            out.write(escape_controls(f"{f.path}:{f.line}:{f.column}: {f.code} {MARKERS[f.fix]}{f.message}") + "\n")


def fix_summary(findings: Sequence[Finding]) -> str | None:
    """The hint after a text report: how many findings ``--fix`` (and ``--unsafe-fixes``) would
    fix, or None when none would."""
    safe = sum(1 for f in findings if f.fix == "safe")
    unsafe = sum(1 for f in findings if f.fix == "unsafe")
    if not safe and not unsafe:
        return None
    text = f"[*] {safe} fixable with `--fix`" if safe else "[*] none fixable with `--fix` alone"
    if unsafe:
        text += f" ([~] {unsafe} more with `--fix --unsafe-fixes`)"
    return text


def _json(findings: Sequence[Finding], out: TextIO) -> None:
    json.dump(_json_rows(findings), out, indent=2)
    out.write("\n")


def _json_rows(findings: Sequence[Finding]) -> list[dict[str, Any]]:
    return [
        {
            "path": f.path,
            "line": f.line,
            "column": f.column,
            "code": f.code,
            "name": f.rule_name,
            "message": f.message,
            "symbol": f.symbol,
            "fixable": f.fixable,
            "fix": f.fix,
        }
        for f in findings
    ]


def _escape_data(text: str) -> str:
    return escape_controls(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _github(findings: Sequence[Finding], out: TextIO) -> None:
    for f in findings:
        title = _escape_property(f"{f.code} {f.rule_name}")
        out.write(
            f"::error file={_escape_property(f.rel_path)},line={f.line},col={f.column},title={title}::"
            f"{_escape_data(f.code + ' ' + f.message)}\n"
        )


def sarif_rules() -> list[dict[str, Any]]:
    rules = []
    for rule in all_rules():
        help_text = f"{rule.summary}\n\nWhy: {rule.why}\n\nUse instead: {rule.instead}"
        if rule.notes:
            help_text += f"\n\nNotes: {rule.notes}"
        markdown = f"**{rule.summary}**\n\n{rule.why}\n\n**Use instead:** {rule.instead}"
        examples = rule.examples(valid=False)
        if examples:
            markdown += "\n\n```python\n" + strip_expect_marks(examples[0][1]) + "```"
        rules.append(
            {
                "id": rule.code,
                "name": rule.name,
                "shortDescription": {"text": rule.summary},
                "fullDescription": {"text": rule.why},
                "help": {"text": help_text, "markdown": markdown},
                "defaultConfiguration": {"enabled": rule.default_on, "level": "error"},
                "properties": {"family": rule.family.value, "fix": rule.fix.value},
            }
        )
    return rules


def _file_uri(path: str) -> str:
    """An absolute ``file://`` URI, percent-encoded per RFC 3986 (names that are not UTF-8
    keep their bytes)."""
    absolute = os.path.abspath(path).replace("\\", "/")
    if not absolute.startswith("/"):
        absolute = "/" + absolute  # C:/x -> file:///C:/x
    return "file://" + quote(os.fsencode(absolute), safe="/:")


def _relative_uri(path: str, root: str) -> str | None:
    """``path`` as a URI reference relative to ``root``, or None when it lies outside."""
    absolute, base = os.path.abspath(path), os.path.abspath(root)
    try:
        rel = os.path.relpath(absolute, base)
    except ValueError:  # another drive
        return None
    if rel == os.pardir or rel.startswith(os.pardir + os.sep) or os.path.isabs(rel):
        return None
    return quote(os.fsencode(rel.replace("\\", "/")), safe="/")


def _artifact_location(f: Finding, base: str | None) -> dict[str, str]:
    if base is not None and f.root is not None and os.path.abspath(f.root) == base:
        rel = _relative_uri(f.path, base)
        if rel is not None:
            return {"uri": rel, "uriBaseId": "%SRCROOT%"}
    return {"uri": _file_uri(f.path)}


def sarif_document(findings: Sequence[Finding]) -> dict[str, Any]:
    # %SRCROOT% is the project root of most findings; findings in another root (or none) get an
    # absolute file:// URI
    roots = Counter(os.path.abspath(f.root) for f in findings if f.root is not None)
    base = roots.most_common(1)[0][0] if roots else None
    rules = sarif_rules()
    index = {r["id"]: i for i, r in enumerate(rules)}
    results = []
    seen: Counter[tuple[str, str, str]] = Counter()
    for f in findings:
        result: dict[str, Any] = {
            "ruleId": f.code,
            "level": "error",
            "message": {"text": f.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": _artifact_location(f, base),
                        "region": {"startLine": max(1, f.line), "startColumn": max(1, f.column)},
                    }
                }
            ],
        }
        if f.code in index:
            result["ruleIndex"] = index[f.code]
        # unique per finding: two unnamed indexes of one Meta share a symbol, so the n-th finding
        # of a (file, code, symbol) gets its rank; stable across runs as long as the order holds
        key = (f.rel_path, f.code, f.symbol or f"line {f.line}")
        seen[key] += 1
        result["partialFingerprints"] = {"symbol/v1": f"{key[0]}:{key[1]}:{key[2]}:{seen[key]}"}
        results.append(result)
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "sentry-model-lint",
                "version": __version__,
                "informationUri": INFO_URI,
                "rules": rules,
            }
        },
        "results": results,
    }
    if base is not None:
        run["originalUriBaseIds"] = {"%SRCROOT%": {"uri": _file_uri(base).rstrip("/") + "/"}}
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [run],
    }


def _sarif(findings: Sequence[Finding], out: TextIO) -> None:
    json.dump(sarif_document(findings), out, indent=2)
    out.write("\n")


def statistics_rows(findings: Sequence[Finding]) -> list[dict[str, Any]]:
    counts = Counter(f.code for f in findings)
    rows = []
    for code, count in sorted(counts.items()):
        rule = get_rule(code)
        rows.append({"code": code, "name": rule.name if rule else "syntax-error", "count": count, "fix": fix_kind(code)})
    return rows


def statistics(findings: Sequence[Finding], out: TextIO) -> None:
    """Counts per code, as text lines (``--statistics`` with the text format)."""
    for row in statistics_rows(findings):
        marker = MARKERS[row["fix"]]
        out.write(f"{row['count']:<5} {row['code']} {marker}{row['name']}\n")


def write_with_statistics(findings: Sequence[Finding], fmt: str, out: TextIO) -> None:
    """``--statistics`` with a machine format: one JSON document ``{"findings": ..., "statistics":
    ...}`` for json (the findings list alone without ``--statistics``); SARIF carries the counts
    in the run's ``properties``; github prints the counts as a ``::notice``."""
    if fmt == "json":
        json.dump({"findings": _json_rows(findings), "statistics": statistics_rows(findings)}, out, indent=2)
        out.write("\n")
    elif fmt == "sarif":
        document = sarif_document(findings)
        document["runs"][0]["properties"] = {"statistics": statistics_rows(findings)}
        json.dump(document, out, indent=2)
        out.write("\n")
    elif fmt == "github":
        _github(findings, out)
        counts = ", ".join(f"{row['code']}: {row['count']}" for row in statistics_rows(findings)) or "no findings"
        out.write(f"::notice title=sentry-model-lint statistics::{_escape_data(counts)}\n")
    else:
        _text(findings, out)
        statistics(findings, out)
