"""File classification: project root, module name and kind of a path; the default exclusions,
and the one folder walk (the CLI's and the project scan's).

Only the path is looked at here (plus a few ``stat`` calls to find the project root, cached per
folder); what a file contains is the business of the fact extractor.
"""

from __future__ import annotations

import enum
import fnmatch
import functools
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePath
from stat import S_ISDIR

ROOT_MARKERS = ("pyproject.toml", "setup.cfg", ".git")

#: Folder names skipped by every rule family (relative to the project root).
ALWAYS_EXCLUDED_DIRS = frozenset({"fixtures", "__pycache__", "south_migrations"})
#: Folders no walk enters: version control, virtual environments, tool caches and build output.
#: Gitignore-style patterns without a slash, so each matches a folder name at any depth. They
#: are the CLI's default exclusions (``exclude`` in the configuration replaces them, and
#: ``extend-exclude`` adds to them); the project scan always skips them, and more: see
#: :data:`SCAN_SKIPPED_DIRS`.
SKIPPED_DIRS: tuple[str, ...] = (
    ".git",
    ".hg",
    ".svn",
    ".venv",
    "venv",
    ".tox",
    ".nox",
    "node_modules",
    "__pycache__",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    "build",
    "dist",
    ".eggs",
    "*.egg-info",
    ".sentry_model_lint_cache",
)
#: The folders the project scan skips: :data:`SKIPPED_DIRS` whatever the configuration says (the
#: index must see the models and migrations other files depend on, even those excluded from
#: linting, and it reads no ``.gitignore``), and besides every hidden folder, ``static``
#: (Sentry's front end) and :data:`ALWAYS_EXCLUDED_DIRS`, whose files no rule reads. The CLI's
#: walk enters those three (:func:`classify` makes the files of the last ones EXCLUDED).
SCAN_SKIPPED_DIRS: tuple[str, ...] = (*SKIPPED_DIRS, ".*", "static", *sorted(ALWAYS_EXCLUDED_DIRS))
LOCKFILE = "migrations_lockfile.txt"
#: Folder names skipped by every family but the migration-test rules (SML3xx).
TEST_DIRS = frozenset({"tests"})

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
        return name.removesuffix(".py")

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
    """Nearest ancestor of ``directory`` (itself included) holding a project marker; without
    one, the nearest ancestor laid out like Sentry (holding ``src/sentry/``); else None."""
    current = directory
    while True:
        for marker in ROOT_MARKERS:
            if os.path.exists(os.path.join(current, marker)):
                return current
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    current = directory
    while True:
        if os.path.isdir(os.path.join(current, "src", "sentry")):
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


