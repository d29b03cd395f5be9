"""The flake8 adapter: a thin shell over the engine.

flake8 hands each file's parsed tree and name to :class:`Plugin`; the plugin yields
``(line, col, "SMLnnn message", type)`` tuples and flake8 does the rest (selection, ``# noqa``,
output). Default-off rules are added to flake8's default ignore list, so they run only when
selected.
"""

from __future__ import annotations

import ast
import os
import sys
from collections.abc import Iterator
from typing import Any

from sentry_model_lint import __version__
from sentry_model_lint.baseline import Baseline, key_of
from sentry_model_lint.config import Config, ConfigError, load_for_root
from sentry_model_lint.engine import lint_tree
from sentry_model_lint.paths import classify, find_root
from sentry_model_lint.rules.base import all_rules

_CONFIGS: dict[str | None, Config] = {}
_BASELINES: dict[str, Baseline | None] = {}
_REPORTED: set[str] = set()


def _warn_once(message: str) -> None:
    if message not in _REPORTED:
        _REPORTED.add(message)
        print(f"sentry-model-lint: {message}", file=sys.stderr)


def _config_for(root: str | None) -> Config:
    config = _CONFIGS.get(root)
    if config is None:
        try:
            config = load_for_root(root)
        except ConfigError as exc:
            _warn_once(f"{exc} (using the defaults)")
            config = Config()
        _CONFIGS[root] = config
    return config


def _baseline_for(root: str | None, config: Config) -> Baseline | None:
    if root is None or not config.baseline:
        return None
    path = os.path.join(root, config.baseline)
    if path not in _BASELINES:
        try:
            _BASELINES[path] = Baseline.load(path)
        except ConfigError as exc:
            _warn_once(f"{exc} (no baseline applied)")
            _BASELINES[path] = None
    return _BASELINES[path]


class Plugin:
    name = "sentry-model-lint"
    version = __version__

    def __init__(self, tree: ast.AST, filename: str, lines: list[str] | None = None) -> None:
        self.tree = tree
        self.filename = filename
        self.lines = lines

    #: flake8's ``--sml-large-tables`` (also ``sml-large-tables =`` in setup.cfg / .flake8)
    large_tables: tuple[str, ...] = ()

    @classmethod
    def add_options(cls, option_manager: Any) -> None:
        option_manager.extend_default_ignore([r.code for r in all_rules() if not r.default_on])
        option_manager.add_option(
            "--sml-large-tables",
            default="",
            parse_from_config=True,
            comma_separated_list=True,
            help="SML250: tables large enough that adding an index needs a post-deployment "
            "migration (default: [tool.sentry-model-lint] large-tables, else every table)",
        )

    @classmethod
    def parse_options(cls, options: Any) -> None:
        tables = getattr(options, "sml_large_tables", None) or ()
        cls.large_tables = tuple(t.strip().lower() for t in tables if t.strip())

    def run(self) -> Iterator[tuple[int, int, str, type]]:
        if not isinstance(self.tree, ast.Module):
            return
        info = classify(self.filename)
        # flake8 does the selection itself: every rule runs here, default-off ones included
        config = _config_for(info.root).with_options(select=("SML",), extend_select=(), ignore=())
        if self.large_tables:
            config = config.with_options(large_tables=self.large_tables)
        errors: list[str] = []
        baseline = _baseline_for(info.root, config)
        rel = os.path.relpath(os.path.abspath(self.filename), info.root).replace(os.sep, "/") if info.root else ""
        for violation in lint_tree(
            self.tree, self.filename, config, info=info, lines=self.lines, internal_errors=errors
        ):
            if baseline is not None and baseline.suppresses(key_of(rel, violation)):
                continue
            yield violation.line, violation.col, violation.text(), type(self)
        for error in errors:
            _warn_once(f"internal error, please report it: {error}")


__all__ = ["Plugin", "find_root"]
