"""The flake8 adapter: a thin shell over the engine.

flake8 hands each file's parsed tree and name to :class:`Plugin`; the plugin yields
``(line, col, "SMLnnn message", type)`` tuples and flake8 does the rest (selection, ``# noqa``,
output). Default-off rules are added to flake8's default ignore list, so they run only when
selected.

flake8 runs every installed plugin on every file, so the plugin keeps its own cost small: a
file whose text and cross-file reads are unchanged since an earlier run gets its findings from
the workspace's results cache (keyed by a hash of the text flake8 read; see
:mod:`sentry_model_lint.workspace`) without importing the rules; the engine is imported only
when a file has to be linted, and then runs only the rules flake8's selection can report.
"""

from __future__ import annotations

import ast
import atexit
import hashlib
import os
import sys
from collections.abc import Iterator
from typing import Any

from sentry_model_lint import __version__
from sentry_model_lint.baseline import Baseline, key_of
from sentry_model_lint.config import Config, ConfigError, load_leniently
from sentry_model_lint.paths import FileInfo, FileKind, classify, find_root
from sentry_model_lint.rules import DEFAULT_OFF
from sentry_model_lint.rules.base import Violation
from sentry_model_lint.workspace import Workspace, workspace_for
from sentry_model_lint.workspace import flush_all as _flush_results

_CONFIGS: dict[str | None, Config] = {}
_NO_BASELINE: set[int] = set()  # workspaces whose baseline could not be read (said once)
_REPORTED: set[str] = set()


_FLUSH_REGISTERED: set[int] = set()


def _flush_at_exit() -> None:
    """Write the results caches when this process ends: at exit for a flake8 run in one
    process; for flake8's worker processes (which end through multiprocessing and skip atexit)
    through a multiprocessing finalizer, registered in the worker itself since finalizers are
    not inherited across a fork."""
    pid = os.getpid()
    if pid in _FLUSH_REGISTERED:
        return
    _FLUSH_REGISTERED.add(pid)
    atexit.register(_flush_results)
    try:
        from multiprocessing import util as mp_util

        mp_util.Finalize(None, _flush_results, exitpriority=10)
    except (ImportError, AttributeError):  # pragma: no cover
        pass


def _warn_once(message: str) -> None:
    if message not in _REPORTED:
        _REPORTED.add(message)
        print(f"sentry-model-lint: {message}", file=sys.stderr)


def _config_for(root: str | None) -> Config:
    """The root's configuration: a key that is unknown or has a bad value is left out with a
    warning (said once), and every other setting, the baseline first, still applies."""
    config = _CONFIGS.get(root)
    if config is None:
        config, warnings = load_leniently(root)
        for warning in warnings:
            _warn_once(f"warning: {warning}")
        _CONFIGS[root] = config
    return config


def _baseline_for(workspace: Workspace) -> Baseline | None:
    if id(workspace) in _NO_BASELINE:
        return None
    try:
        return workspace.baseline
    except ConfigError as exc:
        _warn_once(f"{exc} (no baseline applied)")
        _NO_BASELINE.add(id(workspace))
        return None


def _check_selectors(options: Any) -> None:
    """Warn (flake8 accepts any code) about an ``SML`` selector that selects none of the rules."""
    selectors: list[str] = []
    for name in ("select", "extend_select", "ignore", "extend_ignore"):
        value = getattr(options, name, None)
        if isinstance(value, (list, tuple)):
            selectors += [v.strip().upper() for v in value if isinstance(v, str) and v.strip().upper().startswith("SML")]
    if not selectors:
        return
    from sentry_model_lint.rules.base import REGISTRY, all_rules

    all_rules()
    for selector in selectors:
        if not any(code.startswith(selector) for code in REGISTRY):
            _warn_once(f"warning: {selector} matches no sentry-model-lint rule; `sentry-model-lint rules` lists them")


def _flag(value: str) -> bool | None:
    text = value.strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    return None


