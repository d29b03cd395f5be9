"""One project root as both front doors see it: its configuration, results cache, baseline and
project index, each made once per process and configuration.

The CLI and the flake8 plugin differ only in how they stamp a file (``check`` by its size,
modification time and inode; flake8 by a hash of the text it read) and in how they lint it.
What is cached, when a cached result still holds, and which baseline applies are decided here.

A file's cached findings are kept with what they were computed from:

- the file's own stamp;
- the project stamp: the capabilities of the checkout (its Django pin, Sentry's migration
  framework) and, for a migration under ``since``, the merge-base and the files added since;
- the *groups* of cross-file facts the lint read, each with its stamp then (an app's migration
  history, the model modules that define a class of some name, one module, the lockfile, the
  migration tests; see :class:`~sentry_model_lint.project.ProjectIndex`).

An edit invalidates exactly the results that read what changed: a model file that points a
foreign key at ``Organization`` is linted again when a model module defining ``Organization``
changes, not when a migration of another app does. Most files read nothing across files and
depend on their own stamp alone.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cached_property
from typing import TYPE_CHECKING

from sentry_model_lint.baseline import Baseline, baseline_location
from sentry_model_lint.cache import ResultsCache
from sentry_model_lint.config import Config
from sentry_model_lint.paths import FileInfo, FileKind
from sentry_model_lint.rules.base import Violation

if TYPE_CHECKING:
    from sentry_model_lint.project import ProjectIndex

#: a lint the workspace may cache: the file's findings, or None when they must not be kept
#: (a file that cannot be parsed, an internal error)
Lint = Callable[[], "list[Violation] | None"]


class Workspace:
    """A project root under one configuration, for one front door (``door`` and ``extra`` key
    its results cache: flake8 and ``check`` stamp files differently, and flake8's own selection
    shapes what runs)."""

    def __init__(self, root: str | None, config: Config, door: str, extra: str = "", baseline_path: str | None = None) -> None:
        self.root = root
        self.config = config
        self.door = door
        self.extra = extra
        self.baseline_path = baseline_path

    # --- the pieces -------------------------------------------------------------------------------
    @cached_property
    def results(self) -> ResultsCache | None:
        if self.root is None or not self.config.use_cache:
            return None
        return ResultsCache(self.root, f"{self.door}\0{self.extra}\0{self.config!r}")

    @cached_property
    def index(self) -> ProjectIndex | None:
        """The project index, or None (index off, or no project root)."""
        from sentry_model_lint.engine import index_at

        return index_at(self.root, self.config)

    @property
    def baseline_file(self) -> str | None:
        """The baseline file that applies: the one given (``check --baseline``), else the
        configured one, else ``.sentry-model-lint-baseline.json`` at the project root when it
        exists; None with ``check --no-baseline`` (a ``baseline_path`` of ``""``)."""
        if self.baseline_path == "":
            return None
        if self.baseline_path:
            return os.path.abspath(self.baseline_path)
        if self.root is None:
            return None
        path = baseline_location(self.root, self.config.baseline)
        return path if self.config.baseline or os.path.lexists(path) else None

    @cached_property
    def baseline(self) -> Baseline | None:
        """The baseline that applies: the path given (``check --baseline``), else the configured
        one, confined to the project root. Raises :class:`ConfigError` for a baseline that
        cannot be read or lies outside the root; the caller decides what that means."""
        path = self.baseline_file
        if path is None:
            return None
        baseline = Baseline.load(path)
        baseline.path = path
        return baseline

    @cached_property
    def _capabilities_stamp(self) -> str:
        from sentry_model_lint.capabilities import stamp as capabilities_stamp

        return "caps:" + capabilities_stamp(self.root) if self.root is not None else "caps:-"

    def project_stamp(self, info: FileInfo | Callable[[], FileInfo]) -> str:
        """What every cached result of the file depends on besides its text and reads. ``info``
        may be given as a function: it is needed only for a migration under ``since``."""
        stamp = self._capabilities_stamp
        if self.config.since:
            info = info if isinstance(info, FileInfo) else info()
            if info.kind is FileKind.MIGRATION:
                from sentry_model_lint.history import since_stamp

                stamp += "\0" + since_stamp(info, self.config)
        return stamp

    # --- cached lint ------------------------------------------------------------------------------
    def cached(self, rel: str, stamp: str, info: FileInfo | Callable[[], FileInfo]) -> list[Violation] | None:
        """The file's findings from an earlier run, when nothing they were computed from changed."""
        cache = self.results
        if cache is None:
            return None
        entry = cache.get(rel, stamp, self.project_stamp(info))
        if entry is None:
            return None
        found, reads = entry
        if reads:
            index = self.index
            if index is None or any(index.group_stamp(group) != value for group, value in reads.items()):
                return None
        return [Violation(line, col, code, message, symbol) for line, col, code, message, symbol in found]

    @contextmanager
    def _recording(self) -> Iterator[set[str]]:
        index = self.index
        if index is None:
            yield set()
            return
        with index.recording() as reads:
            yield reads

    def lint(self, rel: str, stamp: str | None, info: FileInfo, lint: Lint, use_cached: bool = True) -> list[Violation] | None:
        """The file's findings: from the cache when they still hold, else from ``lint`` (then
        kept with what it read). ``stamp`` None: the file cannot be stamped, nothing is kept."""
        if stamp is not None and use_cached:
            known = self.cached(rel, stamp, info)
            if known is not None:
                return known
        with self._recording() as reads:
            violations = lint()
        cache = self.results
        if cache is not None and stamp is not None and violations is not None:
            index = self.index
            groups = {}
            if reads and index is not None:
                reads.discard("file:" + rel)  # its own text is the entry's stamp
                groups = {group: index.group_stamp(group) for group in sorted(reads)}
            rows: list[list[object]] = [[v.line, v.col, v.code, v.message, v.symbol] for v in violations]
            cache.put(rel, stamp, self.project_stamp(info), rows, groups)
        return violations

    def flush(self) -> None:
        if "results" in self.__dict__ and self.results is not None:
            self.results.flush()
        if "index" in self.__dict__ and self.index is not None:
            self.index.flush()


_WORKSPACES: dict[tuple[str | None, str, str, str, str | None], Workspace] = {}


def workspace_for(root: str | None, config: Config, door: str, extra: str = "", baseline_path: str | None = None) -> Workspace:
    """The workspace of ``root`` under ``config`` for one door, made once per process."""
    key = (root, repr(config), door, extra, baseline_path)
    workspace = _WORKSPACES.get(key)
    if workspace is None:
        workspace = _WORKSPACES[key] = Workspace(root, config, door, extra, baseline_path)
    return workspace


def flush_all() -> None:
    for workspace in list(_WORKSPACES.values()):
        workspace.flush()


def forget() -> None:
    """Forget every workspace (a new run over files that may have changed)."""
    _WORKSPACES.clear()


__all__ = ["Workspace", "flush_all", "forget", "workspace_for"]
