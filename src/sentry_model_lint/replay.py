"""Migration history of one app: the graph from ``dependencies`` and a static replay of the
operations into a model state (a Django-free cousin of ``ProjectState``).

The replay keeps, per model, its table and fields (class path and the keywords that matter),
and the pending-deletion marks of Sentry's safe deletions. While replaying it records, for the
operations that project rules judge, what the state looked like just before them. Anything it
cannot follow (an unknown operation, a field built by a helper) marks the model or the app
uncertain instead of guessing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from sentry_model_lint.migration_facts import DATABASE, STATE, TOP, MigrationFact, OperationFact
from sentry_model_lint.values import CALL, CONST, DICT, LIST, NAME, TUPLE, Value
from sentry_model_lint.vocab import (
    ADD_FIELD,
    ALTER_FIELD,
    ALTER_MODEL_OPTIONS,
    ALTER_MODEL_TABLE,
    CREATE_MODEL,
    DELETE,
    DELETE_MODEL,
    MOVE_TO_PENDING,
    REMOVE_FIELD,
    RENAME_FIELD,
    RENAME_MODEL,
    RUN_PYTHON,
    RUN_SQL,
    SAFE_DELETE_MODEL,
    SAFE_REMOVE_FIELD,
    SAFE_RUN_SQL,
    SEPARATE,
    django_op,
)

#: operations that never change the model state
NO_STATE_CHANGE = frozenset(
    {
        RUN_PYTHON,
        SAFE_RUN_SQL,
        django_op("AddIndex"),
        django_op("RemoveIndex"),
        django_op("RenameIndex"),
        django_op("AddConstraint"),
        django_op("RemoveConstraint"),
        django_op("AlterUniqueTogether"),
        django_op("AlterIndexTogether"),
        django_op("AlterModelManagers"),
        django_op("AlterOrderWithRespectTo"),
        django_op("AlterModelTableComment"),
        "django.contrib.postgres.operations.AddIndexConcurrently",
        "django.contrib.postgres.operations.RemoveIndexConcurrently",
        "sentry.new_migrations.operations.to_jsonb",
        "sentry.new_migrations.operations.to_bigint",
    }
)
_NUMBER = re.compile(r"^(\d+)_")
_SQUASHED = re.compile(r"^\d+_squashed_(\d+)_")
KEPT_KEYWORDS = (
    "null",
    "db_default",
    "db_constraint",
    "max_length",
    "max_digits",
    "decimal_places",
    "db_column",
    "to",
    "primary_key",
    "db_index",
    "unique",
    "base_field",
)


def number_of(name: str) -> int | None:
    match = _NUMBER.match(name)
    return int(match.group(1)) if match else None


def _str(value: Value | None) -> str | None:
    return str(value.const) if value is not None and value.is_str else None


# --- state --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldState:
    name: str
    ref: str | None  # canonical class path of the field
    keywords: tuple[tuple[str, Value], ...]  # the kept keywords, as written
    certain: bool = True  # False when the field call could not be read

    def kw(self, name: str) -> Value | None:
        for key, value in self.keywords:
            if key == name:
                return value
        return None

    @property
    def null(self) -> bool | None:
        value = self.kw("null")
        if value is None:
            return False
        return value.const if value.kind == CONST and isinstance(value.const, bool) else None

    @property
    def has_db_default(self) -> bool:
        """A database default Postgres can fill rows with (``db_default=None`` is none)."""
        value = self.kw("db_default")
        return value is not None and not (value.kind == CONST and value.const is None)

    @property
    def kind(self) -> str:
        return (self.ref or "").rpartition(".")[2]


@dataclass
class ModelState:
    name: str  # as written in CreateModel
    table: str | None  # explicit db_table
    fields: dict[str, FieldState] = field(default_factory=dict)
    uncertain: bool = False

    def copy(self) -> ModelState:
        return replace(self, fields=dict(self.fields))


def field_state(name: str, call: Value) -> FieldState:
    if call.kind != CALL:
        return FieldState(name, None, (), certain=False)
    keywords = tuple((k, v) for k, v in call.keywords if k in KEPT_KEYWORDS)
    return FieldState(name, call.call_ref, keywords, certain=not call.has_kwargs_spread)


# --- graph ----------------------------------------------------------------------------------------


@dataclass
class MigrationNode:
    """One migration in its app's graph. Its operations (``migration``) are read on first use:
    a history resumed from a checkpoint never loads the migrations it does not replay."""

    name: str
    path: str
    number: int | None
    deps: list[tuple[str, str, Value]] = field(default_factory=list)  # (app, name, literal)
    replaces: list[str] = field(default_factory=list)  # same-app names this squash replaces
    line: int = 1  # of ``class Migration``
    #: False when ``operations`` could not be followed (with what, and where)
    operations_known: bool = True
    unknown: str | None = None
    unknown_line: int | None = None
    loaded: MigrationFact | None = field(default=None, repr=False)
    loader: Callable[[], MigrationFact | None] | None = field(default=None, repr=False, compare=False)

    @property
    def migration(self) -> MigrationFact:
        if self.loaded is None and self.loader is not None:
            self.loaded = self.loader()
        if self.loaded is None:
            raise LookupError(f"the operations of {self.path} cannot be read")
        return self.loaded


def node_of(name: str, path: str, migration: MigrationFact, label: str) -> MigrationNode:
    deps, _complete = _dependencies(migration)
    return MigrationNode(
        name,
        path,
        number_of(name),
        deps,
        _replaces(migration, label),
        line=migration.line,
        operations_known=migration.operations_known,
        unknown=migration.unknown,
        unknown_line=migration.unknown_line,
        loaded=migration,
    )


@dataclass
class GraphProblem:
    kind: str  # "leaves", "duplicate", "cycle", "missing", "not-previous", "no-dependency"
    migration: str
    message: str
    value: Value | None = None  # the dependency literal, when the problem is one


@dataclass
class Snapshot:
    """State around one operation, as the project rules need it."""

    migration: str
    op: OperationFact
    model: ModelState | None  # the target model before the operation (None if unknown)
    field: FieldState | None  # the target field before the operation
    field_pending: bool = False
    model_pending: bool = False
    pending_model: ModelState | None = None
    uncertain: bool = False


@dataclass
class AppHistory:
    label: str
    nodes: dict[str, MigrationNode]
    order: list[str] = field(default_factory=list)  # replay order
    leaves: list[str] = field(default_factory=list)
    problems: list[GraphProblem] = field(default_factory=list)
    aliases: dict[str, str] = field(default_factory=dict)  # replaced name -> squash name
    models: dict[str, ModelState] = field(default_factory=dict)  # final state, key: name lower
    pending_models: dict[str, ModelState] = field(default_factory=dict)
    pending_fields: dict[tuple[str, str], FieldState] = field(default_factory=dict)
    snapshots: dict[tuple[str, str], Snapshot] = field(default_factory=dict)  # (migration, op path)
    created: set[str] = field(default_factory=set)  # every model name (lower) ever created
    uncertain: bool = False  # the order or the operations could not be followed
    _by_number: list[str] | None = field(default=None, repr=False)
    _position: dict[str, int] = field(default_factory=dict, repr=False)

    def previous(self, name: str) -> str | None:
        """The migration just before ``name`` by number (a squash stands for what it replaces)."""
        ordered = self.by_number()
        index = self._position.get(self.aliases.get(name, name))
        if index is None:
            return None
        return ordered[index - 1] if index > 0 else None

    def by_number(self) -> list[str]:
        if self._by_number is None or len(self._by_number) != len(self.nodes):
            self._by_number = sorted(
                self.nodes, key=lambda n: (self.nodes[n].number if self.nodes[n].number is not None else -1, n)
            )
            self._position = {name: i for i, name in enumerate(self._by_number)}
        return self._by_number

    def resolve(self, name: str) -> str | None:
        name = self.aliases.get(name, name)
        return name if name in self.nodes else None

    @property
    def leaf(self) -> str | None:
        return self.leaves[0] if len(self.leaves) == 1 else None


def _dependencies(migration: MigrationFact) -> tuple[list[tuple[str, str, Value]], bool]:
    value = migration.attr_value("dependencies")
    if value is None:
        return [], True
    if value.kind not in (LIST, TUPLE) or value.starred:
        return [], False
    deps = []
    certain = True
    for item in value.items:
        if item.kind in (LIST, TUPLE) and len(item.items) == 2 and all(v.is_str for v in item.items):
            deps.append((str(item.items[0].const), str(item.items[1].const), item))
        elif item.kind == CALL:
            continue  # swappable_dependency(settings.AUTH_USER_MODEL) and similar
        else:
            certain = False
    return deps, certain


def _replaces(migration: MigrationFact, label: str) -> list[str]:
    value = migration.attr_value("replaces")
    if value is None or value.kind not in (LIST, TUPLE):
        return []
    out = []
    for item in value.items:
        if (
            item.kind in (LIST, TUPLE)
            and len(item.items) == 2
            and all(v.is_str for v in item.items)
            and item.items[0].const == label
        ):
            out.append(str(item.items[1].const))
    return out


def graph_of(label: str, nodes: dict[str, MigrationNode], other_apps: dict[str, set[str]]) -> AppHistory:
    """The app's graph (aliases, problems, order, leaves), not replayed yet (see
    :func:`replay_with_checkpoint` and :func:`resume`). ``other_apps`` maps every app label of
    the project to its migration names, to judge cross-app dependencies."""
    history = AppHistory(label, nodes)
    for node in nodes.values():
        for replaced in node.replaces:
            history.aliases.setdefault(replaced, node.name)
    # replaced migrations that are still on disk give way to their squash
    for replaced in list(history.aliases):
        nodes.pop(replaced, None)
    _check_graph(history, other_apps)
    _order(history)
    return history


@dataclass
class ReplayState:
    """The replayed state after some prefix of an app's replay order (a checkpoint)."""

    models: dict[str, ModelState]
    pending_models: dict[str, ModelState]
    pending_fields: dict[tuple[str, str], FieldState]
    created: set[str]
    uncertain: bool

    @classmethod
    def of(cls, history: AppHistory) -> ReplayState:
        """A copy of the history's state now, which later operations do not change."""
        return cls(
            {k: m.copy() for k, m in history.models.items()},
            {k: m.copy() for k, m in history.pending_models.items()},
            dict(history.pending_fields),
            set(history.created),
            history.uncertain,
        )

    def apply_to(self, history: AppHistory) -> None:
        """Start ``history``'s replay from this state (a copy: the checkpoint stays as it is)."""
        history.models = {k: m.copy() for k, m in self.models.items()}
        history.pending_models = {k: m.copy() for k, m in self.pending_models.items()}
        history.pending_fields = dict(self.pending_fields)
        history.created = set(self.created)
        history.uncertain = history.uncertain or self.uncertain


