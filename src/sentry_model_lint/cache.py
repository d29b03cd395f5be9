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
import stat as stat_module
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from sentry_model_lint import __version__
from sentry_model_lint.files import write_atomically

if TYPE_CHECKING:
    from sentry_model_lint.facts import ModuleFacts

CACHE_DIR = ".sentry_model_lint_cache"
FORMAT = 2
GITIGNORE = "# written by sentry-model-lint: the cache is not part of the project\n*\n"
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_CONTROL = {chr(c) for c in (*range(0x20), *range(0x7F, 0xA0))}


def _safe_below(root: str, path: str) -> bool:
    """True when no component of ``path`` below ``root`` is a symlink or something other than a
    folder (a missing component is fine: it will be created). A checkout is untrusted input: a
    linked cache folder could point the linter's reads, writes and deletions anywhere."""
    rel = os.path.relpath(path, root)
    if rel == os.curdir:
        return True
    if rel == os.pardir or rel.startswith(os.pardir + os.sep) or os.path.isabs(rel):
        return False
    current = root
    for part in rel.split(os.sep):
        current = os.path.join(current, part)
        try:
            st = os.lstat(current)
        except FileNotFoundError:
            return True
        except OSError:
            return False
        if not stat_module.S_ISDIR(st.st_mode):  # a symlink (lstat) or a file
            return False
    return True


def _make_dirs(root: str, path: str) -> None:
    """Create ``path`` (below ``root``) folder by folder with mode 0755 at most, never through a
    symlink; OSError when a component is a link or not a folder."""
    current = root
    for part in os.path.relpath(path, root).split(os.sep):
        current = os.path.join(current, part)
        with contextlib.suppress(FileExistsError):
            os.mkdir(current, 0o755)
        if not stat_module.S_ISDIR(os.lstat(current).st_mode):
            raise OSError(f"{current} is not a folder (a symlink?)")


def _write_gitignore(folder: str) -> None:
    """Create ``folder/.gitignore`` unless something (even a dangling symlink) is there already:
    O_EXCL never follows a link, so the target of one is never created."""
    try:
        fd = os.open(os.path.join(folder, ".gitignore"), os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o644)
    except FileExistsError:
        return
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(GITIGNORE)


OWNER = ".owner"


def _identity(folder: str) -> str:
    st = os.lstat(folder)
    return f"{st.st_dev}:{st.st_ino}\n"


def _ours(root: str) -> bool:
    """True when the cache folder of ``root`` is one this linter made, in this place: its
    ``.owner`` file names the folder's own device and inode. A cache folder that came with the
    checkout (committed, copied, restored from an archive) gets a new inode, so entries planted
    in it, which could match a file by its content hash, are never read."""
    folder = os.path.join(root, CACHE_DIR)
    try:
        return _safe_below(root, folder) and _read_text(os.path.join(folder, OWNER)) == _identity(folder)
    except (OSError, ValueError):
        return False


def _claim(root: str) -> None:
    """Make the cache folder of ``root`` ours before writing to it: a folder that is not (see
    :func:`_ours`) loses every entry in it, then gets an ``.owner`` naming it."""
    folder = os.path.join(root, CACHE_DIR)
    _make_dirs(root, folder)
    if _ours(root):
        return
    for kind in ("facts-", "results-"):
        _prune(root, folder, kind, keep=None)
    write_atomically(os.path.join(folder, OWNER), _identity(folder))


