"""Facts of migration modules and migration tests.

For a migration: the ``Migration`` class (bases, the attributes that matter) and its operations,
flattened with the side each one runs on (``operations``, or the ``database`` / ``state`` list of
a ``SeparateDatabaseAndState``), as :mod:`sentry_model_lint.evaluate` follows the expressions
that build them (names, ``+``, starred items, comprehensions over constants), plus the module-level functions that ``RunPython`` refers to.

For a migration test: each class, the hooks and ``test*`` methods it defines, its skip markers,
the raw quote style of ``migrate_from`` / ``migrate_to``, and the live models its hooks touch.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from sentry_model_lint.evaluate import Evaluator, Produced, Unfollowable, class_scope, snippet
from sentry_model_lint.facts import AttrFact, assignments
from sentry_model_lint.names import Resolver
from sentry_model_lint.values import CALL, LIST, TUPLE, Value, summarize
from sentry_model_lint.vocab import CHECKED_MIGRATION, DJANGO_MIGRATION

SEPARATE = "django.db.migrations.SeparateDatabaseAndState"

#: attributes of a model class that only a live model has (``Project.objects``)
MODEL_ACCESS_ATTRS = frozenset(
    {
        "objects",
        "_default_manager",
        "_base_manager",
        "all_objects",
        "with_deleted",
        "objects_for_deletion",
        "DoesNotExist",
        "MultipleObjectsReturned",
    }
)

# sides an operation can run on
TOP = "operations"
DATABASE = "database"
STATE = "state"


@dataclass(frozen=True)
class OperationFact:
    index: int  # position in the top-level ``operations`` list
    path: str  # "2", or "2.database_operations.0" for nested operations
    side: str  # TOP, DATABASE or STATE
    call: Value  # the operation expression (a CALL for every real operation)

    @property
    def ref(self) -> str | None:
        return self.call.call_ref

    @property
    def kind(self) -> str:
        """Last part of the operation's callee (``AddField``), resolved or as spelled."""
        return self.call.callee

    @property
    def runs_on_database(self) -> bool:
        return self.side != STATE

    def arg(self, position: int, keyword: str) -> Value | None:
        """An argument given by keyword or by position."""
        value = self.call.keyword(keyword)
        if value is None and len(self.call.items) > position and not self.call.starred:
            value = self.call.items[position]
        return value


@dataclass(frozen=True)
class ModelUse:
    """``Project.objects`` (or another live-model attribute) on a class from a models module."""

    ref: str
    text: str
    line: int
    col: int


@dataclass(frozen=True)
class FunctionFact:
    name: str
    line: int
    col: int
    params: tuple[str, ...]  # positional parameter names, ``self`` included
    has_varargs: bool
    model_uses: tuple[ModelUse, ...] = ()
    #: ``self.create_<thing>(...)`` factory calls (Sentry's test factories), as ``create_thing``
    factory_calls: tuple[ModelUse, ...] = ()


@dataclass(frozen=True)
class MigrationFact:
    line: int
    col: int
    bases: tuple[Value, ...]
    attrs: Mapping[str, AttrFact]
    operations: tuple[OperationFact, ...]  # flattened, in source order
    operations_known: bool  # False when the evaluator cannot follow how ``operations`` is built
    unknown: str | None = None  # what it cannot follow (``get_operations()``), when not known
    unknown_line: int = 0  # where that is

    def attr_value(self, name: str) -> Value | None:
        attr = self.attrs.get(name)
        return attr.value if attr is not None else None

    @property
    def is_squash(self) -> bool:
        replaces = self.attr_value("replaces")
        return replaces is not None and not (replaces.kind in (LIST, TUPLE) and not replaces.items)


@dataclass(frozen=True)
class TestClassFact:
    """A class of a test module, with what the migration-test rules need."""

    name: str
    qualname: str
    line: int
    col: int
    bases: tuple[Value, ...]
    decorators: tuple[Value, ...]
    attrs: Mapping[str, AttrFact]
    quotes: Mapping[str, str]  # attribute -> opening quote of its string literal ('"', "'", '"""')
    methods: Mapping[str, FunctionFact]


