"""The project index: facts of the files that rules about several files need.

It finds the project's migration folders, model modules and migration tests with one walk of
the project root, reads each file's facts once (from the on-disk cache when it is current), and
builds, lazily and at most once: each app's migration history and replayed state, the model
registry, the lockfile, the router's ``historical_silo_assignments`` and the ``OutboxCategory``
members. Nothing is imported or executed. Files that cannot be read are remembered in
``broken`` and left out; rules that would need them stay silent.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from stat import S_ISREG
from typing import Any

from sentry_model_lint import checkpoints
from sentry_model_lint.cache import FactsCache, file_stamp
from sentry_model_lint.config import Config
from sentry_model_lint.facts import ClassFact, ModuleFacts, extract
from sentry_model_lint.files import read_bytes as read_file_bytes
from sentry_model_lint.files import read_text
from sentry_model_lint.hierarchy import Hierarchy, ModelInfo
from sentry_model_lint.migration_facts import MigrationFact, TestClassFact
from sentry_model_lint.names import canonical
from sentry_model_lint.paths import LOCKFILE, FileKind, classify, forget_scans, scan_project
from sentry_model_lint.replay import AppHistory, MigrationNode, graph_of, node_of, replay_with_checkpoint, resume
from sentry_model_lint.serialize import encode
from sentry_model_lint.source import SourceError, decode, parse, physical_lines
from sentry_model_lint.values import CALL, CONST, NAME, Value
from sentry_model_lint.vocab import OUTBOX_CATEGORY, SILO_DECORATOR_MODES

ROUTERS = {"getsentry": "getsentry/db/router.py"}
DEFAULT_ROUTER = "src/sentry/db/router.py"
#: Sentry's ``AUTH_USER_MODEL``
AUTH_USER_MODEL_LABEL = ("sentry", "user")
_LOCK_ENTRY = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*:\s*(\S+)\s*$")
_WORD = re.compile(r"\w+")
_CLASS = re.compile(r"^[ \t]*class[ \t]+(\w+)", re.MULTILINE)
_CONFLICT = re.compile(r"^(<<<<<<<|=======|>>>>>>>)")


@dataclass
class Lockfile:
    path: str
    entries: dict[str, tuple[str, int]] = field(default_factory=dict)  # app -> (name, line)
    duplicates: dict[str, list[int]] = field(default_factory=dict)
    malformed: list[tuple[int, str]] = field(default_factory=list)


@dataclass(frozen=True)
class ModelEntry:
    path: str
    facts: ModuleFacts
    cls: ClassFact
    info: ModelInfo
    app: str | None
    silo: frozenset[str] | None  # {"CELL"}, {"CONTROL"}, None when unknown


@dataclass(frozen=True)
class TargetModel:
    """What the rules read of a foreign key's target model."""

    name: str
    app: str | None
    silo: frozenset[str] | None
    global_ids: bool  # ids unique across silos (``@snowflake_id_model`` or ``SnowflakeIdMixin``)


def has_global_ids(entry: ModelEntry) -> bool:
    for cls in entry.info.lineage():
        if any((d.ref or d.call_ref or "").endswith("snowflake_id_model") for d in cls.decorators):
            return True
        if any((b.ref or "").endswith("SnowflakeIdMixin") for b in cls.bases):
            return True
    return False


def _target_key(target: Value) -> str | None:
    """A foreign key target as text: ``'s:sentry.Organization'`` for a string, ``'n:<ref>'`` for a
    class named in code; None for anything else (no lookup)."""
    if target.is_str:
        return "s:" + str(target.const)
    if target.kind == NAME and target.ref:
        return "n:" + target.ref
    return None


def _target_value(key: str) -> Value:
    """The inverse of :func:`_target_key`, enough for :meth:`ProjectIndex.target_of`."""
    kind, _, text = key.partition(":")
    if kind == "s":
        return Value(CONST, 0, 0, 0, 0, const=text)
    return Value(NAME, 0, 0, 0, 0, ref=text)


def _digest_value(value: object) -> str:
    if value is None:
        return "-"
    return hashlib.sha1(json.dumps(encode(value), sort_keys=True, default=str).encode()).hexdigest()[:20]


