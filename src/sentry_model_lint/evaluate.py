"""A static evaluator for the expressions migrations build their operation lists with.

Nothing is imported or executed: the evaluator reads the syntax tree of the ``Migration`` class
body and of the module statements before it, and follows

* list and tuple literals, with starred items (``[*database_operations, AddField(...)]``);
* ``+`` of lists and tuples (``operations = database_operations + [...]``), and ``+=``;
* names bound to such expressions in the class body or at module level: the last binding before
  the use wins, as at import time;
* list comprehensions and generator expressions (also inside ``list(...)`` / ``tuple(...)``)
  over a literal iterable of constants, or of tuples of constants (``for a, b in [("x", "y")]``),
  without ``if`` clauses: each produced element is the comprehension's element expression with
  the loop variables replaced by their constants (``RunSQL(f"DROP TABLE {t}")`` becomes
  ``RunSQL("DROP TABLE sentry_foo")``), at the element expression's position;
* ``list(...)`` / ``tuple(...)`` of those (and ``list()`` / ``tuple()``);
* a list element that is a name bound to a call (``operations = [drop_index]``);
* a call of a module-level helper without parameters or decorators whose body only assigns
  names and ends with ``return`` (Sentry's ``def apikey_migrations(): database_operations = [...];
  return database_operations + [...]``): its locals, then its returned expression, with the
  module's names as they are where it is called.

Policy for conditionals: a name bound under ``if``/``else`` (``operations`` or any name it is
built from) is followed when every branch gives an evaluable list: when the branches give the
same list (compared without positions) it is that list; when they differ, the operations of
every branch are followed in source order (a superset of what runs: Sentry's test-only
`if is_test_db(): operations = [...]` is followed, not given up on). A branch that does not bind
the name keeps its earlier binding, or none (then it contributes no operation); a branch that
cannot be followed makes the name uncertain.
A name bound in any other compound statement (``for``, ``while``, ``try``, ``with``, ``match``),
bound by an import, another ``def`` or a ``class``, or mutated in place (``ops.append(...)``,
``ops.extend(...)``, ``del ops``) is uncertain.

The work is bounded so hostile input cannot hang or exhaust memory: at most :data:`MAX_STEPS`
evaluation steps, :data:`MAX_ITEMS` produced items per list (:data:`MAX_COPIED` items copied in
all), :data:`MAX_DEPTH` nested evaluations and :data:`MAX_STATEMENTS` statements scanned for
bindings. Past a bound the list is uncertain, never guessed.
"""

from __future__ import annotations

import ast
import bisect
import copy
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

MAX_STEPS = 10_000
MAX_ITEMS = 10_000
MAX_DEPTH = 50
MAX_COPIED = 20 * MAX_ITEMS  # items copied while building lists, all lists of a migration together
MAX_STATEMENTS = 5_000
_SNIPPET = 60
_CONST_TYPES = (str, int, float, bool, bytes, type(None))
_MUTATORS = frozenset({"append", "extend", "insert", "remove", "pop", "clear", "reverse", "sort", "__setitem__"})


class Unfollowable(Exception):
    """The expression cannot be followed; ``what`` names it and ``line`` says where."""

    def __init__(self, what: str, line: int, *, unbound: bool = False) -> None:
        super().__init__(what)
        self.what = what
        self.line = line
        self.unbound = unbound  # the name has no binding at all there


# --- bindings -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Expr:
    node: ast.expr
    scope: Scope
    seq: int  # lookups inside ``node`` see the bindings made before this point


@dataclass(frozen=True)
class _Opaque:
    line: int
    why: str


@dataclass(frozen=True)
class _Branches:
    line: int
    branches: tuple[tuple[Scope, int], ...]  # (branch scope, end of the branch)


@dataclass(frozen=True)
class _Function:
    """A module-level helper without parameters whose body only assigns names and returns an
    expression (Sentry's ``def apikey_migrations(): ... return database_operations + [...]``)."""

    node: ast.FunctionDef
    scope: Scope  # where the function was defined: its globals


_Binding = _Expr | _Opaque | _Branches | _Function