def _flatten(
    items: list[Produced],
    prefix: str,
    side: str,
    top: int | None,
    evaluator: Evaluator,
    resolver: Resolver,
    out: list[OperationFact],
    problems: list[Unfollowable],
) -> None:
    """Append the operations of ``items`` to ``out``, with the nested lists of each
    ``SeparateDatabaseAndState``; a nested list it cannot follow is left out and said in
    ``problems``."""
    for position, item in enumerate(items):
        index = position if top is None else top
        path = f"{prefix}{position}"
        call = summarize(item.node, resolver)
        out.append(OperationFact(index, path, side, call))
        node = item.node
        if call.kind != CALL or call.call_ref != SEPARATE or not isinstance(node, ast.Call):
            continue
        if any(kw.arg is None for kw in node.keywords) or any(isinstance(a, ast.Starred) for a in node.args):
            problems.append(Unfollowable(f"`{snippet(node)}` (arguments spread with `*` or `**`)", node.lineno))
            continue
        for position_arg, (key, nested_side) in enumerate((("database_operations", DATABASE), ("state_operations", STATE))):
            nested_node = next((kw.value for kw in node.keywords if kw.arg == key), None)
            if nested_node is None and len(node.args) > position_arg:
                nested_node = node.args[position_arg]
            if nested_node is None or (isinstance(nested_node, ast.Constant) and nested_node.value is None):
                continue
            try:
                nested = evaluator.evaluate(nested_node, item.scope, item.seq)
            except Unfollowable as exc:
                problems.append(Unfollowable(f"`{key}={snippet(nested_node)}`", exc.line or node.lineno))
                continue
            # an operation inside database_operations of a state list stays state-only
            effective = STATE if side == STATE else nested_side
            _flatten(nested, f"{path}.{key}.", effective, index, evaluator, resolver, out, problems)


def _class_attrs(node: ast.ClassDef, resolver: Resolver) -> dict[str, AttrFact]:
    return {attr.name: attr for attr in assignments(node.body, resolver)}


def _is_builtin(resolver: Resolver) -> Callable[[ast.expr], bool]:
    def check(func: ast.expr) -> bool:
        return resolver.resolve(func) in ("builtins.list", "builtins.tuple")

    return check


def migration_fact(node: ast.ClassDef, resolver: Resolver, module_body: Sequence[ast.stmt] | None = None) -> MigrationFact:
    """Facts of a ``Migration`` class. ``module_body`` (the statements of its module) lets the
    operations refer to lists bound at module level; without it only the class body is read."""
    attrs = _class_attrs(node, resolver)
    operations: list[OperationFact] = []
    problems: list[Unfollowable] = []
    scope = class_scope(node, module_body)
    evaluator = Evaluator(_is_builtin(resolver))
    if scope.scope.lookup("operations", scope.end) is None:
        # Django's Migration (and Sentry's CheckedMigration) default to no operations
        known_base = any(resolver.resolve(base) in (DJANGO_MIGRATION, CHECKED_MIGRATION) for base in node.bases)
        if not known_base:
            problems.append(Unfollowable("a `Migration` without `operations`", node.lineno))
    else:
        load = ast.copy_location(ast.Name("operations", ast.Load()), node)
        try:
            produced = evaluator.evaluate(load, scope.scope, scope.end)
        except Unfollowable as exc:
            problems.append(exc)
            # keep what a literal list says, so the per-migration rules still see it
            literal = evaluator.binding("operations", scope.scope, scope.end)
            produced = evaluator.lenient(literal, scope.scope, scope.end)[0] if isinstance(literal, (ast.List, ast.Tuple)) else []
        _flatten(produced, "", TOP, None, evaluator, resolver, operations, problems)
    known = not problems
    unknown = problems[0].what if problems else None
    unknown_line = (problems[0].line or node.lineno) if problems else 0
    return MigrationFact(
        line=node.lineno,
        col=node.col_offset,
        bases=tuple(summarize(b, resolver) for b in node.bases),
        attrs=attrs,
        operations=tuple(operations),
        operations_known=known,
        unknown=unknown,
        unknown_line=unknown_line,
    )


# --- functions and the live models they touch --------------------------------------------------


def _is_models_module(ref: str) -> bool:
    """``sentry.models.project.Project`` and ``sentry.monitors.models.Monitor`` are live models;
    Django's and Sentry's field modules are not."""
    if ref.startswith(("django.", "sentry.db.models")):
        return False
    parts = ref.split(".")[:-1]
    return any(p == "models" or p.startswith("models_") for p in parts)


