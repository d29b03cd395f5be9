"""Which files a run checks: paths given on the command line, walked when they are folders,
minus the configured exclusions (gitignore-style patterns) and what ``.gitignore`` files say.

Symbolic links to folders are not followed, so a walk never leaves the tree it was given.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pathspec

from sentry_model_lint.files import read_text
from sentry_model_lint.paths import SKIPPED_DIRS, walk_python_files

#: folders never walked into, unless the configuration's ``exclude`` replaces them
DEFAULT_EXCLUDE = SKIPPED_DIRS


def exclusion_spec(exclude: Sequence[str] | None, extend_exclude: Sequence[str]) -> pathspec.GitIgnoreSpec:
    patterns = list(DEFAULT_EXCLUDE if exclude is None else exclude) + list(extend_exclude)
    return pathspec.GitIgnoreSpec.from_lines(patterns)


def gitignore_spec(lines: Sequence[str]) -> pathspec.GitIgnoreSpec:
    """The patterns of a ``.gitignore`` file, skipping the lines pathspec cannot compile (``\\``,
    ``foo\\``, ``!``, ``[z-a]``): git ignores an invalid pattern, it does not fail."""
    try:
        return pathspec.GitIgnoreSpec.from_lines(lines)
    except Exception:  # pathspec raises its own errors and re.error
        pass
    good = []
    for line in lines:
        try:
            pathspec.GitIgnoreSpec.from_lines([line])
        except Exception:
            continue
        good.append(line)
    return pathspec.GitIgnoreSpec.from_lines(good)


def check_pattern(pattern: str) -> str | None:
    """Why pathspec cannot use a configured gitignore-style pattern, or None when it can."""
    try:
        pathspec.GitIgnoreSpec.from_lines([pattern])
    except Exception as exc:  # pathspec raises its own errors and re.error
        return str(exc) or type(exc).__name__
    return None


_GROUP_NAME = re.compile(r"\(\?P<\w+>")


def matcher(spec: pathspec.PathSpec[Any]) -> Callable[[str], bool]:
    """``spec.match_file`` for normalised relative paths, as one regular expression when every
    pattern includes (no ``!`` negation: then any match decides, whatever the order)."""
    patterns = [p for p in spec.patterns if getattr(p, "include", None) is not None]
    if all(p.include and getattr(p, "regex", None) is not None for p in patterns):
        if not patterns:
            return lambda _name: False
        try:
            combined = re.compile("|".join(f"(?:{_GROUP_NAME.sub('(?:', p.regex.pattern)})" for p in patterns))
        except (re.error, TypeError):
            return spec.match_file
        if all(p.regex.flags == combined.flags for p in patterns):
            return lambda name: combined.search(name) is not None
    return spec.match_file


class Walker:
    """Finds the Python files under the given paths for one project root."""

    def __init__(self, root: str | None, spec: pathspec.PathSpec[Any], use_gitignore: bool = True) -> None:
        self.root = os.path.abspath(root) if root else None
        self.spec = spec
        self._match = matcher(spec)
        self.use_gitignore = use_gitignore
        self._gitignores: dict[str, Callable[[str], bool] | None] = {}
        #: folders a walk could not read, with the reason (the CLI reports them)
        self.unreadable: list[tuple[str, str]] = []

    def _rel(self, path: str) -> str | None:
        if self.root is None:
            return None
        rel = os.path.relpath(os.path.abspath(path), self.root)
        return None if rel.startswith("..") else rel.replace(os.sep, "/")

    def _gitignore(self, folder: str) -> Callable[[str], bool] | None:
        if folder not in self._gitignores:
            match = None
            path = os.path.join(folder, ".gitignore")
            try:
                if not os.path.lexists(path):  # most folders have none: one lstat, no guarded read
                    raise FileNotFoundError(path)
                text = read_text(path, root=self.root)
            except OSError:
                pass
            else:
                match = matcher(gitignore_spec(text.splitlines()))
            self._gitignores[folder] = match
        return self._gitignores[folder]

    def excluded(self, path: str, is_dir: bool = False, rel: str | None = None) -> bool:
        rel = rel if rel is not None else self._rel(path)
        chain = None
        if self.use_gitignore and self.root is not None and rel is not None:
            chain = self._chain(rel.rstrip("/").split("/")[:-1])
        return self._skip(os.path.normpath(path), rel, is_dir, chain)

    def _chain(self, folders: list[str]) -> list[tuple[int, Callable[[str], bool]]]:
        """The ``.gitignore`` files from the root down to a folder (given as its parts below
        the root), each with the depth it matches from."""
        chain: list[tuple[int, Callable[[str], bool]]] = []
        folder = self.root
        if folder is None:
            return chain  # no root, no .gitignore files (never asked)
        for depth in range(len(folders) + 1):
            match = self._gitignore(folder)
            if match is not None:
                chain.append((depth, match))
            if depth < len(folders):
                folder = os.path.join(folder, folders[depth])
        return chain

    @staticmethod
    def _ignored(rel: str, is_dir: bool, chain: list[tuple[int, Callable[[str], bool]]]) -> bool:
        if not chain:
            return False
        parts = rel.rstrip("/").split("/")
        suffix = "/" if is_dir else ""
        return any(match("/".join(parts[depth:]) + suffix) for depth, match in chain)

    def files(self, path: str) -> Iterator[str]:
        if not os.path.isdir(path):
            if not self.excluded(path):
                yield path
            return
        rel_top = self._rel(path)
        yield from self._walk(path, None if rel_top is None else ("" if rel_top == "." else rel_top))

    def _walk(self, top: str, rel_top: str | None) -> Iterator[str]:
        """Files of ``top`` and, depth first in name order, of its subfolders. Links to
        folders are not entered; links to files are kept only when they stay inside ``top``."""
        for parts, subfolders, entries in walk_python_files(top, links_inside=os.path.realpath(top), unreadable=self.unreadable):
            rel_dir = None if rel_top is None else "/".join((rel_top, *parts) if rel_top else parts)
            prefix = "" if not rel_dir else rel_dir + "/"
            chain: list[tuple[int, Callable[[str], bool]]] | None = None
            if self.use_gitignore and rel_dir is not None:
                chain = self._chain(rel_dir.split("/") if rel_dir else [])
            subfolders[:] = [d for d in subfolders if not self._skip(d.path, _rel(prefix, d.name, rel_dir), True, chain)]
            for entry in entries:
                if not self._skip(entry.path, _rel(prefix, entry.name, rel_dir), False, chain):
                    yield entry.path

    def _skip(self, path: str, rel: str | None, is_dir: bool, chain: list[tuple[int, Callable[[str], bool]]] | None) -> bool:
        name = rel if rel is not None else os.path.basename(path)
        if self._match(name + "/" if is_dir else name):
            return True
        return chain is not None and rel is not None and self._ignored(rel, is_dir, chain)


def _rel(prefix: str, name: str, rel_dir: str | None) -> str | None:
    """An entry's path relative to the root, None when its folder has none."""
    return None if rel_dir is None else prefix + name
