"""File classification: project root, module name and kind of a path, and default exclusions.

Only the path is looked at here (plus a few ``stat`` calls to find the project root, cached per
folder); what a file contains is the business of the fact extractor.
"""

from __future__ import annotations

import enum
import functools
import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import PurePath

ROOT_MARKERS = ("pyproject.toml", "setup.cfg", ".git")

#: Folder names skipped by every rule family (relative to the project root).
ALWAYS_EXCLUDED_DIRS = frozenset({"fixtures", "__pycache__", "south_migrations"})
#: folders the project scan never enters (besides hidden ones and ``*.egg-info``)
WALK_SKIP = frozenset({"venv", "node_modules", "build", "dist", "static"})
LOCKFILE = "migrations_lockfile.txt"
#: Folder names skipped by every family but the migration-test rules (SML3xx).
TEST_DIRS = frozenset({"tests"})

_MIGRATION_NAME = re.compile(r"^\d{4,}_\w*$")
_SQUASHED_NAME = re.compile(r"^\d{4,}_squashed_\w*$")


class FileKind(str, enum.Enum):
    SOURCE = "source"  # any module outside tests; it may define models (decided by content)
    MIGRATION = "migration"  # a module in a migrations/ package outside tests
    TEST = "test"  # under a tests/ folder: only the migration-test rules look at it
    EXCLUDED = "excluded"  # fixtures/, __pycache__/, south_migrations/


@dataclass(frozen=True)
class FileInfo:
    """Where a file sits in its project."""

    path: str  # as given by the caller
    root: str | None  # project root (absolute), None when no marker was found
    relparts: tuple[str, ...]  # path components relative to the root (or as given)
    module: str  # dotted module name ("sentry.models.project"), "" when unknown
    is_package: bool  # an __init__.py
    kind: FileKind
    in_tests: bool  # under a tests/ folder of the project
    in_migrations: bool  # directly inside a migrations/ folder

    @property
    def stem(self) -> str:
        name = self.relparts[-1] if self.relparts else ""
        return name[:-3] if name.endswith(".py") else name

    @property
    def is_squashed_name(self) -> bool:
        return bool(_SQUASHED_NAME.match(self.stem))

    @property
    def app_folder(self) -> str | None:
        """The folder that holds ``migrations/`` for a migration (its app's directory name)."""
        if self.kind is FileKind.MIGRATION and len(self.relparts) >= 3:
            return self.relparts[-3]
        return None


@functools.lru_cache(maxsize=4096)
def find_root(directory: str) -> str | None:
    """Nearest ancestor of ``directory`` (itself included) holding a project marker."""
    current = directory
    while True:
        for marker in ROOT_MARKERS:
            if os.path.exists(os.path.join(current, marker)):
                return current
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent


def module_name(relparts: tuple[str, ...]) -> tuple[str, bool]:
    """Dotted module name for a path relative to the project root, and whether it is a package.

    A leading ``src/`` folder is dropped, as in Sentry's layout (``src/sentry/models/x.py`` is
    ``sentry.models.x``). Parts that are not identifiers make the name unknown ("").
    """
    parts = list(relparts)
    if not parts or not parts[-1].endswith(".py"):
        return "", False
    if parts[0] == "src" and len(parts) > 1:
        parts = parts[1:]
    parts[-1] = parts[-1][:-3]
    is_package = parts[-1] == "__init__"
    if is_package:
        parts = parts[:-1]
    if not parts or not all(p.isidentifier() for p in parts[:-1]):
        return "", is_package
    if not parts[-1].isidentifier():
        # migration modules ("0001_initial") are not importable names, but stay addressable
        return ".".join(parts), is_package
    return ".".join(parts), is_package


def classify(path: str, root: str | None = None) -> FileInfo:
    """Classify ``path``. ``root`` overrides project-root discovery."""
    abspath = os.path.abspath(path)
    if root is None:
        root = find_root(os.path.dirname(abspath))
    if root is not None:
        try:
            rel = os.path.relpath(abspath, root)
        except ValueError:  # another drive on Windows
            rel = abspath
        relparts = PurePath(rel).parts
        if relparts and relparts[0] == "..":
            relparts = PurePath(path).parts
    else:
        relparts = PurePath(path).parts
    relparts = tuple(p for p in relparts if p not in ("", ".", os.sep, "/"))
    module, is_package = module_name(relparts)
    dirs = relparts[:-1]
    in_tests = any(d in TEST_DIRS for d in dirs)
    in_migrations = bool(dirs) and dirs[-1] == "migrations"
    kind = FileKind.SOURCE
    if any(d in ALWAYS_EXCLUDED_DIRS for d in dirs):
        kind = FileKind.EXCLUDED
    elif in_tests:
        kind = FileKind.TEST
    elif in_migrations and not is_package:
        kind = FileKind.MIGRATION
    return FileInfo(
        path=path,
        root=root,
        relparts=relparts,
        module=module,
        is_package=is_package,
        kind=kind,
        in_tests=in_tests,
        in_migrations=in_migrations,
    )