def replay_with_checkpoint(history: AppHistory, at: int) -> ReplayState | None:
    """Replay ``history`` whole, and return the state after its first ``at`` migrations."""
    captured = None
    for index, name in enumerate(history.order):
        if index == at:
            captured = ReplayState.of(history)
        _replay_one(history, name)
    if at == len(history.order):
        captured = ReplayState.of(history)
    return captured


def resume(history: AppHistory, state: ReplayState, prefix: list[str], complete: Callable[[], AppHistory]) -> bool:
    """Replay ``history`` from ``state``, the state after the migrations ``prefix``, when its
    order starts with them (False otherwise: replay it whole). The snapshots of the prefix are
    not taken: the first request for one replays the whole history (``complete``) and takes
    every snapshot from it."""
    if history.order[: len(prefix)] != prefix:
        return False
    state.apply_to(history)
    for name in history.order[len(prefix) :]:
        _replay_one(history, name)
    history.snapshots = _Snapshots(history.snapshots, set(prefix), complete)
    return True


class _Snapshots(dict[tuple[str, str], "Snapshot"]):
    """The snapshots of a resumed history: those of a migration it did not replay come from a
    whole replay, made on the first request for one."""

    def __init__(self, taken: dict[tuple[str, str], Snapshot], skipped: set[str], complete: Callable[[], AppHistory]) -> None:
        super().__init__(taken)
        self._skipped = skipped
        self._complete: Callable[[], AppHistory] | None = complete

    def _fill(self, key: object) -> None:
        if self._complete is not None and isinstance(key, tuple) and key and key[0] in self._skipped:
            whole = self._complete()
            self._complete = None
            self.clear()
            self.update(whole.snapshots)

    def get(self, key: tuple[str, str], default: Any = None) -> Any:
        if not super().__contains__(key):
            self._fill(key)
        return super().get(key, default)

    def __getitem__(self, key: tuple[str, str]) -> Snapshot:
        if not super().__contains__(key):
            self._fill(key)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        if not super().__contains__(key):
            self._fill(key)
        return super().__contains__(key)


