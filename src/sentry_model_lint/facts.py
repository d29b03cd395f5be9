"""Per-file facts: what a module defines, in plain data, extracted from one ``ast`` parse.

The extractor looks at module-level statements (and the bodies of top-level ``if``/``try``
blocks) and, for each class, at its own body. It never walks the whole tree. Rules read these
facts only.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sentry_model_lint.names import Resolver, last_part
from sentry_model_lint.paths import FileInfo, FileKind
from sentry_model_lint.values import CALL, NAME, Value, summarize
from sentry_model_lint.vocab import TEST_MIGRATIONS

if TYPE_CHECKING:
    from sentry_model_lint.migration_facts import FunctionFact, MigrationFact, TestClassFact

#: module-level assignments kept in the facts
_MODULE_ATTRS = frozenset({"__all__", "pytestmark"})

#: Callee names that make a class-level call a model field, besides ``*Field``/``*ForeignKey``.
_FIELD_NAMES = frozenset({"OneToOneCascadeDeletes", "GenericRelation"})


@dataclass(frozen=True)
class AttrFact:
    """A class-level assignment ``name = value`` or ``name: annotation [= value]``."""

    name: str
    line: int
    col: int
    value: Value | None  # None for a bare annotation
    annotated: bool = False


@dataclass(frozen=True)
class FieldFact:
    """A class-level assignment whose value is a field call."""

    name: str
    line: int
    col: int
    call: Value  # kind CALL

    @property
    def ref(self) -> str | None:
        return self.call.call_ref

    @property
    def kind(self) -> str:
        """Last part of the callee (``ForeignKey``), resolved or as spelled."""
        return self.call.callee

    def keyword(self, name: str) -> Value | None:
        return self.call.keyword(name)


@dataclass(frozen=True)
class MetaFact:
    line: int
    col: int
    bases: tuple[Value, ...]
    options: Mapping[str, AttrFact]

    def flag(self, name: str) -> bool:
        opt = self.options.get(name)
        return bool(opt and opt.value is not None and opt.value.is_true)


@dataclass(frozen=True)
class ClassFact:
    name: str
    qualname: str  # module-qualified, as the resolver qualifies local definitions
    line: int
    col: int
    end_line: int
    bases: tuple[Value, ...]
    decorators: tuple[Value, ...]
    attrs: Mapping[str, AttrFact]  # last assignment of each name wins, as at run time
    fields: tuple[FieldFact, ...]
    methods: frozenset[str]
    meta: MetaFact | None
    nested: bool = False  # defined inside a top-level if/try block
    #: model fields declared without a field call: ``class flags(TypedClassBitField)`` (the field
    #: is named after the class) and ``scopes = typed_dict_bitfield(...)``, as (name, line, col)
    other_fields: tuple[tuple[str, int, int], ...] = ()

    @property
    def is_abstract(self) -> bool:
        return self.meta is not None and self.meta.flag("abstract")

    @property
    def is_proxy(self) -> bool:
        return self.meta is not None and self.meta.flag("proxy")


@dataclass
class ModuleFacts:
    info: FileInfo
    classes: tuple[ClassFact, ...] = ()
    bindings: Mapping[str, str] = field(default_factory=dict)
    migration: MigrationFact | None = None  # the module-level ``Migration`` class of a migration
    functions: Mapping[str, FunctionFact] = field(default_factory=dict)  # module-level, migrations only
    test_classes: tuple[TestClassFact, ...] = ()  # classes that may be migration tests
    module_attrs: Mapping[str, AttrFact] = field(default_factory=dict)  # ``__all__``, ``pytestmark``
    star_imports: tuple[str, ...] = ()  # modules star-imported by this one (re-exports)


def is_field_call(value: Value | None) -> bool:
    if value is None or value.kind != CALL or value.func is None:
        return False
    func = value.func
    if func.kind != NAME:
        return False
    name = last_part(func.ref or func.text)
    return name.endswith(("Field", "ForeignKey")) or name in _FIELD_NAMES


def _type_checking_test(test: ast.expr) -> bool | None:
    """True for ``if TYPE_CHECKING:`` (or ``typing.TYPE_CHECKING``), False for ``if not
    TYPE_CHECKING:``, None for any other test."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = _type_checking_test(test.operand)
        return None if inner is None else not inner
    if isinstance(test, ast.Name) and test.id == "TYPE_CHECKING":
        return True
    if isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING":
        return True
    return None


def _iter_top_level(body: list[ast.stmt], nested: bool = False, typing_only: bool = False) -> Iterator[tuple[ast.stmt, bool]]:
    """Module-level statements, into top-level ``if``/``try`` bodies. Classes of a branch that
    only the type checker sees (``if TYPE_CHECKING:``) are left out: they never exist at run time,
    so no model or test rule may judge them."""
    for stmt in body:
        if typing_only and isinstance(stmt, ast.ClassDef):
            continue
        if isinstance(stmt, ast.If):
            checking = _type_checking_test(stmt.test)
            yield from _iter_top_level(stmt.body, True, typing_only or checking is True)
            yield from _iter_top_level(stmt.orelse, True, typing_only or checking is False)
        elif isinstance(stmt, ast.Try) or type(stmt).__name__ == "TryStar":
            yield from _iter_top_level(stmt.body, True, typing_only)  # type: ignore[attr-defined]
            for handler in stmt.handlers:  # type: ignore[attr-defined]
                yield from _iter_top_level(handler.body, True, typing_only)
            yield from _iter_top_level(stmt.orelse, True, typing_only)  # type: ignore[attr-defined]
            yield from _iter_top_level(stmt.finalbody, True, typing_only)  # type: ignore[attr-defined]
        else:
            yield stmt, nested