def _local_resolver(func: ast.FunctionDef | ast.AsyncFunctionDef, outer: Resolver) -> Resolver:
    local = Resolver(outer.module, extra_aliases=outer.extra_aliases)
    local.package = outer.package
    local.bindings = dict(outer.bindings)
    for node in ast.walk(func):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            local.bind_statement(node)
    # parameters and assignments in the function shadow module-level names
    args = func.args
    for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg):
        if arg is not None:
            local.bindings[arg.arg] = ""
    for node in ast.walk(func):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            local.bindings[node.id] = ""
    return local


#: the methods of a migration test whose bodies rules read (the others: name and signature)
READ_BODIES = frozenset({"setup_before_migration"})


def function_fact(func: ast.FunctionDef | ast.AsyncFunctionDef, resolver: Resolver, *, body: bool = True) -> FunctionFact:
    """A function's signature and, with ``body``, the models and factories its body uses. Reading
    the body costs a walk of it; only ``RunPython`` callables and the hooks in
    :data:`READ_BODIES` are ever looked into (a test tree has thousands of other methods)."""
    args = func.args
    params = tuple(a.arg for a in (*args.posonlyargs, *args.args))
    if not body:
        return FunctionFact(
            name=func.name, line=func.lineno, col=func.col_offset, params=params, has_varargs=args.vararg is not None
        )
    local = _local_resolver(func, resolver)
    uses: dict[str, ModelUse] = {}  # the first use of each model, in source order
    for stmt in func.body:
        for node in ast.walk(stmt):
            if isinstance(node, ast.Attribute) and node.attr in MODEL_ACCESS_ATTRS and isinstance(node.value, ast.Name):
                ref = local.resolve(node.value)
                if not ref or not _is_models_module(ref):
                    continue
                use = ModelUse(ref, node.value.id, node.value.lineno, node.value.col_offset)
                if ref not in uses or (use.line, use.col) < (uses[ref].line, uses[ref].col):
                    uses[ref] = use
    factories: list[ModelUse] = []
    if params:  # a method: ``self.create_*(...)`` are the test case's factories
        for stmt in func.body:
            for node in ast.walk(stmt):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr.startswith("create_")
                    and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == params[0]
                ):
                    text = f"{params[0]}.{node.func.attr}"
                    factories.append(ModelUse(node.func.attr, text, node.lineno, node.col_offset))
    return FunctionFact(
        name=func.name,
        line=func.lineno,
        col=func.col_offset,
        params=params,
        has_varargs=args.vararg is not None,
        model_uses=tuple(sorted(uses.values(), key=lambda u: (u.line, u.col))),
        factory_calls=tuple(sorted(factories, key=lambda u: (u.line, u.col))),
    )


# --- migration tests ---------------------------------------------------------------------------


def _opening_quote(lines: list[str] | None, line: int, col: int) -> str:
    """The quote that opens the string literal at (line, col); col is a UTF-8 byte offset."""
    if not lines or not 0 < line <= len(lines):
        return ""
    raw = lines[line - 1].encode("utf-8")[col:].decode("utf-8", "replace")
    stripped = raw.lstrip("rRbBuUfF")
    for quote in ('"""', "'''", '"', "'"):
        if stripped.startswith(quote):
            return quote
    return ""


def test_class_fact(node: ast.ClassDef, resolver: Resolver, lines: list[str] | None) -> TestClassFact:
    attrs = _class_attrs(node, resolver)
    quotes = {}
    for name in ("migrate_from", "migrate_to", "app"):
        attr = attrs.get(name)
        if attr is not None and attr.value is not None and attr.value.is_str:
            quotes[name] = _opening_quote(lines, attr.value.line, attr.value.col)
    methods = {
        stmt.name: function_fact(stmt, resolver, body=stmt.name in READ_BODIES)
        for stmt in node.body
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef))
    }
    return TestClassFact(
        name=node.name,
        qualname=resolver.local(node.name),
        line=node.lineno,
        col=node.col_offset,
        bases=tuple(summarize(b, resolver) for b in node.bases),
        decorators=tuple(summarize(d, resolver) for d in node.decorator_list),
        attrs=attrs,
        quotes=quotes,
        methods=methods,
    )


__all__ = [
    "FunctionFact",
    "MigrationFact",
    "ModelUse",
    "OperationFact",
    "TestClassFact",
    "function_fact",
    "migration_fact",
    "test_class_fact",
]