def _same_app_deps(history: AppHistory, node: MigrationNode) -> list[tuple[str, Value]]:
    return [
        (history.aliases.get(name, name), value)
        for app, name, value in node.deps
        if app == history.label and not name.startswith("__")
    ]


def _check_graph(history: AppHistory, other_apps: dict[str, set[str]]) -> None:
    nodes = history.nodes
    problems = history.problems
    by_number: dict[int, list[str]] = {}
    for node in nodes.values():
        if node.number is not None:
            by_number.setdefault(node.number, []).append(node.name)
    for number, names in by_number.items():
        if len(names) > 1:
            for name in sorted(names):
                others = ", ".join(n for n in sorted(names) if n != name)
                problems.append(
                    GraphProblem(
                        "duplicate",
                        name,
                        f"shares its number {number:04d} with {others}: renumber one of them (bin/update-migration)",
                    )
                )
    ordered = history.by_number()
    first = ordered[0] if ordered else None
    for node in nodes.values():
        same = _same_app_deps(history, node)
        for app, name, value in node.deps:
            if name.startswith("__"):
                continue
            if app == history.label:
                target = history.aliases.get(name, name)
                if target not in nodes:
                    problems.append(
                        GraphProblem(
                            "missing",
                            node.name,
                            f"depends on `{app}.{name}`, which does not exist: depend on the previous migration",
                            value,
                        )
                    )
            elif app in other_apps and name not in other_apps[app] and not _squashed_away(name, other_apps[app]):
                problems.append(
                    GraphProblem("missing", node.name, f"depends on `{app}.{name}`, which does not exist in app `{app}`", value)
                )
        if node.number is None:
            continue
        previous = history.previous(node.name)
        if previous is not None and len(by_number.get(node.number, ())) == 1:
            for target, value in same:
                if target in nodes and target != previous and target != node.name:
                    problems.append(
                        GraphProblem(
                            "not-previous",
                            node.name,
                            f"depends on `{target}`, not on the previous migration `{previous}`: keep the history linear",
                            value,
                        )
                    )
            if not same and node.name != first and not node.replaces:
                problems.append(
                    GraphProblem("no-dependency", node.name, f"does not depend on the previous migration `{previous}` of its app")
                )