@dataclass
class ProjectFiles:
    """The files of a project the project index can read, found by one walk of its root."""

    root: str
    migrations: dict[str, list[str]] = field(default_factory=dict)  # app folder -> migration files, in name order
    model_modules: list[str] = field(default_factory=list)
    tests: list[str] = field(default_factory=list)  # migration tests
    modules: dict[str, str] = field(default_factory=dict)  # dotted module name -> file
    #: every folder the walk listed (relative, posix) -> its mtime then: a file added, removed or
    #: renamed in one changes it, so the scan can be reused while they all hold
    folders: dict[str, int] = field(default_factory=dict)
    reused: bool = False  # read back from an earlier run's scan, not walked
    #: a folder changed within the last two seconds of the walk, within the clock's reach: the
    #: listing may predate its mtime, so the scan is not kept
    racy: bool = False

    def to_json(self) -> dict[str, object]:
        rel = self._rel
        return {
            "folders": self.folders,
            "migrations": {app: [rel(p) for p in ps] for app, ps in self.migrations.items()},
            "model_modules": [rel(p) for p in self.model_modules],
            "tests": [rel(p) for p in self.tests],
            "modules": {m: rel(p) for m, p in self.modules.items()},
        }

    def _rel(self, path: str) -> str:
        return path[len(self.root) + 1 :] if path.startswith(self.root + os.sep) else os.path.relpath(path, self.root)

    @classmethod
    def from_json(cls, root: str, data: object) -> ProjectFiles | None:
        """The scan kept by :meth:`to_json`, when every folder it listed still has the same mtime
        (None otherwise, or when the data is not a scan: walk again)."""
        try:
            assert isinstance(data, dict)
            folders = data["folders"]
            assert isinstance(folders, dict) and folders
            changed = {}
            for rel, mtime in folders.items():
                assert isinstance(rel, str) and not os.path.isabs(rel) and ".." not in rel.split("/")
                st = os.lstat(os.path.join(root, rel) if rel else root)
                if not S_ISDIR(st.st_mode):
                    return None
                if st.st_mtime_ns != mtime:
                    changed[rel] = st.st_mtime_ns

            def absolute(rel: object) -> str:
                assert isinstance(rel, str) and not os.path.isabs(rel) and ".." not in rel.split("/")
                return os.path.join(root, rel)

            kept = cls(
                root,
                migrations={str(app): [absolute(p) for p in ps] for app, ps in data["migrations"].items()},
                model_modules=[absolute(p) for p in data["model_modules"]],
                tests=[absolute(p) for p in data["tests"]],
                modules={str(m): absolute(p) for m, p in data["modules"].items()},
                folders=dict(folders),
                reused=True,
            )
            if len(changed) > 20 or not all(_same_listing(root, rel, kept) for rel in changed):
                return None  # walk again
            if changed:
                kept.folders.update(changed)
                kept.reused = False  # keep the new mtimes
                kept.racy = any(m > time.time_ns() - 2_000_000_000 for m in changed.values())
            return kept
        except (AssertionError, KeyError, TypeError, AttributeError, OSError):
            return None


_SCANS: dict[str, ProjectFiles] = {}


def forget_scans() -> None:
    """Drop the scans kept by :func:`scan_project` (a new run over files that may have changed)."""
    _SCANS.clear()


def scan_project(root: str, kept: object = None) -> ProjectFiles:
    """Walk ``root`` (the folders of :data:`SCAN_SKIPPED_DIRS` skipped; links that leave the
    root not followed) and sort its Python files into what the project index reads. One walk
    per root and process, until :func:`forget_scans`; ``kept``, a scan an earlier run kept
    (:meth:`ProjectFiles.to_json`), replaces the walk while its folders are unchanged."""
    root = os.path.abspath(root)
    files = _SCANS.get(root)
    if files is None:
        files = ProjectFiles.from_json(root, kept) if kept is not None else None
        files = _SCANS[root] = files or _scan(root)
    return files


#: a folder name the project scan skips (one expression for all of :data:`SCAN_SKIPPED_DIRS`)
_SCAN_SKIPPED = re.compile("|".join(fnmatch.translate(p) for p in SCAN_SKIPPED_DIRS))


def _scan(root: str) -> ProjectFiles:
    files = ProjectFiles(root)
    started = time.time_ns()
    skipped = _SCAN_SKIPPED.match
    # links to files are kept when they resolve below the root as given (not resolved itself);
    # every ``.py`` entry counts, regular or not: reading one that is not reports it as broken
    for parts, subfolders, entries in walk_python_files(root, links_inside=root, regular_only=False):
        subfolders[:] = [d for d in subfolders if not skipped(d.name)]
        try:
            mtime = files.folders["/".join(parts)] = os.lstat(os.path.join(root, *parts)).st_mtime_ns
        except OSError:
            files.racy = True
        else:
            files.racy = files.racy or mtime > started - 2_000_000_000
        _sort_into(files, parts, entries)
    return files


def _sort_into(files: ProjectFiles, parts: tuple[str, ...], entries: list[os.DirEntry[str]]) -> None:
    """Record the ``.py`` files of one folder (``parts`` below the root) that the index reads."""
    in_tests = "tests" in parts
    in_migrations = bool(parts) and parts[-1] == "migrations"
    in_models = "models" in parts
    package = _module_prefix(parts)
    for entry in entries:
        name = entry.name
        path = entry.path
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