def _simple_function(stmt: ast.stmt) -> bool:
    if not isinstance(stmt, ast.FunctionDef) or stmt.decorator_list:
        return False
    args = stmt.args
    if args.posonlyargs or args.args or args.vararg or args.kwonlyargs or args.kwarg:
        return False
    body = list(stmt.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring
    if not body or not isinstance(body[-1], ast.Return) or body[-1].value is None:
        return False
    return all(isinstance(s, (ast.Assign, ast.AnnAssign, ast.AugAssign)) for s in body[:-1])


@dataclass(eq=False)
class Scope:
    """Bindings of one block, in source order; lookups fall back to the enclosing block as it
    was where this one starts."""

    parent: Scope | None = None
    parent_seq: int = 0
    names: dict[str, tuple[list[int], list[_Binding]]] = field(default_factory=dict)

    def bind(self, name: str, seq: int, binding: _Binding) -> None:
        seqs, bindings = self.names.setdefault(name, ([], []))
        seqs.append(seq)
        bindings.append(binding)

    def lookup(self, name: str, seq: int) -> _Binding | None:
        scope: Scope | None = self
        while scope is not None:
            entry = scope.names.get(name)
            if entry is not None:
                at = bisect.bisect_left(entry[0], seq)
                if at > 0:
                    return entry[1][at - 1]
            seq = scope.parent_seq
            scope = scope.parent
        return None


class _Counter:
    def __init__(self) -> None:
        self.seq = 0

    def next(self) -> int:
        self.seq += 1
        return self.seq


_SCOPES = (
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
    ast.Lambda,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
    ast.GeneratorExp,
)


def _stored_names(stmt: ast.AST) -> Iterator[str]:
    """Names a statement binds in its own scope (not the locals of a function it defines)."""
    todo: list[ast.AST] = [stmt]
    seen = 0
    while todo and seen < 10 * MAX_STATEMENTS:
        node = todo.pop()
        seen += 1
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            yield node.id
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            yield node.name
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                yield alias.asname or alias.name.partition(".")[0]
        if not isinstance(node, _SCOPES):
            todo.extend(ast.iter_child_nodes(node))


def _bind_block(body: Sequence[ast.stmt], scope: Scope, counter: _Counter, before_line: int | None = None) -> int:
    """Record the bindings of ``body`` in ``scope`` (up to the statement that ends before
    ``before_line``); returns the sequence number at the end."""
    for stmt in body[:MAX_STATEMENTS]:
        if before_line is not None and (getattr(stmt, "end_lineno", None) or stmt.lineno) >= before_line:
            break
        _bind_statement(stmt, scope, counter)
    return counter.next()


def _bind_statement(stmt: ast.stmt, scope: Scope, counter: _Counter) -> None:
    seq = counter.next()
    if isinstance(stmt, ast.Assign):
        for target in stmt.targets:
            if isinstance(target, ast.Name):
                scope.bind(target.id, seq, _Expr(stmt.value, scope, seq))
            else:
                for name in _stored_names(target):
                    scope.bind(name, seq, _Opaque(stmt.lineno, "an unpacking assignment"))
    elif isinstance(stmt, ast.AnnAssign):
        if isinstance(stmt.target, ast.Name) and stmt.value is not None:
            scope.bind(stmt.target.id, seq, _Expr(stmt.value, scope, seq))
    elif isinstance(stmt, ast.AugAssign):
        if isinstance(stmt.target, ast.Name):
            if isinstance(stmt.op, ast.Add):
                load = ast.copy_location(ast.Name(stmt.target.id, ast.Load()), stmt.target)
                combined = ast.copy_location(ast.BinOp(load, ast.Add(), stmt.value), stmt)
                scope.bind(stmt.target.id, seq, _Expr(combined, scope, seq))
            else:
                scope.bind(stmt.target.id, seq, _Opaque(stmt.lineno, "an augmented assignment"))
    elif isinstance(stmt, ast.If):
        body = Scope(scope, seq)
        orelse = Scope(scope, seq)
        body_end = _bind_block(stmt.body, body, counter)
        else_end = _bind_block(stmt.orelse, orelse, counter)
        branches = _Branches(stmt.lineno, ((body, body_end), (orelse, else_end)))
        after = counter.next()
        for name in sorted(set(body.names) | set(orelse.names)):
            scope.bind(name, after, branches)
    elif isinstance(stmt, ast.Expr):
        call = stmt.value
        if (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Attribute)
            and isinstance(call.func.value, ast.Name)
            and call.func.attr in _MUTATORS
        ):
            scope.bind(call.func.value.id, seq, _Opaque(stmt.lineno, f"`{call.func.value.id}` changed in place"))
    elif isinstance(stmt, (ast.Pass, ast.Return, ast.Raise, ast.Assert, ast.Global, ast.Nonlocal, ast.Break, ast.Continue)):
        pass
    elif isinstance(stmt, ast.FunctionDef) and _simple_function(stmt):
        scope.bind(stmt.name, seq, _Function(stmt, scope))
    else:
        what = {
            ast.FunctionDef: "a function",
            ast.AsyncFunctionDef: "a function",
            ast.ClassDef: "a class",
            ast.Import: "an import",
            ast.ImportFrom: "an import",
            ast.Delete: "a `del`",
        }.get(type(stmt), f"a `{type(stmt).__name__.lower()}` statement")
        for name in sorted(set(_stored_names(stmt))):
            scope.bind(name, seq, _Opaque(stmt.lineno, f"`{name}` bound by {what}"))