def _squashed_away(name: str, names: set[str]) -> bool:
    """Whether another app's squash (``0001_squashed_1118_...``) covers the migration ``name``."""
    number = number_of(name)
    if number is None:
        return False
    for other in names:
        match = _SQUASHED.match(other)
        if match and number <= int(match.group(1)):
            return True
    return False


def _order(history: AppHistory) -> None:
    nodes = history.nodes
    parents: dict[str, set[str]] = {name: set() for name in nodes}
    for node in nodes.values():
        for target, _ in _same_app_deps(history, node):
            if target in nodes:
                parents[node.name].add(target)
    children: dict[str, set[str]] = {name: set() for name in nodes}
    for name, ps in parents.items():
        for p in ps:
            children[p].add(name)
    # self-dependencies are cycles of one
    ready = sorted(n for n, ps in parents.items() if not ps)
    remaining = {n: set(ps) for n, ps in parents.items()}
    order = []
    while ready:
        name = ready.pop(0)
        order.append(name)
        for child in sorted(children[name]):
            remaining[child].discard(name)
            if not remaining[child] and child not in order and child not in ready:
                ready.append(child)
        ready.sort(key=lambda n: (nodes[n].number if nodes[n].number is not None else -1, n))
    cyclic = sorted(n for n in nodes if n not in order)
    for name in cyclic:
        history.problems.append(
            GraphProblem("cycle", name, "is part of a dependency cycle: a migration must depend only on earlier ones")
        )
    history.order = order
    if cyclic:
        history.uncertain = True
    history.leaves = sorted(n for n in nodes if not children[n])
    if len(history.leaves) > 1:
        for leaf in history.leaves:
            others = ", ".join(x for x in history.leaves if x != leaf)
            history.problems.append(
                GraphProblem(
                    "leaves",
                    leaf,
                    f"is one of several leaves of app `{history.label}` (also {others}): the history must be linear; rebase and renumber",
                )
            )


