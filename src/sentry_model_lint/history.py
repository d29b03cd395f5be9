"""Shipped history vs new work: which migrations the per-file rules (SML2xx) leave alone.

A migration that shipped is immutable: whatever a per-file migration rule would say about it
can no longer be acted on. A migration file is *history* when any of these holds:

1. a squash migration of the same app replaces it (``replaces = [...]``; known only with the
   project index, whose app history records the replaced names);
2. ``since`` is set (``check --since REF``, ``since = "origin/master"``, flake8's
   ``--sml-since``) and git says the file was not added after the merge-base of ``HEAD`` and
   that ref (committed, staged, unstaged or untracked: all count as added);
3. ``history-floor`` gives its app a number and the file's number is at or below it.

The cross-file rules (SML4xx) keep every migration as history and are not affected; neither are
model files and migration tests. Only migration files are ever looked at here, and git runs at
most once per folder and ref in a process (:func:`new_work`).
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sentry_model_lint.config import Config
from sentry_model_lint.paths import FileInfo, FileKind

if TYPE_CHECKING:
    from sentry_model_lint.project import ProjectIndex

#: seconds one git command may take before the ref is given up on
GIT_TIMEOUT = 60.0
_NUMBER = re.compile(r"\d+")


class HistoryError(Exception):
    """``since`` cannot be resolved (no git repository, unknown ref, git missing or failing);
    the message says which, and how to fix it. The CLI exits 2 on it; flake8 warns once."""


@dataclass(frozen=True)
class NewWork:
    """The migrations added since the merge-base of ``HEAD`` and ``ref`` in one work tree."""

    ref: str
    toplevel: str  # the work tree's top folder (a real path)
    base: str  # the merge-base commit
    added: frozenset[str]  # files added since ``base``, relative to ``toplevel``, "/"-separated
    digest: str  # a hash of ``added``: with ``base``, what a cached result depends on

    @property
    def stamp(self) -> str:
        return f"since:{self.base}:{self.digest}"

    def is_new(self, path: str) -> bool:
        """Whether ``path`` was added since the merge-base (a file outside the work tree is not
        history of this repository, so it counts as new)."""
        rel = os.path.relpath(os.path.realpath(path), self.toplevel)
        if rel == os.pardir or rel.startswith(os.pardir + os.sep):
            return True
        return rel.replace(os.sep, "/") in self.added


_RESOLVED: dict[tuple[str, str], NewWork | HistoryError] = {}


def forget() -> None:
    """Drop what :func:`new_work` learnt from git (a new run: commits may have been made)."""
    _RESOLVED.clear()


def git_folder(root: str | None, path: str) -> str:
    """Where git runs for a file: its project root, else its own folder."""
    return root if root is not None else os.path.dirname(os.path.abspath(path))


def new_work(folder: str, ref: str) -> NewWork:
    """The files added in ``folder``'s git work tree since the merge-base of ``HEAD`` and
    ``ref``. git runs at most once per folder and ref in a process (failures are remembered
    too); raises :class:`HistoryError` when the answer cannot be had."""
    key = (os.path.abspath(folder), ref)
    found = _RESOLVED.get(key)
    if found is None:
        try:
            found = _resolve(key[0], ref)
        except HistoryError as exc:
            found = exc
        _RESOLVED[key] = found
    if isinstance(found, HistoryError):
        raise HistoryError(str(found))
    return found


def _resolve(folder: str, ref: str) -> NewWork:
    what = f"cannot tell new migrations from shipped history (since {ref!r})"
    if not ref.strip() or ref.startswith("-"):
        raise HistoryError(f'{what}: {ref!r} is not a git ref; give a branch, tag or commit, like "origin/master"')
    ok, out, err = _git(folder, what, "rev-parse", "--show-toplevel")
    if not ok:
        if "not a git repository" in err:
            raise HistoryError(f"{what}: {folder} is not inside a git repository")
        raise HistoryError(f"{what}: git rev-parse --show-toplevel failed in {folder}: {_first_line(err)}")
    toplevel = os.path.realpath(os.fsdecode(out).strip())
    ok, out, err = _git(folder, what, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    if not ok:
        raise HistoryError(f"{what}: git does not know the ref {ref!r} in {toplevel} (a typo, or a branch not fetched yet?)")
    target = os.fsdecode(out).strip()
    ok, out, err = _git(folder, what, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    if not ok:
        raise HistoryError(f"{what}: HEAD has no commit yet in {toplevel}")
    ok, out, err = _git(folder, what, "merge-base", "HEAD", target)
    if not ok:
        detail = f": {_first_line(err)}" if err.strip() else ""
        raise HistoryError(f"{what}: HEAD and {ref!r} have no common ancestor in {toplevel}{detail}")
    base = os.fsdecode(out).strip()
    # committed, staged and unstaged additions of tracked files since the base (renames count as
    # additions: a renumbered migration is new work), paths relative to the top folder
    ok, diff, err = _git(
        folder,
        what,
        "-c",
        "diff.relative=false",
        "diff",
        "--name-only",
        "--no-renames",
        "--no-ext-diff",
        "--diff-filter=A",
        "-z",
        base,
        "--",
    )
    if not ok:
        raise HistoryError(f"{what}: git diff against {base[:12]} failed in {toplevel}: {_first_line(err)}")
    # untracked files that are not ignored
    ok, others, err = _git(folder, what, "ls-files", "--others", "--exclude-standard", "--full-name", "-z")
    if not ok:
        raise HistoryError(f"{what}: git ls-files failed in {toplevel}: {_first_line(err)}")
    added = frozenset(os.fsdecode(p) for p in (*diff.split(b"\0"), *others.split(b"\0")) if p)
    digest = hashlib.sha1("\0".join(sorted(added)).encode("utf-8", "surrogateescape")).hexdigest()[:16]
    return NewWork(ref=ref, toplevel=toplevel, base=base, added=added, digest=digest)


def _git(folder: str, what: str, *args: str) -> tuple[bool, bytes, str]:
    """Run git in ``folder`` (no shell, no prompt, no optional locks, a timeout): whether it
    succeeded, its stdout and its stderr."""
    import subprocess

    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0"}
    try:
        proc = subprocess.run(
            ["git", *args],
            cwd=folder,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=GIT_TIMEOUT,
            check=False,
        )
    except FileNotFoundError:
        raise HistoryError(f"{what}: git is not installed (or not on PATH)") from None
    except subprocess.TimeoutExpired:
        raise HistoryError(f"{what}: `git {' '.join(args)}` took longer than {GIT_TIMEOUT:.0f}s in {folder}") from None
    except OSError as exc:
        raise HistoryError(f"{what}: cannot run git in {folder}: {exc.strerror or exc}") from None
    return proc.returncode == 0, proc.stdout, proc.stderr.decode("utf-8", "replace")


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0] if lines else "no message"


def migration_number(info: FileInfo) -> int | None:
    """The leading digits of the file's name (``0583_x.py`` -> 583), None without any."""
    match = _NUMBER.match(info.stem)
    return int(match.group()) if match else None