def _recorded(files: ProjectFiles) -> set[str]:
    return {*files.tests, *files.model_modules, *files.modules.values(), *(p for ps in files.migrations.values() for p in ps)}


def _same_listing(root: str, rel: str, known: ProjectFiles) -> bool:
    """Whether a folder whose mtime changed still holds what the scan recorded of it: the same
    subfolders and the same files the index reads (an editor that saves through a new file and
    a rename changes the mtime alone)."""
    folder = os.path.join(root, rel) if rel else root
    parts = tuple(rel.split("/")) if rel else ()
    for _, subfolders, entries in walk_python_files(folder, links_inside=root, regular_only=False):
        names = {d.name for d in subfolders if not _SCAN_SKIPPED.match(d.name)}
        subfolders[:] = []
        prefix = rel + "/" if rel else ""
        children = {r[len(prefix) :] for r in known.folders if r.startswith(prefix) and r != rel and "/" not in r[len(prefix) :]}
        if names != children:
            return False
        fresh = ProjectFiles(root)
        _sort_into(fresh, parts, entries)
        here = {p for p in _recorded(known) if os.path.dirname(p) == folder}
        return _recorded(fresh) == here
    return False


def walk_python_files(
    top: str, *, links_inside: str, regular_only: bool = True, unreadable: list[tuple[str, str]] | None = None
) -> Iterator[tuple[tuple[str, ...], list[os.DirEntry[str]], list[os.DirEntry[str]]]]:
    """The one walk of a folder tree, shared by the CLI (:class:`~sentry_model_lint.discover.Walker`)
    and the project scan: like :func:`os.walk` from the top down, it yields for each folder the
    parts of its path below ``top``, its subfolders and its ``.py`` files (both as
    :class:`os.DirEntry`, in name order; paths are spelled from ``top`` as given). The caller
    skips folders by removing them from the subfolder list; the rest are walked depth first, in
    name order. A folder that cannot be read is left out (and, with ``unreadable``, recorded
    there with the reason; one that vanished meanwhile is not).

    Links to folders are never entered, so a walk never leaves the tree and never loops. Links
    to files are kept only when they resolve below ``links_inside`` (the CLI passes the walked
    folder resolved, the project scan its root as given).
    ``regular_only``: keep only regular files (a FIFO, a socket, a dangling link or a link to a
    folder named ``*.py`` is left out: the CLI); False keeps every ``.py`` entry that is not a
    folder (the project scan).
    """
    inside = links_inside.rstrip(os.sep) + os.sep
    pending: list[tuple[str, tuple[str, ...]]] = [(top, ())]
    while pending:
        folder, parts = pending.pop()
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except FileNotFoundError:
            continue  # vanished since its parent was listed
        except OSError as exc:
            if unreadable is not None:
                unreadable.append((folder, exc.strerror or str(exc)))
            continue
        subfolders = []
        files = []
        for entry in entries:
            try:
                is_link = entry.is_symlink()
                if not is_link and entry.is_dir():
                    subfolders.append(entry)
                    continue
                if not entry.name.endswith(".py"):
                    continue
                if regular_only and not entry.is_file():  # follows a link: a dangling one is not a file
                    continue
            except OSError:
                continue
            if is_link and not os.path.realpath(entry.path).startswith(inside):
                continue  # never read through a link out of the tree
            files.append(entry)
        yield parts, subfolders, files
        pending.extend((entry.path, (*parts, entry.name)) for entry in reversed(subfolders))  # depth first, in name order


def _module_prefix(parts: tuple[str, ...]) -> str | None:
    """The dotted package name of a folder (its parts below the root), as :func:`module_name`
    spells it; None when a part is not an identifier (no module of it has a name)."""
    if parts and parts[0] == "src":
        parts = parts[1:]
    if not all(p.isidentifier() for p in parts):
        return None
    return ".".join(parts)