def parse_lockfile(path: str, text: str) -> Lockfile:
    lock = Lockfile(path)
    for number, line in enumerate(text.splitlines(), start=1):
        if _CONFLICT.match(line):
            lock.malformed.append((number, line))
            continue
        if ": " not in line and number > 6 and line.strip():
            lock.malformed.append((number, line))
            continue
        if ": " not in line:
            continue
        match = _LOCK_ENTRY.match(line)
        if match is None:
            if number > 6:
                lock.malformed.append((number, line))
            continue
        app, name = match.groups()
        if app in lock.entries:
            lock.duplicates.setdefault(app, [lock.entries[app][1]]).append(number)
        else:
            lock.entries[app] = (name, number)
    return lock


def model_app_label(cls: ClassFact, module: str) -> str | None:
    meta = cls.meta
    if meta is not None:
        label = meta.options.get("app_label")
        if label is not None and label.value is not None and label.value.is_str:
            return str(label.value.const)
    parts = module.split(".")
    for index in range(len(parts) - 1, 0, -1):
        if parts[index] == "models":
            return parts[index - 1]
    return None


def silo_of(cls: ClassFact) -> frozenset[str] | None:
    modes: set[str] = set()
    for decorator in cls.decorators:
        if decorator.kind == NAME and decorator.ref is not None and decorator.ref in SILO_DECORATOR_MODES:
            modes |= SILO_DECORATOR_MODES[decorator.ref]
        elif decorator.kind == CALL and decorator.call_ref == "sentry.db.models.ModelSiloLimit":
            for arg in decorator.items:
                if arg.kind == NAME and arg.ref and arg.ref.startswith("sentry.silo.base.SiloMode."):
                    mode = arg.ref.rpartition(".")[2]
                    modes.add("CELL" if mode == "REGION" else mode)
    return frozenset(modes) if modes else None


