"""The engine: source -> facts -> rules -> violations, for one file.

Both front doors (the flake8 plugin and the CLI) call into this module. Nothing here prints or
exits; errors come back as data.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Iterable
from typing import TYPE_CHECKING

from sentry_model_lint.capabilities import Capabilities, for_root
from sentry_model_lint.config import Config
from sentry_model_lint.facts import ModuleFacts, extract
from sentry_model_lint.hierarchy import ClassLookup, Hierarchy
from sentry_model_lint.history import is_history
from sentry_model_lint.paths import FileInfo, FileKind, classify
from sentry_model_lint.rules.base import Context, Family, Rule, Violation, all_rules
from sentry_model_lint.source import FileResult, SourceError, decode, parse, physical_lines, read_source

if TYPE_CHECKING:
    from sentry_model_lint.project import ProjectIndex

__all__ = ["FileResult", "SourceError", "decode", "lint_file", "lint_source", "lint_tree", "parse", "read_source"]

#: which rule families look at which kind of file
FAMILIES_BY_KIND: dict[FileKind, frozenset[Family]] = {
    FileKind.SOURCE: frozenset({Family.MODEL, Family.MIGRATION_TEST, Family.PROJECT}),
    FileKind.MIGRATION: frozenset({Family.MIGRATION, Family.PROJECT}),
    FileKind.TEST: frozenset({Family.MIGRATION_TEST, Family.PROJECT}),
    FileKind.EXCLUDED: frozenset(),
}


def project_for(info: FileInfo, config: Config) -> ProjectIndex | None:
    """The shared index of the file's project, or None (index off, or no project root)."""
    return None if info.kind is FileKind.EXCLUDED else index_at(info.root, config)


def index_at(root: str | None, config: Config) -> ProjectIndex | None:
    """The shared index of the project at ``root``, or None (index off, or no project root)."""
    if not config.project_index or root is None:
        return None
    if root in (os.path.abspath(os.sep), os.path.expanduser("~")):
        return None  # a marker at the top of the filesystem or in $HOME is not a project
    from sentry_model_lint.project import index_for

    return index_for(root, config, config.use_cache)


def capabilities_for(info: FileInfo, config: Config) -> Capabilities:
    """What the file's checkout provides (today's Sentry where there is no checkout to read)."""
    root = info.root
    if root is not None and root in (os.path.abspath(os.sep), os.path.expanduser("~")):
        root = None
    return for_root(root, config.capability_overrides)


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
    project: ProjectIndex | None = None,
    internal_errors: list[str] | None = None,
    info: FileInfo | None = None,
) -> list[Violation]:
    """The selected rules on one file's facts. ``info``: where the file sits now, when the facts
    may come from the cache (their own ``info`` was recorded where the file was then). A
    ``since`` that git cannot resolve raises :class:`~sentry_model_lint.history.HistoryError`
    (the front doors resolve it before linting and report it themselves)."""
    families = FAMILIES_BY_KIND[facts.info.kind]
    if project is None:
        families = families - {Family.PROJECT}
    rules = selected_rules(config, families)
    if any(rule.new_work_only for rule in rules) and is_history(info or facts.info, config, project):
        rules = [rule for rule in rules if not rule.new_work_only]  # shipped: what reads it as history only
    if not rules:
        return []
    capabilities = capabilities_for(facts.info, config)
    rules = [rule for rule in rules if not capabilities.missing(rule.needs)]
    lookup: ClassLookup | None = project
    ctx = Context(
        facts=facts,
        config=config,
        hierarchy=Hierarchy(facts.classes, lookup),
        project=project,
        capabilities=capabilities,
    )
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
    project: ProjectIndex | bool | None = True,
) -> list[Violation]:
    """Violations of an already parsed module (the flake8 entry). ``lines`` is the source.
    ``project``: an index to use, True to use the file's project index, False for none."""
    config = config or Config()
    info = info or classify(path, root)
    if info.kind is FileKind.EXCLUDED:
        return []
    if info.kind is FileKind.SOURCE and not _defines_classes(tree):
        return []  # most of a codebase: no model, no migration test, nothing to look at
    facts = facts_for(tree, info, config, lines)
    index = project_for(info, config) if project is True else (project or None)
    if index is not None:
        index.seed(path, facts)
    return run_rules(facts, config, index, internal_errors=internal_errors, info=info)


def _defines_classes(tree: ast.Module) -> bool:
    stack = list(tree.body)
    while stack:
        stmt = stack.pop()
        if isinstance(stmt, ast.ClassDef):
            return True
        if isinstance(stmt, ast.If):
            stack += stmt.body + stmt.orelse
        elif isinstance(stmt, ast.Try) or type(stmt).__name__ == "TryStar":
            stack += stmt.body + stmt.orelse + stmt.finalbody  # type: ignore[attr-defined]
            for handler in stmt.handlers:  # type: ignore[attr-defined]
                stack += handler.body
    return False


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
        tree, path, config, info=info, lines=physical_lines(source), internal_errors=result.internal_errors
    )
    return result


def lint_file(path: str, config: Config | None = None, *, root: str | None = None) -> FileResult:
    config = config or Config()
    info = classify(path, root)
    if info.kind is FileKind.EXCLUDED:
        return FileResult(path=path, source="")
    try:
        source = read_source(path)
    except SourceError as exc:
        return FileResult(path=path, error=exc)
    index = project_for(info, config)
    if index is not None and index.indexed(path):
        # the index parses each file it reads once (or loads its facts from the cache): reuse
        # them; the other files are parsed here and their facts are not kept
        facts = index.facts_of(path)
        if facts is not None and (facts.info.kind, facts.info.module, facts.info.relparts) == (
            info.kind,
            info.module,
            info.relparts,
        ):
            result = FileResult(path=path, source=source)
            result.violations = run_rules(facts, config, index, internal_errors=result.internal_errors, info=info)
            return result
    return lint_source(source, path, config, info=info)