# --- replay --------------------------------------------------------------------------------------


def _deletion_action(op: OperationFact) -> str | None:
    value = op.call.keyword("deletion_action")
    return value.ref if value is not None and value.kind == NAME else None


def _replay_one(history: AppHistory, name: str) -> None:
    node = history.nodes[name]
    if not node.operations_known:
        history.uncertain = True
    for op in node.migration.operations:
        _apply(history, name, op)


def _target_model(history: AppHistory, op: OperationFact) -> str | None:
    ref = op.ref
    if ref in (CREATE_MODEL, DELETE_MODEL, SAFE_DELETE_MODEL, ALTER_MODEL_TABLE, ALTER_MODEL_OPTIONS):
        return _lower(_str(op.arg(0, "name")))
    if ref == RENAME_MODEL:
        return _lower(_str(op.arg(0, "old_name")))
    return _lower(_str(op.arg(0, "model_name")))


def _lower(text: str | None) -> str | None:
    return text.lower() if text is not None else None


def _record(history: AppHistory, migration: str, op: OperationFact, model_key: str | None, field_name: str | None) -> None:
    model = history.models.get(model_key) if model_key else None
    fld = model.fields.get(field_name) if model is not None and field_name else None
    history.snapshots[(migration, op.path)] = Snapshot(
        migration=migration,
        op=op,
        # only a model deletion needs the model's fields; field operations need the field
        model=(model.copy() if op.ref == SAFE_DELETE_MODEL else model) if model is not None else None,
        field=fld,
        field_pending=bool(model_key and field_name and (model_key, field_name) in history.pending_fields),
        model_pending=bool(model_key and model_key in history.pending_models),
        pending_model=history.pending_models.get(model_key) if model_key else None,
        uncertain=history.uncertain or (model is not None and model.uncertain),
    )


@dataclass
class _Op:
    """One operation as its handler sees it: the history, the migration, the target model's key
    (lower-cased) and state, and the field name the operation names."""

    history: AppHistory
    migration: str
    op: OperationFact
    key: str | None
    field_name: str | None

    @property
    def model(self) -> ModelState | None:
        return self.history.models.get(self.key) if self.key else None


def _create_model(o: _Op) -> None:
    op, history = o.op, o.history
    name = _str(op.arg(0, "name"))
    if name is None:
        history.uncertain = True
        return
    state = ModelState(name=name, table=None)
    fields = op.arg(1, "fields")
    if fields is None or fields.kind not in (LIST, TUPLE):
        state.uncertain = True
    else:
        for item in fields.items:
            if item.kind == TUPLE and len(item.items) == 2 and item.items[0].is_str:
                fname = str(item.items[0].const)
                state.fields[fname] = field_state(fname, item.items[1])
            else:
                state.uncertain = True
    options = op.arg(2, "options")
    if options is not None and options.kind == DICT:
        for k, v in zip(options.keys, options.items, strict=True):
            if k is not None and k.is_str and k.const == "db_table":
                state.table = _str(v)
    bases = op.arg(3, "bases")
    if bases is not None and bases.kind in (LIST, TUPLE):
        for base in bases.items:
            if not (base.kind == NAME and base.ref in ("django.db.models.Model",)) and not base.is_str:
                state.uncertain = True
    history.models[name.lower()] = state
    history.created.add(name.lower())


def _delete_model(o: _Op) -> None:
    assert o.key is not None
    o.history.models.pop(o.key, None)


def _safe_delete_model(o: _Op) -> None:
    assert o.key is not None
    history, key, model = o.history, o.key, o.model
    action = _deletion_action(o.op)
    if action == MOVE_TO_PENDING:
        if model is not None:
            history.pending_models[key] = model
        history.models.pop(key, None)
    elif action == DELETE:
        history.pending_models.pop(key, None)
        history.models.pop(key, None)


def _rename_model(o: _Op) -> None:
    assert o.key is not None
    model = o.model
    new = _str(o.op.arg(1, "new_name"))
    if model is not None and new:
        o.history.models.pop(o.key)
        model.name = new
        o.history.models[new.lower()] = model
        o.history.created.add(new.lower())


def _alter_model_table(o: _Op) -> None:
    model = o.model
    if model is not None:
        model.table = _str(o.op.arg(1, "table"))