def below_floor(info: FileInfo, config: Config) -> bool:
    """``history-floor``: the file's app has a floor and its number is at or below it."""
    app = info.app_folder
    floor = config.history_floor.get(app) if app is not None else None
    if floor is None:
        return False
    number = migration_number(info)
    return number is not None and number <= floor


def squashed_away(info: FileInfo, project: ProjectIndex) -> bool:
    """A squash migration of the same app replaces the file (the index's app history)."""
    history = project.history_for(info.app_folder)
    return history is not None and info.stem in history.aliases


def is_history(info: FileInfo, config: Config, project: ProjectIndex | None = None) -> bool:
    """Whether a migration file is shipped history, which the per-file migration rules leave
    alone (always False for other files). The cheap tests come first: the floor, then git (one
    run per folder and ref), then the index's app history (built once per app, and which the
    project rules build anyway). Raises :class:`HistoryError` when ``since`` cannot be resolved;
    the front doors resolve it before linting (see :func:`new_work`)."""
    if info.kind is not FileKind.MIGRATION:
        return False
    if config.history_floor and below_floor(info, config):
        return True
    if config.since and not new_work(git_folder(info.root, info.path), config.since).is_new(info.path):
        return True
    return project is not None and squashed_away(info, project)


def since_stamp(info: FileInfo, config: Config) -> str:
    """What a cached result of the file depends on besides its text, the configuration and the
    project's files: for a migration under ``since``, the merge-base and the set of new files
    ("" otherwise). Raises :class:`HistoryError` like :func:`new_work`."""
    if not config.since or info.kind is not FileKind.MIGRATION:
        return ""
    return new_work(git_folder(info.root, info.path), config.since).stamp


__all__ = ["HistoryError", "NewWork", "forget", "is_history", "new_work", "since_stamp"]
