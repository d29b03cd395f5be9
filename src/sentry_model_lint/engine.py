"""The engine: source -> facts -> rules -> violations, for one file.

Both front doors (the flake8 plugin and the CLI) call into this module. Nothing here prints or
exits; errors come back as data.
"""

from __future__ import annotations

import ast
import io
import tokenize
from collections.abc import Iterable
from dataclasses import dataclass, field

from sentry_model_lint.config import Config
from sentry_model_lint.facts import ModuleFacts, extract
from sentry_model_lint.hierarchy import ClassLookup, Hierarchy
from sentry_model_lint.paths import FileInfo, FileKind, classify
from sentry_model_lint.rules.base import Context, Family, Rule, Violation, all_rules

#: which rule families look at which kind of file
FAMILIES_BY_KIND: dict[FileKind, frozenset[Family]] = {
    FileKind.SOURCE: frozenset({Family.MODEL, Family.MIGRATION_TEST}),
    FileKind.MIGRATION: frozenset({Family.MIGRATION}),
    FileKind.TEST: frozenset({Family.MIGRATION_TEST}),
    FileKind.EXCLUDED: frozenset(),
}


class SourceError(Exception):
    """A file that cannot be read or parsed. ``line``/``col`` are 1-based when known."""

    def __init__(self, message: str, line: int = 1, col: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.col = col


@dataclass
class FileResult:
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
    except (SyntaxError, LookupError, UnicodeDecodeError) as exc:
        raise SourceError(f"cannot decode {path}: {exc}") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return text


def read_source(path: str) -> str:
    try:
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


def facts_for(tree: ast.Module, info: FileInfo, config: Config, lines: list[str] | None = None) -> ModuleFacts:
    if info.kind is FileKind.EXCLUDED:
        return ModuleFacts(info=info)
    return extract(tree, info, config.import_aliases, lines)


def selected_rules(config: Config, families: Iterable[Family]) -> list[Rule]:
    wanted = set(families)
    return [r for r in all_rules() if r.family in wanted and config.is_enabled(r.code, r.default_on)]


def run_rules(
    facts: ModuleFacts,
    config: Config,
    lookup: ClassLookup | None = None,
    internal_errors: list[str] | None = None,
) -> list[Violation]:
    rules = selected_rules(config, FAMILIES_BY_KIND[facts.info.kind])
    if not rules:
        return []
    ctx = Context(facts=facts, config=config, hierarchy=Hierarchy(facts.classes, lookup))
    found: set[Violation] = set()
    for rule in rules:
        try:
            for violation in rule.check(ctx):
                found.add(violation)
        except Exception as exc:  # a bug in a rule must not take the whole run down
            if internal_errors is not None:
                internal_errors.append(f"{rule.code} failed on {facts.info.path}: {type(exc).__name__}: {exc}")
    return sorted(found)


def lint_tree(
    tree: ast.Module,
    path: str,
    config: Config | None = None,
    *,
    root: str | None = None,
    info: FileInfo | None = None,
    lines: list[str] | None = None,
    internal_errors: list[str] | None = None,
) -> list[Violation]:
    """Violations of an already parsed module (the flake8 entry). ``lines`` is the source."""
    config = config or Config()
    info = info or classify(path, root)
    if info.kind is FileKind.EXCLUDED:
        return []
    facts = facts_for(tree, info, config, lines)
    return run_rules(facts, config, internal_errors=internal_errors)


def lint_source(
    source: str, path: str, config: Config | None = None, *, root: str | None = None, info: FileInfo | None = None
) -> FileResult:
    result = FileResult(path=path, source=source)
    info = info or classify(path, root)
    if info.kind is FileKind.EXCLUDED:
        return result
    try:
        tree = parse(source, path)
    except SourceError as exc:
        result.error = exc
        return result
    result.violations = lint_tree(
        tree, path, config, info=info, lines=source.splitlines(), internal_errors=result.internal_errors
    )
    return result


def lint_file(path: str, config: Config | None = None, *, root: str | None = None) -> FileResult:
    info = classify(path, root)
    if info.kind is FileKind.EXCLUDED:
        return FileResult(path=path, source="")
    try:
        source = read_source(path)
    except SourceError as exc:
        return FileResult(path=path, error=exc)
    return lint_source(source, path, config, info=info)