def _assigns_any(stmt: ast.Assign | ast.AnnAssign, names: frozenset[str]) -> bool:
    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
    return any(isinstance(t, ast.Name) and t.id in names for t in targets)


def assignments(body: list[ast.stmt], resolver: Resolver) -> Iterator[AttrFact]:
    for stmt in body:
        if isinstance(stmt, ast.Assign):
            value = summarize(stmt.value, resolver)
            for target in stmt.targets:
                if isinstance(target, ast.Name):
                    yield AttrFact(target.id, stmt.lineno, stmt.col_offset, value)
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            summary = summarize(stmt.value, resolver) if stmt.value is not None else None
            yield AttrFact(stmt.target.id, stmt.lineno, stmt.col_offset, summary, annotated=True)


def _class_fact(node: ast.ClassDef, resolver: Resolver, nested: bool) -> ClassFact:
    attrs: dict[str, AttrFact] = {}
    fields: dict[str, FieldFact] = {}
    methods: set[str] = set()
    meta: MetaFact | None = None
    other: dict[str, tuple[str, int, int]] = {}
    for stmt in node.body:
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            for attr in assignments([stmt], resolver):
                attrs[attr.name] = attr
                other.pop(attr.name, None)
                if is_field_call(attr.value):
                    assert attr.value is not None
                    fields[attr.name] = FieldFact(attr.name, attr.line, attr.col, attr.value)
                else:
                    fields.pop(attr.name, None)
                    if _is_bitfield_factory(attr.value):
                        other[attr.name] = (attr.name, attr.line, attr.col)
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            methods.add(stmt.name)
            attrs.pop(stmt.name, None)
            fields.pop(stmt.name, None)
            other.pop(stmt.name, None)
        elif isinstance(stmt, ast.ClassDef) and stmt.name != "Meta" and _is_bitfield_class(stmt, resolver):
            fields.pop(stmt.name, None)
            other[stmt.name] = (stmt.name, stmt.lineno, stmt.col_offset)
        elif isinstance(stmt, ast.ClassDef) and stmt.name == "Meta":
            options = {a.name: a for a in assignments(stmt.body, resolver)}
            meta = MetaFact(
                line=stmt.lineno,
                col=stmt.col_offset,
                bases=tuple(summarize(b, resolver) for b in stmt.bases),
                options=options,
            )
    return ClassFact(
        name=node.name,
        qualname=resolver.local(node.name),
        line=node.lineno,
        col=node.col_offset,
        end_line=getattr(node, "end_lineno", None) or node.lineno,
        bases=tuple(summarize(b, resolver) for b in node.bases),
        decorators=tuple(summarize(d, resolver) for d in node.decorator_list),
        attrs=attrs,
        fields=tuple(fields.values()),
        methods=frozenset(methods),
        meta=meta,
        nested=nested,
        other_fields=tuple(other.values()),
    )


def _is_bitfield_factory(value: Value | None) -> bool:
    """``typed_dict_bitfield(...)``: a call that returns a ``BitField``."""
    return value is not None and value.kind == CALL and value.callee == "typed_dict_bitfield"


def _is_bitfield_class(node: ast.ClassDef, resolver: Resolver) -> bool:
    """``class flags(TypedClassBitField)``: the metaclass turns it into a ``BitField`` named ``flags``."""
    return any(last_part(summarize(b, resolver).ref or ast.unparse(b)) == "TypedClassBitField" for b in node.bases)


def _may_be_migration_test(node: ast.ClassDef, resolver: Resolver, local_tests: set[str], in_tests: bool) -> bool:
    """Whether a class might reach ``TestMigrations`` (unknown bases count in test folders)."""
    for base in node.bases:
        ref = resolver.resolve(base)
        if ref == TEST_MIGRATIONS or ref in local_tests:
            return True
        if in_tests and (ref is None or not resolver.is_local(ref)):
            return True
    return False


def extract(
    tree: ast.Module,
    info: FileInfo,
    extra_aliases: Mapping[str, str] | None = None,
    lines: list[str] | None = None,
) -> ModuleFacts:
    """Facts of one parsed module. ``lines`` (the source) is needed only for quote styles."""
    from sentry_model_lint.migration_facts import function_fact, migration_fact, test_class_fact

    resolver = Resolver(info.module, is_package=info.is_package, extra_aliases=extra_aliases)
    resolver.bind_module(tree.body)
    facts = ModuleFacts(info=info, bindings=dict(resolver.bindings))
    classes = []
    tests = []
    local_tests: set[str] = set()
    functions = {}
    module_attrs = {}
    is_migration = info.kind is FileKind.MIGRATION
    for stmt, nested in _iter_top_level(tree.body):
        if isinstance(stmt, ast.ClassDef):
            if is_migration and stmt.name == "Migration":
                facts.migration = migration_fact(stmt, resolver, tree.body)
                continue
            if not is_migration:
                classes.append(_class_fact(stmt, resolver, nested))
                if stmt.bases and _may_be_migration_test(stmt, resolver, local_tests, info.in_tests):
                    local_tests.add(resolver.local(stmt.name))
                    tests.append(test_class_fact(stmt, resolver, lines))
        elif is_migration and isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            functions[stmt.name] = function_fact(stmt, resolver)
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign)) and _assigns_any(stmt, _MODULE_ATTRS):
            for attr in assignments([stmt], resolver):
                if attr.name in _MODULE_ATTRS:
                    module_attrs[attr.name] = attr
    facts.classes = tuple(classes)
    facts.test_classes = tuple(tests)
    facts.functions = functions
    facts.module_attrs = module_attrs
    facts.star_imports = tuple(resolver.star_sources)
    return facts
