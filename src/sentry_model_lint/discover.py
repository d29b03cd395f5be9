"""Which files a run checks: paths given on the command line, walked when they are folders,
minus the configured exclusions (gitignore-style patterns) and what ``.gitignore`` files say.

Symbolic links to folders are not followed, so a walk never leaves the tree it was given.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence

import pathspec

#: folders never walked into
DEFAULT_EXCLUDE = (
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


def exclusion_spec(exclude: Sequence[str] | None, extend_exclude: Sequence[str]) -> pathspec.PathSpec:
    patterns = list(DEFAULT_EXCLUDE if exclude is None else exclude) + list(extend_exclude)
    return pathspec.GitIgnoreSpec.from_lines(patterns)


class Walker:
    """Finds the Python files under the given paths for one project root."""

    def __init__(self, root: str | None, spec: pathspec.PathSpec, use_gitignore: bool = True) -> None:
        self.root = os.path.abspath(root) if root else None
        self.spec = spec
        self.use_gitignore = use_gitignore
        self._gitignores: dict[str, pathspec.PathSpec | None] = {}

    def _rel(self, path: str) -> str | None:
        if self.root is None:
            return None
        rel = os.path.relpath(os.path.abspath(path), self.root)
        return None if rel.startswith("..") else rel.replace(os.sep, "/")

    def _gitignore(self, folder: str) -> pathspec.PathSpec | None:
        if folder not in self._gitignores:
            spec = None
            try:
                with open(os.path.join(folder, ".gitignore"), encoding="utf-8", errors="replace") as fh:
                    spec = pathspec.GitIgnoreSpec.from_lines(fh)
            except OSError:
                pass
            self._gitignores[folder] = spec
        return self._gitignores[folder]

    def excluded(self, path: str, is_dir: bool = False, rel: str | None = None) -> bool:
        rel = rel if rel is not None else self._rel(path)
        name = rel if rel is not None else os.path.basename(os.path.normpath(path))
        if is_dir:
            name += "/"
        if self.spec.match_file(name):
            return True
        if self.use_gitignore and self.root is not None and rel is not None:
            # every .gitignore between the root and the file, each matching relative to its folder
            parts = rel.rstrip("/").split("/")
            folder = self.root
            for depth in range(len(parts)):
                spec = self._gitignore(folder)
                if spec is not None:
                    sub = "/".join(parts[depth:]) + ("/" if is_dir else "")
                    if spec.match_file(sub):
                        return True
                folder = os.path.join(folder, parts[depth])
        return False

    def files(self, path: str) -> Iterator[str]:
        if not os.path.isdir(path):
            if not self.excluded(path):
                yield path
            return
        top = os.path.realpath(path)
        for dirpath, dirnames, filenames in os.walk(path):
            rel_dir = self._rel(dirpath)
            prefix = "" if rel_dir in (None, ".") else rel_dir + "/"

            def rel(name: str) -> str | None:
                return None if rel_dir is None else prefix + name

            kept = []
            for name in sorted(dirnames):
                full = os.path.join(dirpath, name)
                if os.path.islink(full) or self.excluded(full, is_dir=True, rel=rel(name)):
                    continue
                kept.append(name)
            dirnames[:] = kept
            for name in sorted(filenames):
                if not name.endswith(".py"):
                    continue
                full = os.path.join(dirpath, name)
                if not os.path.isfile(full) or self.excluded(full, rel=rel(name)):
                    continue  # a FIFO, a socket or a dangling link is not a source file
                if os.path.islink(full) and not _inside(os.path.realpath(full), top):
                    continue  # never follow a link out of the tree being walked
                yield full


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)
