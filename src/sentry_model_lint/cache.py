"""On-disk cache of per-file facts: JSON only.

Entries are grouped in one pack per source folder (a migrations folder holds hundreds of
files: one read and one write per folder instead of one per file). An entry is keyed by the
file's path (relative to the project root), size, modification time, the tool version and the
configuration that shapes facts (import aliases); when size and time disagree but a content hash
matches, the entry is still used (a checkout that only touched the file). A corrupt, foreign or
unreadable pack or entry is ignored and rebuilt; a cache folder that cannot be written turns
writing off. Packs are written to a temporary file and renamed, so concurrent runs never see
half a pack (the last writer wins, and every pack it writes is valid).
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import hashlib
import json
import os
import posixpath
import shutil
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from sentry_model_lint import __version__
from sentry_model_lint.files import write_atomically

if TYPE_CHECKING:
    from sentry_model_lint.facts import ModuleFacts

CACHE_DIR = ".sentry_model_lint_cache"
FORMAT = 2


@functools.cache
def tool_stamp() -> str:
    """The version and the size and modification time of this package's own modules: an
    edited rule or extractor (a development install) never reads entries an older one wrote."""
    digest = hashlib.sha1(f"{__version__}\0{FORMAT}".encode())
    package = os.path.dirname(os.path.abspath(__file__))
    for folder, names in (
        (package, sorted(os.listdir(package))),
        (os.path.join(package, "rules"), sorted(os.listdir(os.path.join(package, "rules")))),
    ):
        for name in names:
            if name.endswith(".py"):
                try:
                    st = os.stat(os.path.join(folder, name))
                except OSError:
                    continue
                digest.update(f"{name}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


def content_hash(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


class FactsCache:
    def __init__(self, root: str, salt: str = "", enabled: bool = True) -> None:
        self.root = root
        self.enabled = enabled
        self.salt = salt
        self.dir = os.path.join(root, CACHE_DIR, f"facts-{__version__}-{FORMAT}-{tool_stamp()}")
        self.writable = enabled
        self.hits = self.misses = 0
        self._packs: dict[str, dict[str, Any]] = {}
        self._dirty: set[str] = set()
        if enabled:
            atexit.register(self.flush)

    def _pack_path(self, folder: str) -> str:
        return os.path.join(self.dir, hashlib.sha1(f"{self.salt}\0{folder}".encode()).hexdigest() + ".json")

    def _pack(self, folder: str) -> dict[str, Any]:
        pack = self._packs.get(folder)
        if pack is None:
            pack = {}
            try:
                with open(self._pack_path(folder), encoding="utf-8") as fh:
                    data = json.loads(fh.read())
                if isinstance(data, dict) and data.get("folder") == folder and data.get("salt") == self.salt:
                    entries = data.get("entries")
                    if isinstance(entries, dict):
                        pack = entries
            except (OSError, ValueError, RecursionError):
                pass
            self._packs[folder] = pack
        return pack

    def get(self, rel: str, stat: os.stat_result, read_bytes: Any) -> ModuleFacts | None:
        """Facts for ``rel`` if a valid entry exists. ``read_bytes`` reads the file when the
        content hash has to settle a changed timestamp."""
        if not self.enabled:
            return None
        from sentry_model_lint.facts import ModuleFacts
        from sentry_model_lint.serialize import DecodeError, decode

        rel = rel.replace(os.sep, "/")
        try:
            entry = self._pack(posixpath.dirname(rel)).get(posixpath.basename(rel))
            if not isinstance(entry, dict) or entry.get("size") != stat.st_size:
                raise DecodeError("missing or changed")
            if entry.get("mtime") != stat.st_mtime_ns and entry.get("sha1") != content_hash(read_bytes()):
                raise DecodeError("changed")
            facts = decode(ModuleFacts, entry["facts"])
        except (OSError, ValueError, KeyError, TypeError, RecursionError):
            self.misses += 1
            return None
        self.hits += 1
        return facts

    def put(self, rel: str, stat: os.stat_result, data: bytes, facts: ModuleFacts) -> None:
        if not self.writable:
            return
        from sentry_model_lint.serialize import encode

        rel = rel.replace(os.sep, "/")
        folder = posixpath.dirname(rel)
        self._pack(folder)[posixpath.basename(rel)] = {
            "size": stat.st_size,
            "mtime": stat.st_mtime_ns,
            "sha1": content_hash(data),
            "facts": encode(facts),
        }
        self._dirty.add(folder)

    def flush(self) -> None:
        """Write the packs that changed (also run at exit)."""
        if not self.writable or not self._dirty:
            return
        try:
            self._ensure_dir()
            for folder in sorted(self._dirty):
                text = json.dumps({"folder": folder, "salt": self.salt, "entries": self._packs[folder]}, separators=(",", ":"))
                write_atomically(self._pack_path(folder), text)
            self._dirty.clear()
        except (OSError, TypeError, ValueError, RecursionError):
            self.writable = False  # read-only or full disk: keep going without writing

    def _ensure_dir(self) -> None:
        if os.path.isdir(self.dir):
            return
        _prune(os.path.dirname(self.dir), "facts-", keep=os.path.basename(self.dir))
        os.makedirs(self.dir, exist_ok=True)
        ignore = os.path.join(self.root, CACHE_DIR, ".gitignore")
        if not os.path.exists(ignore):
            with open(ignore, "w", encoding="utf-8") as fh:
                fh.write("# written by sentry-model-lint: the cache is not part of the project\n*\n")


class ResultsCache:
    """Findings of whole files from earlier runs, for runs over an unchanged tree.

    An entry holds a file's findings (before ``# noqa``) under a stamp of the file (``check``
    uses its size and modification time, the flake8 plugin a hash of the text flake8 read) and
    the project's fingerprint (the size and time of every file the project index can read): it
    is used only while both are unchanged, so a warm run reads no other source and parses
    nothing. One file per project root and configuration. Several processes may share it (flake8
    workers, concurrent runs): each writes atomically and merges what the others wrote since it
    read the file, so no writer undoes another's entries.
    """

    def __init__(self, root: str, config_key: str, enabled: bool = True) -> None:
        self.enabled = enabled
        self.root = root
        digest = hashlib.sha1(config_key.encode()).hexdigest()[:16]
        self.dir = os.path.join(root, CACHE_DIR)
        self.prefix = f"results-{__version__}-{FORMAT}-{tool_stamp()}-"
        self.path = os.path.join(self.dir, f"{self.prefix}{digest}.json")
        self._entries: dict[str, Any] | None = None
        self._dirty: set[str] = set()
        self.writable = enabled

    def _read(self) -> dict[str, Any]:
        try:
            with open(self.path, encoding="utf-8") as fh:
                data = json.loads(fh.read())
            if isinstance(data, dict) and isinstance(data.get("entries"), dict):
                entries: dict[str, Any] = data["entries"]
                return entries
        except (OSError, ValueError, RecursionError):
            pass
        return {}

    def _load(self) -> dict[str, Any]:
        if self._entries is None:
            self._entries = self._read()
        return self._entries

    def get(self, rel: str, stamp: str, project: str) -> list[list[Any]] | None:
        if not self.enabled:
            return None
        entry = self._load().get(rel)
        if not isinstance(entry, dict) or entry.get("stamp") != stamp or entry.get("project") != project:
            return None
        found = entry.get("found")
        if not isinstance(found, list) or not all(_is_finding(f) for f in found):
            return None
        return found

    def put(self, rel: str, stamp: str, project: str, found: list[list[Any]]) -> None:
        if not self.writable:
            return
        self._load()[rel] = {"stamp": stamp, "project": project, "found": found}
        self._dirty.add(rel)

    def flush(self) -> None:
        """Write the entries added since the last flush, merged into what is on disk now."""
        if not self.writable or not self._dirty or self._entries is None:
            return
        try:
            os.makedirs(self.dir, exist_ok=True)
            ignore = os.path.join(self.dir, ".gitignore")
            if not os.path.exists(ignore):
                with open(ignore, "w", encoding="utf-8") as fh:
                    fh.write("# written by sentry-model-lint: the cache is not part of the project\n*\n")
            if not os.path.exists(self.path):
                _prune(self.dir, "results-", keep=self.prefix)
            with _locked(self.path + ".lock"):  # read, merge and replace as one step
                merged = self._read()
                merged.update({rel: self._entries[rel] for rel in self._dirty})
                text = json.dumps({"entries": merged}, separators=(",", ":"))
                write_atomically(self.path, text)
            self._dirty.clear()
        except (OSError, TypeError, ValueError):
            self.writable = False


def _prune(folder: str, kind: str, keep: str) -> None:
    """Remove the cache entries of ``kind`` another version of the tool wrote (names that start
    with ``kind`` but not with ``keep``)."""
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        if name.startswith(kind) and not name.startswith(keep):
            path = os.path.join(folder, name)
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    os.unlink(path)


@contextlib.contextmanager
def _locked(path: str) -> Iterator[None]:
    """An exclusive advisory lock on ``path`` where the platform has one (else no lock: the
    rename still keeps the file whole, a concurrent writer may only drop entries)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    with open(path, "a", encoding="utf-8") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _is_finding(found: Any) -> bool:
    return (
        isinstance(found, list)
        and len(found) == 5
        and isinstance(found[0], int)
        and isinstance(found[1], int)
        and all(isinstance(x, str) for x in found[2:])
    )


def file_stamp(st: os.stat_result) -> str:
    """The stamp ``check`` gives a file on disk."""
    return f"{st.st_size}:{st.st_mtime_ns}"