class ProjectIndex:
    """Everything known about one project root. Build it once per process and share it.

    Reads are recorded: inside :meth:`recording`, every cross-file fact a rule consults adds
    the *group* it came from to the recorded set (``file:<rel>`` one module, ``mod:<dotted>``
    a module by name, present or not, ``app:<label>`` an app's migration history, ``class:<name>``
    the model modules that define a class of that name, ``tests`` the migration tests,
    ``names`` every app's migration names, ``lockfile``). :meth:`group_stamp` tells what a group
    looks like on disk now, so a cached result stays valid exactly while the groups it read are
    unchanged (see :mod:`sentry_model_lint.workspace`).

    Two groups are *values*, stamped by what a lookup answers rather than by the files it read:
    ``cls:<qualname>`` (a class found across modules, for the hierarchy) and
    ``target:<app>|<target>`` (what a foreign key's target model is: name, app, silo, global
    ids). An edit to ``organization.py`` that leaves ``Organization``'s silo as it was does not
    touch the results of the hundreds of models that point a foreign key at it. Each value is
    kept with the groups its lookup read (``values`` in the facts cache) and looked up again only
    when one of those changed.
    """

    def __init__(self, root: str, config: Config | None = None, *, use_cache: bool = True) -> None:
        self.root = os.path.abspath(root)
        self.config = config or Config()
        salt = ",".join(f"{k}={v}" for k, v in sorted(self.config.import_aliases.items()))
        self.cache = FactsCache(self.root, salt=salt, enabled=use_cache)
        self.broken: dict[str, str] = {}
        self._facts: dict[str, ModuleFacts | None] = {}
        #: dotted name -> the class it names and the groups finding it read
        self._lookups: dict[str, tuple[ClassFact | None, set[str]]] = {}
        self._histories: dict[str, AppHistory | None] = {}
        #: what the index cannot follow, once per migration: (path, line, message)
        self.warnings: list[tuple[str, int, str]] = []
        self._texts: dict[str, str] = {}
        self._reads: set[str] | None = None
        self._group_stamps: dict[str, str] = {}
        self._file_stamps: dict[str, str] = {}
        self._rels: dict[str, str] = {}
        self._values_now: dict[str, tuple[object, set[str], str]] = {}
        #: (path, id of its facts) -> the module's models and the groups working them out read
        self._entries: dict[tuple[str, int], tuple[tuple[ModuleFacts, list[ModelEntry]], set[str]]] = {}
        self._value_memo: dict[str, Any] | None = None
        self._value_memo_dirty = False
        #: start an app's replay from its checkpoint when it applies (an editor's run over one
        #: file); a run over the whole tree lints every migration and replays whole anyway
        self.resume_histories = True

    # --- what a lint read -------------------------------------------------------------------------
    @contextlib.contextmanager
    def recording(self) -> Iterator[set[str]]:
        """Collect, into the set it yields, the groups read until the block ends."""
        outer = self._reads
        reads: set[str] = set()
        self._reads = reads
        try:
            yield reads
        finally:
            self._reads = outer
            if outer is not None:
                outer |= reads

    @contextlib.contextmanager
    def _quiet(self) -> Iterator[None]:
        """A derived table read under one group name: the files it reads are not noted one by one."""
        outer, self._reads = self._reads, None
        try:
            yield
        finally:
            self._reads = outer

    def _note(self, *groups: str) -> None:
        if self._reads is not None:
            self._reads.update(groups)

    def _rel(self, path: str) -> str:
        rel = self._rels.get(path)
        if rel is None:
            prefix = self.root + os.sep
            rel = path[len(prefix) :] if path.startswith(prefix) else os.path.relpath(path, self.root)
            rel = self._rels[path] = rel.replace(os.sep, "/")
        return rel

    def _stamp_of(self, path: str) -> str:
        stamp = self._file_stamps.get(path)
        if stamp is None:
            try:
                stamp = file_stamp(os.stat(path))
            except OSError:
                stamp = "-"
            self._file_stamps[path] = stamp
        return stamp

    def _digest(self, paths: list[str]) -> str:
        digest = hashlib.sha1()
        for path in paths:
            digest.update(f"{self._rel(path)}\0{self._stamp_of(path)}\n".encode())
        return digest.hexdigest()[:20]

    def group_stamp(self, group: str) -> str:
        """What ``group`` (see the class docstring) looks like on disk now; computed once."""
        stamp = self._group_stamps.get(group)
        if stamp is None:
            stamp = self._group_stamps[group] = self._compute_stamp(group)
        return stamp

    # --- value groups -----------------------------------------------------------------------------
    def _derived(self, group: str, compute: Callable[[], Any]) -> Any:
        """The answer of a lookup that a lint reads as the value group ``group``: noted as that
        group alone; what the lookup itself read is kept with it (see :meth:`_value_stamp`)."""
        self._note(group)
        known = self._values_now.get(group)
        if known is not None:
            return known[0]
        outer, self._reads = self._reads, set()
        try:
            result = compute()
        finally:
            reads, self._reads = self._reads, outer
        reads.discard(group)
        digest = _digest_value(result)
        self._values_now[group] = (result, reads, digest)
        self._remember_value(group, reads, digest)
        return result

    def _memo(self) -> dict[str, Any]:
        if self._value_memo is None:
            data = self.cache.get_blob("values")
            self._value_memo = data if isinstance(data, dict) else {}
        return self._value_memo

    def _remember_value(self, group: str, reads: set[str], digest: str) -> None:
        self._memo()[group] = {"reads": {g: self.group_stamp(g) for g in sorted(reads)}, "value": digest}
        self._value_memo_dirty = True

    def _value_stamp(self, group: str) -> str:
        """A value group's stamp: the digest of the answer, taken from the memo while the groups
        the lookup read are unchanged, else looked up again."""
        if group not in self._values_now:
            memo = self._memo().get(group)
            if isinstance(memo, dict) and isinstance(memo.get("reads"), dict) and isinstance(memo.get("value"), str):
                reads = memo["reads"]
                if all(isinstance(s, str) and g != group and self.group_stamp(g) == s for g, s in reads.items()):
                    return str(memo["value"])
            kind, _, name = group.partition(":")
            with self._quiet():
                if kind == "cls":
                    self.get(name)
                else:
                    app, _, rest = name.partition("|")
                    self.target_of(_target_value(rest), app or None)
        return self._values_now[group][2] if group in self._values_now else "?"

    def flush(self) -> None:
        """Write what this run learnt to the facts cache (the value memo; packs are written as
        they fill)."""
        self.cache.flush()
        if self._value_memo_dirty and self._value_memo is not None:
            on_disk = self.cache.get_blob("values")
            merged = {**(on_disk if isinstance(on_disk, dict) else {}), **self._value_memo}
            self.cache.put_blob("values", merged)
            self._value_memo_dirty = False

    def _compute_stamp(self, group: str) -> str:
        kind, _, name = group.partition(":")
        if kind in ("cls", "target"):
            return self._value_stamp(group)
        if kind == "file":
            return self._stamp_of(os.path.join(self.root, name))
        if kind == "mod":
            path = self.module_path(name)
            return f"{self._rel(path)}\0{self._stamp_of(path)}" if path else "-"
        if kind == "app":
            return self._digest(self._scan[0].get(name, [])) + self.group_stamp("names")
        if kind == "names":
            return hashlib.sha1(
                "\n".join(sorted(self._rel(p) for ps in self._scan[0].values() for p in ps)).encode()
            ).hexdigest()[:20]
        if kind == "class":
            return self._digest(sorted(self._class_names.get(name, [])))
        if kind == "tests":
            return self._digest(self._scan[2])
        if kind == "lockfile":
            return self._stamp_of(os.path.join(self.root, LOCKFILE))
        return "?"  # a group this version does not know: never equal to a stored stamp

    # --- files ------------------------------------------------------------------------------------
    @cached_property
    def _scan(self) -> tuple[dict[str, list[str]], list[str], list[str], dict[str, str]]:
        # an earlier run's scan stands while every folder it listed is unchanged (the editor:
        # a stat per folder instead of a walk of the tree)
        files = scan_project(self.root, self.cache.get_blob("scan"))
        if not files.reused and not files.racy:
            self.cache.put_blob("scan", files.to_json())
        return files.migrations, files.model_modules, files.tests, files.modules

    def facts_of(self, path: str) -> ModuleFacts | None:
        path = os.path.abspath(path)
        if self._reads is not None:
            self._note("file:" + self._rel(path))
        if path in self._facts:
            return self._facts[path]
        facts = self._read(path)
        self._facts[path] = facts
        return facts

    def _read(self, path: str) -> ModuleFacts | None:
        rel = os.path.relpath(path, self.root)
        try:
            stat = os.stat(path)
        except OSError as exc:
            self.broken[path] = f"cannot read: {exc.strerror or exc}"
            return None
        if not S_ISREG(stat.st_mode):
            self.broken[path] = "not a regular file"
            return None
        data: bytes | None = None

        def read_bytes() -> bytes:
            nonlocal data
            if data is None:
                data = read_file_bytes(path, root=self.root)
            return data

        cached = self.cache.get(rel, stat, read_bytes)
        if cached is not None:
            return cached
        try:
            raw = read_bytes()
            source = decode(raw, path)
            tree = parse(source, path)
        except (OSError, SourceError) as exc:
            self.broken[path] = getattr(exc, "message", str(exc))
            return None
        info = classify(path, self.root)
        facts = extract(tree, info, self.config.import_aliases, physical_lines(source))
        self.cache.put(rel, stat, raw, facts)
        return facts

    @cached_property
    def _indexed(self) -> frozenset[str]:
        migrations, models, tests, _ = self._scan
        return frozenset({*models, *tests, *(p for ps in migrations.values() for p in ps)})

    def indexed(self, path: str) -> bool:
        """Whether the index reads ``path`` on its own (a migration, model module or migration
        test): its facts are worth keeping in the facts cache."""
        return os.path.abspath(path) in self._indexed

    def module_path(self, module: str) -> str | None:
        return self._scan[3].get(module)

    def module_facts(self, module: str) -> ModuleFacts | None:
        self._note("mod:" + module)
        path = self.module_path(module)
        return self.facts_of(path) if path else None

    def seed(self, path: str, facts: ModuleFacts) -> None:
        """Use facts the caller already has (the file being linted) instead of reading it."""
        self._facts.setdefault(os.path.abspath(path), facts)

    # --- classes across files (the ClassLookup of the hierarchy) ----------------------------------
    def get(self, qualname: str) -> ClassFact | None:
        found: ClassFact | None = self._derived("cls:" + qualname, lambda: self._lookup(qualname, 0))
        return found

    def _remembered(self, memo: dict[Any, tuple[Any, set[str]]], key: object, compute: Callable[[], Any], pending: Any) -> Any:
        """``compute()`` once per ``key``, with the groups it read; a later use notes those
        groups again, so a cached result depends on them whichever lint asked first. While it
        runs, the key answers ``pending`` (a cycle of re-exports ends there)."""
        known = memo.get(key)
        if known is not None:
            self._note(*known[1])
            return known[0]
        memo[key] = (pending, set())
        with self.recording() as reads:
            value = compute()
        memo[key] = (value, reads)
        return value

    def _lookup(self, dotted: str, depth: int) -> ClassFact | None:
        """A class by dotted name, following re-exports and star imports; each name is looked
        up once."""
        if depth > 12 and dotted not in self._lookups:
            return None
        found: ClassFact | None = self._remembered(self._lookups, dotted, lambda: self._find_class(dotted, depth), None)
        return found

    def _find_class(self, dotted: str, depth: int) -> ClassFact | None:
        if "." not in dotted:
            return None
        module, _, name = dotted.rpartition(".")
        facts = self.module_facts(module)
        if facts is None:
            return None
        for cls in facts.classes:
            if cls.name == name:
                return cls
        bound = facts.bindings.get(name)
        if bound:
            target = canonical(bound, self.config.import_aliases)
            if target != dotted:
                return self._lookup(target, depth + 1)
        for source in facts.star_imports:
            found = self._lookup(f"{source}.{name}", depth + 1)
            if found is not None:
                return found
        return None

    # --- migrations -----------------------------------------------------------------------------
    @property
    def app_names(self) -> dict[str, set[str]]:
        """Migration names of every app, from file names alone (no parsing)."""
        self._note("names")
        return self._app_names

    @cached_property
    def _app_names(self) -> dict[str, set[str]]:
        return {app: {os.path.basename(p)[:-3] for p in paths} for app, paths in self._scan[0].items()}

    def history_for(self, app: str | None) -> AppHistory | None:
        """One app's history, built on first use (an editor linting one file builds one app)."""
        if app:
            self._note("app:" + app)
        if not app or app not in self._scan[0]:
            return None
        if app not in self._histories:
            with self._quiet():
                history = self._resumed(app) if self.resume_histories else None
                if history is None:
                    history = self._replayed(app, save=True)
            self._histories[app] = history
            if history is not None:
                self._note_unfollowed(history)
            self.cache.flush()
        return self._histories[app]

    def _replayed(self, app: str, save: bool) -> AppHistory | None:
        """The app's history replayed whole from its migrations' facts; with ``save``, its
        checkpoint is kept for the next run (see :mod:`sentry_model_lint.checkpoints`)."""
        paths = self._scan[0][app]
        nodes: dict[str, MigrationNode] = {}
        for path in paths:
            facts = self.facts_of(path)
            if facts is not None and facts.migration is not None:
                nodes[facts.info.stem] = node_of(facts.info.stem, path, facts.migration, app)
        if not nodes:
            return None
        history = graph_of(app, nodes, self.app_names)
        state = replay_with_checkpoint(history, max(len(history.order) - 1, 0))
        if save and state is not None and history.order and self.cache.writable:
            files = {self._rel(p): self._stamp_of(p) for p in paths}
            rels = {node.path: self._rel(node.path) for node in history.nodes.values()}
            self.cache.put_blob("history:" + app, checkpoints.to_json(history, state, files, self.group_stamp("names"), rels))
        return history

    def _resumed(self, app: str) -> AppHistory | None:
        """The app's history from its checkpoint, when no migration but the checkpoint's last one
        changed since it was kept (None otherwise: replay it whole)."""
        checkpoint = checkpoints.from_json(self.cache.get_blob("history:" + app))
        if checkpoint is None or checkpoint.names != self.group_stamp("names"):
            return None
        files = {self._rel(p): p for p in self._scan[0][app]}
        if files.keys() != checkpoint.files.keys() or checkpoint.tail not in files:
            return None
        if any(self._stamp_of(path) != checkpoint.files[rel] for rel, path in files.items() if rel != checkpoint.tail):
            return None
        tail = self.facts_of(files[checkpoint.tail])
        if tail is None or tail.migration is None:
            return None
        nodes = {tail.info.stem: node_of(tail.info.stem, files[checkpoint.tail], tail.migration, app)}
        for info in checkpoint.nodes:
            path = files.get(info.path)
            if path is None or info.name in nodes:
                return None
            nodes[info.name] = MigrationNode(
                info.name,
                path,
                info.number,
                list(info.deps),
                list(info.replaces),
                line=info.line,
                operations_known=info.operations_known,
                unknown=info.unknown,
                unknown_line=info.unknown_line,
                loader=self._loader(path),
            )
        history = graph_of(app, nodes, self.app_names)
        if not resume(history, checkpoint.state(), list(checkpoint.prefix), lambda: self._complete(app)):
            return None
        return history

    def _loader(self, path: str) -> Callable[[], MigrationFact | None]:
        def load() -> MigrationFact | None:
            with self._quiet():
                facts = self.facts_of(path)
            return facts.migration if facts is not None else None

        return load

    def _complete(self, app: str) -> AppHistory:
        with self._quiet():
            history = self._replayed(app, save=False)
        assert history is not None  # the resumed history had nodes, so this one has
        return history

    def _note_unfollowed(self, history: AppHistory) -> None:
        for name in sorted(history.nodes):
            node = history.nodes[name]
            if not node.operations_known:
                what = node.unknown or "how `operations` is built"
                self.warnings.append(
                    (
                        node.path,
                        node.unknown_line or node.line,
                        f"cannot follow {what} (app {history.label} is not fully checked by SML410/SML412)",
                    )
                )

    @property
    def histories(self) -> dict[str, AppHistory]:
        """Every app's history (builds them all)."""
        return {app: h for app in sorted(self._scan[0]) if (h := self.history_for(app)) is not None}

    # --- models ---------------------------------------------------------------------------------
    @cached_property
    def models(self) -> dict[tuple[str, str], ModelEntry]:
        registry: dict[tuple[str, str], ModelEntry] = {}
        for path in self._scan[1]:
            facts = self.facts_of(path)
            if facts is None or facts.info.kind is not FileKind.SOURCE:
                continue
            for entry in self.model_entries(path, facts):
                if entry.app is not None and entry.info.concrete:
                    registry.setdefault((entry.app, entry.cls.name.lower()), entry)
        self.cache.flush()
        return registry

    def model_entries(self, path: str, facts: ModuleFacts) -> list[ModelEntry]:
        """The models a module defines, worked out once per module and facts (every project
        rule asks); a later call notes the groups the first one read."""

        def compute() -> tuple[ModuleFacts, list[ModelEntry]]:
            hierarchy = Hierarchy(facts.classes, self)
            out = []
            for info in hierarchy.models():
                cls = info.cls
                out.append(ModelEntry(path, facts, cls, info, model_app_label(cls, facts.info.module), silo_of(cls)))
            return facts, out  # the facts stay alive with their key's id

        known: tuple[ModuleFacts, list[ModelEntry]] = self._remembered(self._entries, (path, id(facts)), compute, (facts, []))
        return known[1]

    def _text(self, path: str) -> str:
        text = self._texts.get(path)
        if text is None:
            try:
                text = read_text(path, root=self.root)
            except OSError:
                text = ""
            self._texts[path] = text
        return text

    def find_model(self, app: str, name: str) -> ModelEntry | None:
        """A model by app label and name. Before the registry is built (an editor checking one
        file), only the model modules whose text defines a class of that name are read."""
        key = (app, name.lower())
        self._note("class:" + key[1])
        if "models" in self.__dict__:
            return self.models.get(key)
        for path in self._class_names.get(key[1], ()):
            facts = self.facts_of(path)
            if facts is None or facts.info.kind is not FileKind.SOURCE:
                continue
            for entry in self.model_entries(path, facts):
                if entry.info.concrete and entry.app == app and entry.cls.name.lower() == key[1]:
                    return entry
        return None

    @cached_property
    def _class_names(self) -> dict[str, list[str]]:
        """Lower-cased class name -> the model modules whose text defines it (no parsing)."""
        names: dict[str, list[str]] = {}
        for path in self._scan[1]:
            for match in _CLASS.finditer(self._text(path)):
                names.setdefault(match.group(1).lower(), []).append(path)
        return names

    @cached_property
    def _test_words(self) -> dict[str, list[str]]:
        """Each word (``\\w+``) of the migration tests' text -> the tests that hold it."""
        words: dict[str, list[str]] = {}
        for path in self._scan[2]:
            for word in set(_WORD.findall(self._text(path))):
                words.setdefault(word, []).append(path)
        return words

    def tests_naming(self, migration: str) -> list[tuple[str, ModuleFacts, TestClassFact]]:
        """Migration tests whose file mentions ``migration`` (only those files are read)."""
        out: list[tuple[str, ModuleFacts, TestClassFact]] = []
        self._note("tests")
        if _WORD.fullmatch(migration):
            candidates = self._test_words.get(migration, [])
        else:
            candidates = [path for path in self._scan[2] if migration in self._text(path)]
        with self._quiet():
            for path in candidates:
                facts = self.facts_of(path)
                if facts is not None:
                    out.extend((path, facts, cls) for cls in facts.test_classes)
        return out

    def target_of(self, target: Value, own_app: str | None) -> TargetModel | None:
        """What a foreign key's target is (name, app, silo, global ids), if the index knows it:
        the value group ``target:<app>|<target>`` (see the class docstring)."""
        key = _target_key(target)
        if key is None:
            return None

        def compute() -> TargetModel | None:
            entry = self.model_for_target(target, own_app)
            if entry is None:
                return None
            return TargetModel(entry.cls.name, entry.app, entry.silo, has_global_ids(entry))

        found: TargetModel | None = self._derived(f"target:{own_app or ''}|{key}", compute)
        return found

    def model_for_target(self, target: Value, own_app: str | None) -> ModelEntry | None:
        """The model a foreign key points at, if the index knows it."""
        if target.is_str:
            text = str(target.const)
            if text == "self":
                return None
            prefix, _, name = text.rpartition(".")
            app = prefix or own_app
            if not app:
                return None
            return self.find_model(app, name)
        if target.kind == NAME and target.ref:
            if target.ref == "django.conf.settings.AUTH_USER_MODEL":
                return self.find_model(*AUTH_USER_MODEL_LABEL)
            cls = self.get(target.ref)
            if cls is None:
                return None
            module = target.ref.rpartition(".")[0]
            path = self.module_path(module)
            facts = self.facts_of(path) if path else None
            for entry in self.model_entries(path, facts) if path and facts is not None else ():
                if entry.cls.name == cls.name and entry.info.concrete:
                    return entry
            return self.find_model(model_app_label(cls, module) or "", cls.name)
        return None

    # --- other project files ----------------------------------------------------------------------
    @property
    def lockfile(self) -> Lockfile | None:
        self._note("lockfile")
        return self._lockfile

    @cached_property
    def _lockfile(self) -> Lockfile | None:
        path = os.path.join(self.root, LOCKFILE)
        try:
            return parse_lockfile(path, read_text(path, root=self.root))
        except OSError:
            return None

    def router_tables(self, app: str | None) -> set[str] | None:
        rel = ROUTERS.get(app or "", DEFAULT_ROUTER)
        self._note("file:" + rel)  # its absence is read too
        path = os.path.join(self.root, rel)
        if not os.path.isfile(path):
            return None
        facts = self.facts_of(path)
        if facts is None:
            return None
        for cls in facts.classes:
            attr = cls.attrs.get("historical_silo_assignments")
            if attr is not None and attr.value is not None:
                if attr.value.kind != "dict":
                    return None
                return {str(k.const) for k in attr.value.keys if k is not None and k.is_str}
        return None

    @property
    def outbox_members(self) -> set[str] | None:
        return self._outbox_members(self.get(OUTBOX_CATEGORY))  # get() notes what it read

    @staticmethod
    def _outbox_members(cls: ClassFact | None) -> set[str] | None:
        if cls is None:
            return None
        return {name for name, attr in cls.attrs.items() if name.isupper() and attr.value is not None}

    @cached_property
    def migration_tests(self) -> list[tuple[str, ModuleFacts, TestClassFact]]:
        out: list[tuple[str, ModuleFacts, TestClassFact]] = []
        for path in self._scan[2]:
            facts = self.facts_of(path)
            if facts is not None:
                out.extend((path, facts, cls) for cls in facts.test_classes)
        self.cache.flush()
        return out


#: (root, (sorted import aliases, use_cache)) -> index
_INDEXES: dict[tuple[str, tuple[tuple[tuple[str, str], ...], bool]], ProjectIndex] = {}


def index_for(root: str, config: Config, use_cache: bool = True) -> ProjectIndex:
    """The index of ``root``, built at most once per process for one configuration."""
    key = (os.path.abspath(root), (tuple(sorted(config.import_aliases.items())), use_cache))
    index = _INDEXES.get(key)
    if index is None:
        index = ProjectIndex(root, config, use_cache=use_cache)
        _INDEXES[key] = index
    return index


def open_indexes() -> list[ProjectIndex]:
    return list(_INDEXES.values())


def reset_indexes() -> None:
    """Forget every index (a new run over files that may have changed)."""
    _INDEXES.clear()
    forget_scans()


__all__ = ["ProjectIndex", "index_for", "open_indexes", "parse_lockfile"]