def _selected(options: Any) -> tuple[str, ...] | None:
    """The rule codes flake8's selection (``--select``, ``--ignore``, ``--extend-*`` and the
    default ignore list) lets through, or None when it cannot be asked: rules flake8 would drop
    anyway are not run (SML412's replay, for one)."""
    try:
        from flake8.style_guide import Decision, DecisionEngine  # type: ignore[import-untyped]

        from sentry_model_lint.rules.base import REGISTRY, all_rules

        engine = DecisionEngine(options)
        all_rules()
        return tuple(sorted(code for code in REGISTRY if engine.decision_for(code) is Decision.Selected))
    except Exception:  # an older or newer flake8 that this does not know: run every rule
        return None


def _resolve_since(root: str | None, path: str, config: Config) -> Config:
    """The configuration to lint a migration with: as given when git can tell new migrations
    from shipped history, else (said once on stderr) without ``since``: every migration is
    checked as new work. flake8 is never stopped for it."""
    from sentry_model_lint.history import HistoryError, git_folder, new_work

    if not config.since:
        return config
    try:
        new_work(git_folder(root, path), config.since)
    except HistoryError as exc:
        _warn_once(f"warning: {exc}; checking every migration as new work")
        return config.with_options(since=None)
    return config


def _prepare_since(filenames: list[str], since: str | None) -> None:
    """Ask git about ``since`` in flake8's main process, for the project roots of the folders
    and migration files flake8 was given: forked workers inherit the answer, so git runs once
    per root and a failure is said once. Other files (an editor linting one model) cost nothing;
    roots met only inside a folder are resolved by the workers that meet their migrations."""
    for name in filenames:
        if name == "-":
            continue
        absolute = os.path.abspath(name)
        if os.path.isdir(absolute):
            root = find_root(absolute)
            path = os.path.join(absolute, "__init__.py")  # any file of the folder: git runs there
        else:
            info = classify(absolute)
            if info.kind is not FileKind.MIGRATION:
                continue
            root, path = info.root, absolute
        config = _config_for(root)
        _resolve_since(root, path, config.with_options(since=since) if since else config)


