"""On-disk cache of per-file facts: JSON only, one entry per source file.

An entry is keyed by the file's path (relative to the project root), size, modification time,
the tool version and the configuration that shapes facts (import aliases). When size and time
disagree but a content hash matches, the entry is still used (a checkout that only touched
the file). A corrupt, foreign or unreadable entry is ignored and rebuilt; a cache folder that
cannot be written turns writing off. Entries are written to a temporary file and renamed, so
concurrent runs never see half an entry.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from typing import Any

from sentry_model_lint import __version__
from sentry_model_lint.facts import ModuleFacts
from sentry_model_lint.serialize import DecodeError, decode, encode

CACHE_DIR = ".sentry_model_lint_cache"
FORMAT = 1


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

    def _entry_path(self, rel: str) -> str:
        return os.path.join(self.dir, hashlib.sha1(f"{self.salt}\0{rel}".encode()).hexdigest() + ".json")

    def get(self, rel: str, stat: os.stat_result, read_bytes: Any) -> ModuleFacts | None:
        """Facts for ``rel`` if a valid entry exists. ``read_bytes`` reads the file when the
        content hash has to settle a changed timestamp."""
        if not self.enabled:
            return None
        try:
            with open(self._entry_path(rel), encoding="utf-8") as fh:
                entry = json.load(fh)
            if not isinstance(entry, dict) or entry.get("path") != rel or entry.get("salt") != self.salt:
                raise DecodeError("foreign entry")
            if entry.get("size") != stat.st_size:
                raise DecodeError("changed")
            if entry.get("mtime") != stat.st_mtime_ns:
                if entry.get("sha1") != content_hash(read_bytes()):
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
        entry = {
            "path": rel,
            "salt": self.salt,
            "size": stat.st_size,
            "mtime": stat.st_mtime_ns,
            "sha1": content_hash(data),
            "facts": encode(facts),
        }
        try:
            self._ensure_dir()
            fd, tmp = tempfile.mkstemp(dir=self.dir, suffix=".tmp")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    json.dump(entry, fh, separators=(",", ":"))
                os.replace(tmp, self._entry_path(rel))
            except BaseException:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
                raise
        except (OSError, TypeError, ValueError, RecursionError):
            self.writable = False  # read-only or full disk: keep going without writing

    def _ensure_dir(self) -> None:
        if os.path.isdir(self.dir):
            return
        os.makedirs(self.dir, exist_ok=True)
        top = os.path.join(self.root, CACHE_DIR)
        ignore = os.path.join(top, ".gitignore")
        if not os.path.exists(ignore):
            with open(ignore, "w", encoding="utf-8") as fh:
                fh.write("# written by sentry-model-lint: the cache is not part of the project\n*\n")