# --- evaluation ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Produced:
    """One element of an evaluated list: the expression that produced it (the loop variables of
    a comprehension already replaced by their constants), and where its names are looked up."""

    node: ast.expr
    scope: Scope
    seq: int


class _Substitute(ast.NodeTransformer):
    """Replace loop variables by their constants (not inside nested scopes that rebind them),
    and fold f-strings whose placeholders became constants."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if isinstance(node.ctx, ast.Load) and node.id in self.values:
            return ast.copy_location(ast.Constant(self.values[node.id]), node)
        return node

    def visit_Lambda(self, node: ast.Lambda) -> ast.AST:
        return node  # its parameters may shadow the loop variables: leave it as written

    def visit_JoinedStr(self, node: ast.JoinedStr) -> ast.AST:
        self.generic_visit(node)
        parts: list[str] = []
        for value in node.values:
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                parts.append(value.value)
            elif (
                isinstance(value, ast.FormattedValue)
                and value.conversion == -1
                and value.format_spec is None
                and isinstance(value.value, ast.Constant)
                and isinstance(value.value.value, (str, int))
                and not isinstance(value.value.value, bool)
            ):
                parts.append(str(value.value.value))
            else:
                return node
        return ast.copy_location(ast.Constant("".join(parts)), node)


def snippet(node: ast.AST) -> str:
    try:
        text = " ".join(ast.unparse(node).split())
    except Exception:
        text = type(node).__name__
    return text if len(text) <= _SNIPPET else text[: _SNIPPET - 3] + "..."


class Evaluator:
    """Evaluates list expressions of one migration module. ``is_builtin(func)`` says whether the
    callee ``func`` is the builtin ``list``/``tuple`` there (an import may shadow them)."""

    def __init__(self, is_builtin: Callable[[ast.expr], bool] | None = None) -> None:
        self.steps = 0
        self.copied = 0  # items copied into lists so far
        self._is_builtin = is_builtin

    def _step(self, node: ast.AST, depth: int) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise Unfollowable(f"`{snippet(node)}` (too much work to follow)", getattr(node, "lineno", 0))
        if depth > MAX_DEPTH:
            raise Unfollowable(f"`{snippet(node)}` (nested too deeply)", getattr(node, "lineno", 0))

    def _builtin(self, func: ast.expr, scope: Scope, seq: int) -> str | None:
        if not isinstance(func, ast.Name) or func.id not in ("list", "tuple"):
            return None
        if scope.lookup(func.id, seq) is not None:
            return None  # shadowed in the module
        if self._is_builtin is not None and not self._is_builtin(func):
            return None
        return func.id

    def evaluate(self, node: ast.expr, scope: Scope, seq: int, depth: int = 0) -> list[Produced]:
        """The elements of the list or tuple ``node`` evaluates to; raises :class:`Unfollowable`."""
        self._step(node, depth)
        sub = depth + 1
        if isinstance(node, (ast.List, ast.Tuple)):
            out: list[Produced] = []
            for elt in node.elts:
                if isinstance(elt, ast.Starred):
                    out.extend(self.evaluate(elt.value, scope, seq, sub))
                else:
                    out.append(self._element(elt, scope, seq, sub))
                self._check_size(out, node)
            return out
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left = self.evaluate(node.left, scope, seq, sub)
            right = self.evaluate(node.right, scope, seq, sub)
            out = left + right
            self._check_size(out, node)
            return out
        if isinstance(node, ast.Name):
            return self._name(node, scope, seq, sub)
        if isinstance(node, (ast.ListComp, ast.GeneratorExp)):
            return self._comprehension(node, scope, seq, sub)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.args and not node.keywords:
            binding = scope.lookup(node.func.id, seq)
            if isinstance(binding, _Function):
                return self._call(binding, seq, sub)
        if isinstance(node, ast.Call) and self._builtin(node.func, scope, seq) and not node.keywords:
            if not node.args:
                return []
            if len(node.args) == 1 and not isinstance(node.args[0], ast.Starred):
                return self.evaluate(node.args[0], scope, seq, sub)
        raise Unfollowable(f"`{snippet(node)}`", getattr(node, "lineno", 0))

    def _call(self, function: _Function, seq: int, depth: int) -> list[Produced]:
        """What a simple helper returns: its local assignments, then its ``return`` expression,
        with the module's names as they are where it is called."""
        local = Scope(function.scope, seq)
        body = [s for s in function.node.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
        end = _bind_block(body[:-1], local, _Counter())
        returned = body[-1]
        assert isinstance(returned, ast.Return) and returned.value is not None  # see _simple_function
        return self.evaluate(returned.value, local, end, depth)

    def lenient(self, node: ast.expr, scope: Scope, seq: int) -> tuple[list[Produced], list[Unfollowable]]:
        """The elements of a list literal, with each starred item it cannot follow kept as one
        element as written (and said in the returned problems)."""
        if not isinstance(node, (ast.List, ast.Tuple)):
            try:
                return self.evaluate(node, scope, seq), []
            except Unfollowable as exc:
                return [], [exc]
        out: list[Produced] = []
        problems: list[Unfollowable] = []
        for elt in node.elts:
            if isinstance(elt, ast.Starred):
                try:
                    out.extend(self.evaluate(elt.value, scope, seq, 1))
                except Unfollowable as exc:
                    problems.append(exc)
                    out.append(Produced(elt.value, scope, seq))
            else:
                out.append(self._element(elt, scope, seq, 1))
            if len(out) > MAX_ITEMS:
                problems.append(Unfollowable(f"`{snippet(node)}` (more than {MAX_ITEMS} operations)", node.lineno))
                return out[:MAX_ITEMS], problems
        return out, problems

    def binding(self, name: str, scope: Scope, seq: int) -> ast.expr | None:
        """The expression ``name`` is bound to at ``seq`` when it is bound unconditionally."""
        found = scope.lookup(name, seq)
        return found.node if isinstance(found, _Expr) else None

    def _check_size(self, out: list[Produced], node: ast.AST) -> None:
        self.copied += len(out)
        if len(out) > MAX_ITEMS:
            raise Unfollowable(f"`{snippet(node)}` (more than {MAX_ITEMS} operations)", getattr(node, "lineno", 0))
        if self.copied > MAX_COPIED:
            raise Unfollowable(f"`{snippet(node)}` (too much work to follow)", getattr(node, "lineno", 0))

    def _element(self, elt: ast.expr, scope: Scope, seq: int, depth: int) -> Produced:
        """An operation of a list; a name bound to a call stands for that call."""
        if isinstance(elt, ast.Name):
            binding = scope.lookup(elt.id, seq)
            if isinstance(binding, _Expr) and isinstance(binding.node, ast.Call) and depth <= MAX_DEPTH:
                return Produced(binding.node, binding.scope, binding.seq)
        return Produced(elt, scope, seq)

    def _name(self, node: ast.Name, scope: Scope, seq: int, depth: int) -> list[Produced]:
        binding = scope.lookup(node.id, seq)
        if binding is None:
            raise Unfollowable(f"`{node.id}` (not bound in the module)", node.lineno, unbound=True)
        if isinstance(binding, _Opaque):
            raise Unfollowable(f"`{node.id}` ({binding.why}, line {binding.line})", node.lineno)
        if isinstance(binding, _Expr):
            return self.evaluate(binding.node, binding.scope, binding.seq, depth)
        if isinstance(binding, _Function):
            raise Unfollowable(f"`{node.id}` (a function, not a list, line {binding.node.lineno})", node.lineno)
        results: list[list[Produced]] = []
        for branch, end in binding.branches:
            try:
                results.append(self._name(node, branch, end, depth + 1))
            except Unfollowable as exc:
                if not exc.unbound:
                    raise Unfollowable(f"`{node.id}` (bound under `if`, line {binding.line})", node.lineno) from None
                results.append([])  # a branch that leaves the name unbound (``operations`` defaults to none)
        first = [_shape(p.node) for p in results[0]]
        if all([_shape(p.node) for p in other] == first for other in results[1:]):
            return results[0]
        # branches that differ: every branch's operations are followed, a superset of what runs
        out: list[Produced] = []
        seen: set[int] = set()
        for produced in (p for result in results for p in result):
            if id(produced.node) not in seen:  # an element shared by branches (an earlier binding) once
                seen.add(id(produced.node))
                out.append(produced)
        self._check_size(out, node)
        return out

    def _comprehension(self, node: ast.ListComp | ast.GeneratorExp, scope: Scope, seq: int, depth: int) -> list[Produced]:
        rows: list[dict[str, Any]] = [{}]
        for generator in node.generators:
            if generator.ifs or generator.is_async:
                raise Unfollowable(f"`{snippet(node)}` (a filtered comprehension)", node.lineno)
            values = [self._constant(p.node, node) for p in self.evaluate(generator.iter, scope, seq, depth + 1)]
            grown: list[dict[str, Any]] = []
            for row in rows:
                for value in values:
                    bound = dict(row)
                    _unpack(generator.target, value, bound, node)
                    grown.append(bound)
                    if len(grown) > MAX_ITEMS:
                        raise Unfollowable(f"`{snippet(node)}` (more than {MAX_ITEMS} operations)", node.lineno)
            rows = grown
        out = []
        for row in rows:
            element = _Substitute(row).visit(copy.deepcopy(node.elt))
            assert isinstance(element, ast.expr)
            out.append(self._element(element, scope, seq, depth))
        return out

    def _constant(self, node: ast.expr, where: ast.AST) -> Any:
        if isinstance(node, ast.Constant) and isinstance(node.value, _CONST_TYPES):
            return node.value
        if isinstance(node, ast.Tuple) and not any(isinstance(e, ast.Starred) for e in node.elts):
            return tuple(self._constant(e, where) for e in node.elts)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant):
            value = node.operand.value
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return -value
        raise Unfollowable(f"`{snippet(where)}` (iterates over `{snippet(node)}`, not a constant)", getattr(where, "lineno", 0))