def _read_text(path: str) -> str:
    """The text of the regular file ``path``, never through a symlink (OSError otherwise)."""
    fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _NONBLOCK)
    with os.fdopen(fd, "rb") as fh:
        if not stat_module.S_ISREG(os.fstat(fh.fileno()).st_mode):
            raise OSError(f"{path} is not a regular file")
        return fh.read().decode("utf-8")


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
        if enabled and not _safe_below(root, self.dir):
            self.enabled = enabled = False  # a linked cache folder: no cache for this run
        self.writable = enabled
        self.hits = self.misses = 0
        self._packs: dict[str, dict[str, Any]] = {}
        self._dirty: set[str] = set()
        self._ours: bool | None = None
        if enabled:
            atexit.register(self.flush)

    def _trusted(self) -> bool:
        if self._ours is None:
            self._ours = _ours(self.root)
        return self._ours

    def _pack_path(self, folder: str) -> str:
        return os.path.join(self.dir, hashlib.sha1(f"{self.salt}\0{folder}".encode()).hexdigest() + ".json")

    def _on_disk(self, folder: str) -> dict[str, Any]:
        """The entries of the pack of ``folder`` as they are on disk now ({} when it is missing,
        corrupt or not this project's; when writing, what other processes added since)."""
        try:
            data = json.loads(_read_text(self._pack_path(folder)))
        except (OSError, ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
            return {}
        if isinstance(data, dict) and data.get("folder") == folder and data.get("salt") == self.salt:
            entries = data.get("entries")
            if isinstance(entries, dict):
                return entries
        return {}

    def _pack(self, folder: str) -> dict[str, Any]:
        pack = self._packs.get(folder)
        if pack is None:
            # a cache folder this linter did not make here is never read
            pack = self._packs[folder] = self._on_disk(folder) if self._trusted() else {}
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

    def _blob_path(self, key: str) -> str:
        return os.path.join(self.dir, "blob-" + hashlib.sha1(f"{self.salt}\0{key}".encode()).hexdigest() + ".json")

    def get_blob(self, key: str) -> Any:
        """A JSON document stored under ``key`` by :meth:`put_blob`, or None. The caller
        validates its shape: like every entry, it may be corrupt or planted."""
        if not self.enabled or not self._trusted():
            return None
        try:
            data = json.loads(_read_text(self._blob_path(key)))
        except (OSError, ValueError, RecursionError):
            return None
        return data.get("data") if isinstance(data, dict) and data.get("key") == key and data.get("salt") == self.salt else None

    def put_blob(self, key: str, data: Any) -> None:
        if not self.writable:
            return
        try:
            self._ensure_dir()
            text = json.dumps({"key": key, "salt": self.salt, "data": data}, separators=(",", ":"))
            write_atomically(self._blob_path(key), text)
        except (OSError, TypeError, ValueError, RecursionError):
            self.writable = False

    def flush(self) -> None:
        """Write the packs that changed (also run at exit)."""
        if not self.writable or not self._dirty:
            return
        try:
            self._ensure_dir()
            for folder in sorted(self._dirty):
                path = self._pack_path(folder)
                with _locked(path + ".lock"):  # flake8's workers share packs: merge, never clobber
                    entries = {**self._on_disk(folder), **self._packs[folder]}
                    text = json.dumps({"folder": folder, "salt": self.salt, "entries": entries}, separators=(",", ":"))
                    write_atomically(path, text)
            self._dirty.clear()
        except (OSError, TypeError, ValueError, RecursionError):
            self.writable = False  # read-only or full disk: keep going without writing

    def _ensure_dir(self) -> None:
        if not _safe_below(self.root, self.dir):
            raise OSError("the cache folder is a symlink")
        _claim(self.root)
        self._ours = True
        with contextlib.suppress(OSError):
            if stat_module.S_ISDIR(os.lstat(self.dir).st_mode):
                return
        _prune(self.root, os.path.dirname(self.dir), "facts-", keep=os.path.basename(self.dir))
        _make_dirs(self.root, self.dir)
        _write_gitignore(os.path.join(self.root, CACHE_DIR))


class ResultsCache:
    """Findings of whole files from earlier runs, for runs over a tree that changed little.

    An entry holds a file's findings (before ``# noqa``) under a stamp of the file (``check``
    uses its size, modification time and inode, the flake8 plugin a hash of the text flake8
    read), the project stamp (the checkout's capabilities; for a migration under ``since``, the
    merge-base and the new files) and the stamps of the groups of cross-file facts the lint read
    (see :mod:`sentry_model_lint.workspace`, which decides whether they still hold). One file
    per project root and configuration. Several processes may share it (flake8 workers,
    concurrent runs): each writes atomically and merges what the others wrote since it read the
    file, so no writer undoes another's entries.
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
        if enabled and not _safe_below(root, self.dir):
            self.enabled = enabled = False  # a linked cache folder: no cache for this run
        self.writable = enabled

    def _read(self) -> dict[str, Any]:
        try:
            if not _ours(self.root):
                raise OSError("not a cache folder this linter made here")
            data = json.loads(_read_text(self.path))
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

    def get(self, rel: str, stamp: str, project: str) -> tuple[list[list[Any]], dict[str, str]] | None:
        """The cached findings of ``rel`` and the group stamps they were computed with, or None
        (lint the file again) when there is no entry for this stamp and project stamp, or any
        finding in it is not one the linter could have reported (unknown code, line below 1,
        negative column, control characters in the text; the caller, which reads the file,
        checks the line against its length). The stamp holds the file's size, nanosecond mtime
        and inode, which a checkout or copy sets anew, so an entry planted in a committed or
        copied cache folder does not match."""
        if not self.enabled:
            return None
        entry = self._load().get(rel)
        if not isinstance(entry, dict) or entry.get("stamp") != stamp or entry.get("project") != project:
            return None
        found, reads = entry.get("found"), entry.get("reads", {})
        if not isinstance(found, list) or not all(_is_finding(f) for f in found):
            return None
        if not isinstance(reads, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in reads.items()):
            return None
        return found, reads

    def put(self, rel: str, stamp: str, project: str, found: list[list[Any]], reads: dict[str, str] | None = None) -> None:
        if not self.writable:
            return
        entry: dict[str, Any] = {"stamp": stamp, "project": project, "found": found}
        if reads:
            entry["reads"] = reads
        self._load()[rel] = entry
        self._dirty.add(rel)

    def flush(self) -> None:
        """Write the entries added since the last flush, merged into what is on disk now."""
        if not self.writable or not self._dirty or self._entries is None:
            return
        try:
            if not _safe_below(self.root, self.dir):
                raise OSError("the cache folder is a symlink")
            _claim(self.root)
            _write_gitignore(self.dir)
            if not os.path.lexists(self.path):
                _prune(self.root, self.dir, "results-", keep=self.prefix)
            with _locked(self.path + ".lock"):  # read, merge and replace as one step
                merged = self._read()
                merged.update({rel: self._entries[rel] for rel in self._dirty})
                text = json.dumps({"entries": merged}, separators=(",", ":"))
                write_atomically(self.path, text)
            self._dirty.clear()
        except (OSError, TypeError, ValueError):
            self.writable = False


def _prune(root: str, folder: str, kind: str, keep: str | None) -> None:
    """Remove the cache entries of ``kind`` another version of the tool wrote (names that start
    with ``kind`` but not with ``keep``; every one of them when ``keep`` is None). Nothing is removed through a symlink: not when
    ``folder`` (or a folder above it, below ``root``) is one; a linked entry loses only the link."""
    if not _safe_below(root, folder):
        return
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        if name.startswith(kind) and (keep is None or not name.startswith(keep)):
            path = os.path.join(folder, name)
            try:
                is_dir = stat_module.S_ISDIR(os.lstat(path).st_mode)
            except OSError:
                continue
            if is_dir:
                shutil.rmtree(path, ignore_errors=True)  # does not follow links inside
            else:
                with contextlib.suppress(OSError):
                    os.unlink(path)  # a link: the link itself, never its target


@contextlib.contextmanager
def _locked(path: str) -> Iterator[None]:
    """An exclusive advisory lock on ``path`` where the platform has one (else no lock: the
    rename still keeps the file whole, a concurrent writer may only drop entries)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | _NOFOLLOW, 0o644)  # never through a link
    with os.fdopen(fd, "a", encoding="utf-8") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


@functools.cache
def _known_codes() -> frozenset[str]:
    from sentry_model_lint.rules.base import REGISTRY, all_rules

    all_rules()  # registers every rule
    return frozenset(REGISTRY)


def _is_clean_text(text: Any) -> bool:
    return isinstance(text, str) and not any(ch in _CONTROL for ch in text)


def _is_finding(found: Any) -> bool:
    """True when ``found`` is a finding the linter could have stored: [line, col, code, message,
    symbol] with a known rule code, ``line >= 1``, ``col >= 0`` and
    message and symbol free of control characters (a planted escape sequence or newline never
    reaches a terminal or a CI annotation)."""
    if not isinstance(found, list) or len(found) != 5:
        return False
    line, col, code, message, symbol = found
    return (
        type(line) is int
        and type(col) is int
        and line >= 1
        and col >= 0
        and isinstance(code, str)
        and code in _known_codes()
        and _is_clean_text(message)
        and _is_clean_text(symbol)
    )


def file_stamp(st: os.stat_result) -> str:
    """The stamp ``check`` gives a file on disk."""
    return f"{st.st_size}:{st.st_mtime_ns}:{st.st_ino}"