class Plugin:
    name = "sentry-model-lint"
    version = __version__

    def __init__(self, tree: ast.AST, filename: str, lines: list[str] | None = None) -> None:
        self.tree = tree
        self.filename = filename
        self.lines = lines

    #: flake8's ``--sml-large-tables`` (also ``sml-large-tables =`` in setup.cfg / .flake8)
    large_tables: tuple[str, ...] = ()
    #: flake8's ``--sml-since`` (also ``sml-since =`` in setup.cfg / .flake8)
    since: str | None = None
    #: the options flake8 selects codes with, and the codes they select (worked out on first use)
    options: Any = None
    selection: tuple[str, ...] | None = None  # None: not worked out yet, or flake8 cannot be asked
    selection_key: str = ""

    #: ``--sml-baseline``, ``--sml-project-index``, ``--sml-cache`` (also in setup.cfg's [flake8])
    overrides: dict[str, Any] = {}  # noqa: RUF012 - set once by parse_options
    baseline_path: str | None = None  # "" with --sml-baseline=none

    @classmethod
    def add_options(cls, option_manager: Any) -> None:
        option_manager.extend_default_ignore(list(DEFAULT_OFF))
        option_manager.add_option(
            "--sml-baseline",
            default="",
            parse_from_config=True,
            help="baseline file, relative to the project root (default: [tool.sentry-model-lint] baseline, "
            "else .sentry-model-lint-baseline.json at the project root when present); 'none' applies none",
        )
        option_manager.add_option(
            "--sml-project-index",
            default="",
            parse_from_config=True,
            help="true/false: build the project index and run the SML4xx rules (default: [tool.sentry-model-lint] project-index, else true)",
        )
        option_manager.add_option(
            "--sml-cache",
            default="",
            parse_from_config=True,
            help="true/false: keep facts and findings in .sentry_model_lint_cache/ (default: [tool.sentry-model-lint] cache, else true)",
        )
        option_manager.add_option(
            "--sml-large-tables",
            default="",
            parse_from_config=True,
            comma_separated_list=True,
            help="SML250: tables large enough that adding an index needs a post-deployment "
            "migration (default: [tool.sentry-model-lint] large-tables, else every table)",
        )
        option_manager.add_option(
            "--sml-since",
            default="",
            parse_from_config=True,
            help="a git ref: migrations added since the merge-base of HEAD and it are new work, the "
            "others shipped history that the SML2xx rules leave alone (default: [tool.sentry-model-lint] since)",
        )

    @classmethod
    def parse_options(cls, options: Any) -> None:
        tables = getattr(options, "sml_large_tables", None) or ()
        cls.large_tables = tuple(t.strip().lower() for t in tables if t.strip())
        since = getattr(options, "sml_since", None)
        cls.since = (since.strip() or None) if isinstance(since, str) else None
        cls.options = options
        cls.selection = None
        _check_selectors(options)
        cls.overrides = {}
        cls.baseline_path = None
        baseline = getattr(options, "sml_baseline", None)
        if isinstance(baseline, str) and baseline.strip():
            if baseline.strip().lower() == "none":
                cls.baseline_path = ""  # no baseline at all
            else:
                cls.overrides["baseline"] = baseline.strip()
        for option, key in (("sml_project_index", "project_index"), ("sml_cache", "use_cache")):
            value = getattr(options, option, None)
            if isinstance(value, str) and value.strip():
                flag = _flag(value)
                if flag is None:
                    _warn_once(f"warning: --{option.replace('_', '-')}={value!r} is not true or false; ignored")
                else:
                    cls.overrides[key] = flag
        names = ("select", "ignore", "extend_select", "extend_ignore", "extended_default_ignore", "extended_default_select")
        cls.selection_key = repr([getattr(options, name, None) for name in names])
        filenames = getattr(options, "filenames", None)
        if isinstance(filenames, (list, tuple)):
            _prepare_since(list(filenames) or ["."], cls.since)  # no path: flake8 checks "."

    def run(self) -> Iterator[tuple[int, int, str, type]]:
        if not isinstance(self.tree, ast.Module):
            return
        info = classify(self.filename)
        # flake8 does the selection itself: every rule runs here, default-off ones included
        config = _config_for(info.root).with_options(select=("SML",), extend_select=(), ignore=())
        if self.large_tables:
            config = config.with_options(large_tables=self.large_tables)
        if self.since:
            config = config.with_options(since=self.since)
        if self.overrides:
            config = config.with_options(**self.overrides)
        if config.since and info.kind is FileKind.MIGRATION:
            config = _resolve_since(info.root, self.filename, config)
        workspace = workspace_for(info.root, config, "flake8", self.selection_key, baseline_path=self.baseline_path)
        baseline = _baseline_for(workspace)
        rel = os.path.relpath(os.path.abspath(self.filename), info.root).replace(os.sep, "/") if info.root else ""
        for violation in self._violations(self.tree, info, workspace, rel):
            if baseline is not None and baseline.suppresses(key_of(rel, violation)):
                continue
            yield violation.line, violation.col, violation.text(), type(self)

    def _violations(self, tree: ast.Module, info: FileInfo, workspace: Workspace, rel: str) -> list[Violation]:
        """The file's findings, from the results cache when its text and what it read across
        files are unchanged since they were stored."""
        stamp = None
        if info.root is not None and self.lines is not None:
            text = "".join(self.lines).encode("utf-8", "surrogatepass")
            stamp = "sha1:" + hashlib.sha1(text).hexdigest()
            _flush_at_exit()

        def lint() -> list[Violation] | None:
            from sentry_model_lint.engine import lint_tree

            config = workspace.config
            cls = type(self)
            if cls.options is not None and cls.selection is None:
                cls.selection = _selected(cls.options)
            if cls.selection is not None:
                config = config.with_options(select=cls.selection)  # none selected: no rule runs
            errors: list[str] = []
            violations = list(lint_tree(tree, self.filename, config, info=info, lines=self.lines, internal_errors=errors))
            for error in errors:
                _warn_once(f"internal error, please report it: {error}")
            return None if errors else violations

        found = workspace.lint(rel, stamp, info, lint)
        return found or []


__all__ = ["Plugin", "find_root"]