def is_migration_module_name(stem: str) -> bool:
    return bool(_MIGRATION_NAME.match(stem))


@dataclass
class ProjectFiles:
    """The files of a project the project index can read, found by one walk of its root."""

    root: str
    migrations: dict[str, list[str]] = field(default_factory=dict)  # app folder -> migration files, in name order
    model_modules: list[str] = field(default_factory=list)
    tests: list[str] = field(default_factory=list)  # migration tests
    modules: dict[str, str] = field(default_factory=dict)  # dotted module name -> file
    stats: dict[str, os.stat_result] = field(default_factory=dict)  # taken by fingerprint(), by path
    _fingerprint: str | None = None

    def fingerprint(self) -> str:
        """A digest of the size and modification time of every file named here, and of the
        lockfile: it changes whenever a file the project index can read changes. Computed once;
        the stats it takes stay in ``stats``."""
        if self._fingerprint is None:
            digest = hashlib.sha1()
            paths = sorted({*self.modules.values(), *self.model_modules, *self.tests, *(p for ps in self.migrations.values() for p in ps)})
            paths.append(os.path.join(self.root, LOCKFILE))
            for path in paths:
                try:
                    st = os.stat(path)
                except OSError:
                    digest.update(f"{path}\0-\n".encode())
                    continue
                digest.update(f"{path}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
                self.stats[path] = st
            self._fingerprint = digest.hexdigest()
        return self._fingerprint


_SCANS: dict[str, ProjectFiles] = {}


def forget_scans() -> None:
    """Drop the scans kept by :func:`scan_project` (a new run over files that may have changed)."""
    _SCANS.clear()


def scan_project(root: str) -> ProjectFiles:
    """Walk ``root`` (hidden, virtualenv and build folders skipped; links that leave the root
    not followed) and sort its Python files into what the project index reads. One walk per
    root and process, until :func:`forget_scans`."""
    root = os.path.abspath(root)
    files = _SCANS.get(root)
    if files is None:
        files = _SCANS[root] = _scan(root)
    return files


def _scan(root: str) -> ProjectFiles:
    files = ProjectFiles(root)
    pending: list[tuple[str, tuple[str, ...]]] = [(root, ())]
    while pending:
        folder, parts = pending.pop()
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            continue  # unreadable or vanished
        in_tests = "tests" in parts
        in_migrations = bool(parts) and parts[-1] == "migrations"
        in_models = "models" in parts
        package = _module_prefix(parts)
        subfolders = []
        for entry in entries:
            name = entry.name
            try:
                is_link = entry.is_symlink()
                if not is_link and entry.is_dir():
                    if name not in WALK_SKIP and name not in ALWAYS_EXCLUDED_DIRS and not name.startswith(".") and not name.endswith(".egg-info"):
                        subfolders.append((entry.path, (*parts, name)))
                    continue
            except OSError:
                continue
            if not name.endswith(".py"):
                continue
            path = entry.path
            if is_link and not os.path.realpath(path).startswith(root + os.sep):
                continue  # never read through a link that leaves the project
            if in_tests:
                if "migrations" in parts[parts.index("tests") + 1 :] and name != "__init__.py":
                    files.tests.append(path)
                continue
            if package is not None:
                stem = name[:-3]
                module = package if stem == "__init__" else (f"{package}.{stem}" if package else stem)
                if module:
                    files.modules.setdefault(module, path)
            if in_migrations:
                if name != "__init__.py" and len(parts) >= 2:
                    files.migrations.setdefault(parts[-2], []).append(path)
                continue
            if name == "models.py" or in_models:
                files.model_modules.append(path)
        pending.extend(reversed(subfolders))  # depth first, in name order
    return files


def _module_prefix(parts: tuple[str, ...]) -> str | None:
    """The dotted package name of a folder (its parts below the root), as :func:`module_name`
    spells it; None when a part is not an identifier (no module of it has a name)."""
    if parts and parts[0] == "src":
        parts = parts[1:]
    if not all(p.isidentifier() for p in parts):
        return None
    return ".".join(parts)