def _unpack(target: ast.expr, value: Any, bound: dict[str, Any], where: ast.AST) -> None:
    if isinstance(target, ast.Name):
        bound[target.id] = value
        return
    if isinstance(target, (ast.Tuple, ast.List)) and isinstance(value, tuple) and len(value) == len(target.elts):
        for sub, item in zip(target.elts, value, strict=True):
            _unpack(sub, item, bound, where)
        return
    raise Unfollowable(f"`{snippet(where)}` (cannot unpack the loop variable)", getattr(where, "lineno", 0))


def _shape(node: ast.AST) -> str:
    return ast.dump(node, include_attributes=False)


# --- entry points -------------------------------------------------------------------------------


@dataclass
class ClassScope:
    """The bindings a ``Migration`` class body sees: the module statements before the class, then
    the class body."""

    scope: Scope
    end: int
    counter: _Counter


def class_scope(node: ast.ClassDef, module_body: Sequence[ast.stmt] | None) -> ClassScope:
    counter = _Counter()
    module = Scope()
    module_end = _bind_block(module_body or (), module, counter, before_line=node.lineno)
    body = Scope(module, module_end)
    end = _bind_block(node.body, body, counter)
    return ClassScope(body, end, counter)


__all__ = [
    "MAX_DEPTH",
    "MAX_ITEMS",
    "MAX_STEPS",
    "ClassScope",
    "Evaluator",
    "Produced",
    "Scope",
    "Unfollowable",
    "class_scope",
    "snippet",
]