def _nothing(o: _Op) -> None:
    pass


def _add_or_alter_field(o: _Op, model: ModelState) -> None:
    call = o.op.arg(2, "field")
    if o.field_name is None or call is None:
        model.uncertain = True
        return
    model.fields[o.field_name] = field_state(o.field_name, call)


def _remove_field(o: _Op, model: ModelState) -> None:
    if o.field_name:
        model.fields.pop(o.field_name, None)


def _safe_remove_field(o: _Op, model: ModelState) -> None:
    assert o.key is not None
    action = _deletion_action(o.op)
    field_name = o.field_name
    if field_name is None:
        model.uncertain = True
    elif action == MOVE_TO_PENDING:
        current = model.fields.pop(field_name, None)
        if current is not None:
            o.history.pending_fields[(o.key, field_name)] = current
    elif action == DELETE:
        o.history.pending_fields.pop((o.key, field_name), None)
        model.fields.pop(field_name, None)


def _rename_field(o: _Op, model: ModelState) -> None:
    old, new = _str(o.op.arg(1, "old_name")), _str(o.op.arg(2, "new_name"))
    if old and new and old in model.fields:
        model.fields[new] = replace(model.fields.pop(old), name=new)
    else:
        model.uncertain = True


Handler = Callable[[_Op], None]


def _on_model(handler: Callable[[_Op, ModelState], None]) -> Handler:
    """A field operation changes a model the replay knows; one created by a squash it cannot read
    is left alone."""

    def apply(o: _Op) -> None:
        model = o.model
        if model is not None:
            handler(o, model)

    return apply


#: the state change of each operation kind (Django's ``state_forwards``), by canonical path: a new
#: kind is one entry. Every handler but ``CreateModel``'s runs only with a known target model
#: name; an operation kind not listed here marks its model uncertain.
HANDLERS: dict[str, Handler] = {
    CREATE_MODEL: _create_model,
    DELETE_MODEL: _delete_model,
    SAFE_DELETE_MODEL: _safe_delete_model,
    RENAME_MODEL: _rename_model,
    ALTER_MODEL_TABLE: _alter_model_table,
    ALTER_MODEL_OPTIONS: _nothing,
    ADD_FIELD: _on_model(_add_or_alter_field),
    ALTER_FIELD: _on_model(_add_or_alter_field),
    REMOVE_FIELD: _on_model(_remove_field),
    SAFE_REMOVE_FIELD: _on_model(_safe_remove_field),
    RENAME_FIELD: _on_model(_rename_field),
}
#: operations whose state before them the project rules judge
RECORDED = frozenset({SAFE_REMOVE_FIELD, SAFE_DELETE_MODEL, ALTER_FIELD})
#: operations that are flattened (SeparateDatabaseAndState) or whose own ``state_operations``
#: keyword is rare (RunSQL: Sentry uses SeparateDatabaseAndState)
_SKIPPED = NO_STATE_CHANGE | {SEPARATE, RUN_SQL}


def _unknown_operation(o: _Op) -> None:
    model = o.model
    if model is not None:
        model.uncertain = True  # an operation the replay does not know


def _apply(history: AppHistory, migration: str, op: OperationFact) -> None:
    ref = op.ref
    if op.call.kind != CALL:
        history.uncertain = True
        return
    key = _target_model(history, op)
    field_name = _str(op.arg(1, "name"))
    if ref in RECORDED:
        _record(history, migration, op, key, field_name if ref != SAFE_DELETE_MODEL else None)
    if ref in _SKIPPED or op.side not in (TOP, STATE):
        return  # database_operations do not change Django's state
    handler = HANDLERS.get(ref or "", _unknown_operation)
    if key is None and handler is not _create_model:
        history.uncertain = True
        return
    handler(_Op(history, migration, op, key, field_name))


def iter_ops(history: AppHistory) -> Iterator[tuple[MigrationNode, OperationFact]]:
    for name in history.order:
        node = history.nodes[name]
        for op in node.migration.operations:
            yield node, op


__all__ = [
    "DATABASE",
    "AppHistory",
    "FieldState",
    "ModelState",
    "Snapshot",
    "graph_of",
    "iter_ops",
    "node_of",
    "replay_with_checkpoint",
    "resume",
]
