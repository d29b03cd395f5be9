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
import hashlib
import json
import os
import posixpath
import tempfile
from typing import Any

from sentry_model_lint import __version__
from sentry_model_lint.facts import ModuleFacts
from sentry_model_lint.serialize import DecodeError, decode, encode

CACHE_DIR = ".sentry_model_lint_cache"
FORMAT = 2


def content_hash(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


class FactsCache:
    def __init__(self, root: str, salt: str = "", enabled: bool = True) -> None:
        self.root = root
        self.enabled = enabled
        self.salt = salt
        self.dir = os.path.join(root, CACHE_DIR, f"facts-{__version__}-{FORMAT}")
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
                fd, tmp = tempfile.mkstemp(dir=self.dir, suffix=".tmp")
                try:
                    with os.fdopen(fd, "w", encoding="utf-8") as fh:
                        fh.write(text)
                    os.replace(tmp, self._pack_path(folder))
                except BaseException:
                    try:
                        os.unlink(tmp)
                    except OSError:
                        pass
                    raise
            self._dirty.clear()
        except (OSError, TypeError, ValueError, RecursionError):
            self.writable = False  # read-only or full disk: keep going without writing

    def _ensure_dir(self) -> None:
        if os.path.isdir(self.dir):
            return
        os.makedirs(self.dir, exist_ok=True)
        ignore = os.path.join(self.root, CACHE_DIR, ".gitignore")
        if not os.path.exists(ignore):
            with open(ignore, "w", encoding="utf-8") as fh:
                fh.write("# written by sentry-model-lint: the cache is not part of the project\n*\n")


class ResultsCache:
    """Findings of whole files from earlier runs, for ``check`` on an unchanged tree.

    An entry holds a file's findings (before ``# noqa``) and is valid while the file's size and
    modification time, the configuration and the project's fingerprint (the size and time of
    every file the project index can read) are unchanged: a warm run over an unchanged tree
    reads no source and parses nothing. One file per project root and configuration.
    """

    def __init__(self, root: str, config_key: str, enabled: bool = True) -> None:
        self.enabled = enabled
        self.root = root
        digest = hashlib.sha1(config_key.encode()).hexdigest()[:16]
        self.dir = os.path.join(root, CACHE_DIR)
        self.path = os.path.join(self.dir, f"results-{__version__}-{FORMAT}-{digest}.json")
        self._entries: dict[str, Any] | None = None
        self._dirty = False
        self.writable = enabled

    def _load(self) -> dict[str, Any]:
        if self._entries is None:
            self._entries = {}
            try:
                with open(self.path, encoding="utf-8") as fh:
                    data = json.loads(fh.read())
                if isinstance(data, dict) and isinstance(data.get("entries"), dict):
                    self._entries = data["entries"]
            except (OSError, ValueError, RecursionError):
                pass
        return self._entries

    def get(self, rel: str, stat: os.stat_result, project: str) -> list[list[Any]] | None:
        if not self.enabled:
            return None
        entry = self._load().get(rel)
        if not isinstance(entry, dict):
            return None
        if entry.get("size") != stat.st_size or entry.get("mtime") != stat.st_mtime_ns or entry.get("project") != project:
            return None
        found = entry.get("found")
        if not isinstance(found, list) or not all(isinstance(f, list) and len(f) == 5 for f in found):
            return None
        return found

    def put(self, rel: str, stat: os.stat_result, project: str, found: list[list[Any]]) -> None:
        if not self.writable:
            return
        self._load()[rel] = {"size": stat.st_size, "mtime": stat.st_mtime_ns, "project": project, "found": found}
        self._dirty = True

    def flush(self) -> None:
        if not self.writable or not self._dirty:
            return
        try:
            os.makedirs(self.dir, exist_ok=True)
            ignore = os.path.join(self.dir, ".gitignore")
            if not os.path.exists(ignore):
                with open(ignore, "w", encoding="utf-8") as fh:
                    fh.write("# written by sentry-model-lint: the cache is not part of the project\n*\n")
            text = json.dumps({"entries": self._entries}, separators=(",", ":"))
            fd, tmp = tempfile.mkstemp(dir=self.dir, suffix=".tmp")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    fh.write(text)
                os.replace(tmp, self.path)
            except BaseException:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
                raise
            self._dirty = False
        except (OSError, TypeError, ValueError):
            self.writable = False
