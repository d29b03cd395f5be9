"""Static reads of Sentry's settings module (``src/sentry/conf/server.py``), never imported.

Only what the project rules need: the lockfile's app whitelist. Results are cached per root.
"""

from __future__ import annotations

import ast
import functools
import os
from dataclasses import dataclass

from sentry_model_lint.files import read_text

SERVER_SETTINGS = os.path.join("src", "sentry", "conf", "server.py")
LOCKFILE_WHITELIST = "MIGRATIONS_LOCKFILE_APP_WHITELIST"


@dataclass(frozen=True)
class LockfileApps:
    """Which apps ``makemigrations`` writes into ``migrations_lockfile.txt``.

    ``known`` is False when the settings could not be read (no settings file: every app is
    expected, as before). ``present`` says whether the whitelist is defined; ``labels`` holds its
    strings when it could be read (None: defined but not a literal)."""

    known: bool
    present: bool = False
    labels: tuple[str, ...] | None = None

    def expects(self, label: str, in_lockfile: bool) -> bool | None:
        """Whether the lockfile must name ``label``; None when that cannot be told."""
        if not self.known:
            return True
        if not self.present:
            return in_lockfile  # newer Sentry: only the apps already in the lockfile
        if self.labels is None:
            return None
        return not self.labels or label in self.labels  # an empty whitelist means every app


def _literal_strings(node: ast.expr) -> tuple[str, ...] | None:
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        out = []
        for item in node.elts:
            if not (isinstance(item, ast.Constant) and isinstance(item.value, str)):
                return None
            out.append(item.value)
        return tuple(out)
    return None


def parse_lockfile_apps(text: str) -> LockfileApps:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return LockfileApps(known=False)
    found = LockfileApps(known=True)
    for stmt in tree.body:  # module level only; the last assignment wins, as at import
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target] if isinstance(stmt, ast.AnnAssign) else []
        named = any(isinstance(t, ast.Name) and t.id == LOCKFILE_WHITELIST for t in targets)
        value = stmt.value if named and isinstance(stmt, ast.Assign | ast.AnnAssign) else None
        if value is not None:
            found = LockfileApps(known=True, present=True, labels=_literal_strings(value))
    if not found.present and LOCKFILE_WHITELIST in text:
        return LockfileApps(known=True, present=True, labels=None)  # set some other way
    return found


def lockfile_apps(root: str) -> LockfileApps:
    """The lockfile whitelist of the project at ``root``."""
    path = os.path.join(root, SERVER_SETTINGS)
    try:
        stamp = os.stat(path).st_mtime_ns
    except OSError:
        return LockfileApps(known=False)
    return _read(path, stamp)


@functools.lru_cache(maxsize=16)
def _read(path: str, _stamp: int) -> LockfileApps:
    try:
        text = read_text(path)
    except OSError:
        return LockfileApps(known=False)
    return parse_lockfile_apps(text)


__all__ = ["LockfileApps", "lockfile_apps", "parse_lockfile_apps"]
