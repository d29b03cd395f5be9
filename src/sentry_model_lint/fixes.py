"""Autofixes: rewrite the nodes that findings point at, with libcst, and nothing else.

The CLI calls :func:`apply_fixes` with the findings the linter reported for one source text
(after ``noqa`` filtering). Each finding is located by its line and column (``col`` is the
0-based ``ast`` offset, in UTF-8 bytes) and fixed only when the node there has exactly the shape
the fix expects; anything else is skipped and left for a human. Comments and formatting outside
the rewritten nodes are kept byte for byte; an import a fix needs is reused when the module
already binds the name, added to an existing ``from x import (...)`` when there is one, and
written as a new ``from x import y`` line in the import block otherwise.

This module is only imported when fixing, so importing libcst here costs nothing elsewhere.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import libcst as cst
import libcst.matchers as m
from libcst.helpers import get_full_name_for_node
from libcst.metadata import (
    BuiltinAssignment,
    ImportAssignment,
    MetadataWrapper,
    PositionProvider,
    ScopeProvider,
)

from sentry_model_lint.rules.migration_tests import MISSPELLED_HOOKS
from sentry_model_lint.rules.models import EVALUATED_ONCE
from sentry_model_lint.rules.base import Violation

__all__ = ["SAFE_FIXES", "UNSAFE_FIXES", "FixResult", "apply_fixes"]

#: codes whose fix keeps behaviour (or restores the intended one); applied by ``--fix``
SAFE_FIXES: frozenset[str] = frozenset(
    {
        "SML104",
        "SML106",
        "SML130",
        "SML133",
        "SML136",
        "SML202",
        "SML203",
        "SML210",
        "SML242",
        "SML302",
        "SML304",
        "SML306",
    }
)
#: codes whose fix changes behaviour on purpose; applied only with ``unsafe=True``
UNSAFE_FIXES: frozenset[str] = frozenset({"SML220", "SML221", "SML240"})


@dataclass
class FixResult:
    source: str
    fixed: list[Violation] = field(default_factory=list)
    skipped: list[Violation] = field(default_factory=list)


def apply_fixes(source: str, violations: list[Violation], *, unsafe: bool = False) -> FixResult:
    """Fix what can be fixed among ``violations`` (findings reported for ``source``).

    Returns the new source with the findings that were fixed and those that were skipped (no
    fix for the code, an unsafe fix without ``unsafe=True``, or a node without the exact shape
    the fix expects). A source that does not parse is returned unchanged, everything skipped.
    """
    violations = list(violations)
    unchanged = FixResult(source, [], violations)
    if not violations:
        return unchanged
    try:
        ast.parse(source)
        module = cst.parse_module(source)
    except Exception:  # SyntaxError, ValueError (null bytes), libcst's ParserSyntaxError, ...
        return unchanged
    try:
        planner = _Planner(source, module)
    except Exception:  # metadata that libcst cannot compute: leave the file alone
        return unchanged

    fixed: list[Violation] = []
    skipped: list[Violation] = []
    for violation in violations:
        allowed = violation.code in SAFE_FIXES or (unsafe and violation.code in UNSAFE_FIXES)
        try:
            ok = allowed and planner.plan(violation)
        except Exception:  # a shape the planner did not foresee: skip rather than crash
            ok = False
        (fixed if ok else skipped).append(violation)
    if not fixed:
        return unchanged
    try:
        new_source = planner.render()
        ast.parse(new_source)
    except Exception:  # never write a file that no longer parses
        return unchanged
    if new_source == source:
        return FixResult(source, [], violations)
    return FixResult(new_source, fixed, skipped)


# --- vocabulary ---------------------------------------------------------------------------------

LEGACY_FLAGS = ("__include_in_export__", "__core__")
SCOPE_ATTR = "__relocation_scope__"
LEGACY_SILO = {
    "region_silo_model": "cell_silo_model",
    "region_silo_only_model": "cell_silo_model",
    "customer_silo_model": "cell_silo_model",
    "control_silo_only_model": "control_silo_model",
}
SILO_MODULES = ("sentry.db.models", "sentry.db.models.base")
BOUNDED_MODULES = ("sentry.db.models", "sentry.db.models.fields", "sentry.db.models.fields.bounded")
SCOPES_MODULE = "sentry.backup.scopes"
STATE_MODULE = "sentry.new_migrations.monkey.state"
#: code -> (operation name, replacement, module of the replacement, adds deletion_action)
SAFE_OPERATIONS = {
    "SML220": ("RemoveField", "SafeRemoveField", "sentry.new_migrations.monkey.fields", True),
    "SML221": ("DeleteModel", "SafeDeleteModel", "sentry.new_migrations.monkey.models", True),
    "SML240": ("RunSQL", "SafeRunSQL", "sentry.new_migrations.monkey.special", False),
}
#: the last name of the zero-argument callables SML136 reports (the rule resolved the import)
EVALUATED_ONCE_NAMES = frozenset(name.rpartition(".")[2] for name in EVALUATED_ONCE)
FIRST_PARTY = frozenset({"sentry", "getsentry", "sentry_plugins", "fixtures"})

#: the comment block Sentry's migration template puts above ``is_post_deployment``
POST_DEPLOYMENT_COMMENT = (
    "# is_post_deployment marks a migration that is not applied automatically in production.",
    "# Set it to True for operations that are safe to run after the code has been deployed",
    "# and that could hold up a deploy otherwise, for example:",
    "# - large data migrations, which are better run by hand and watched while they run;",
    "# - adding indexes to large tables, which can take a long time;",
    "# - anything else that may run for a long time or lock tables.",
    "# Post-deployment migrations are applied manually once the deploy has gone out.",
    "# Leave it False for ordinary schema changes.",
    "# Once deployed, run these manually via: https://develop.sentry.dev/database-migrations/#migration-deployment",
)

Edit = Callable[[Any], Any]  # updated node -> replacement node (or a RemovalSentinel)


# --- small helpers ------------------------------------------------------------------------------


def _code(node: cst.CSTNode) -> str:
    return cst.Module(body=()).code_for_node(node)


def _has_comment(node: cst.CSTNode | None) -> bool:
    return node is not None and "#" in _code(node)


def _callee_name(func: cst.BaseExpression) -> str | None:
    """``RemoveField`` for ``RemoveField`` or ``<anything>.RemoveField``."""
    if isinstance(func, cst.Name):
        return func.value
    if isinstance(func, cst.Attribute):
        return func.attr.value
    return None


def _dotted(node: cst.BaseExpression) -> bool:
    """A plain name or a chain of attribute accesses on one (no calls, subscripts, parens)."""
    if node.lpar:
        return False
    if isinstance(node, cst.Name):
        return True
    return isinstance(node, cst.Attribute) and _dotted(node.value)


def _keyword(call: cst.Call, name: str) -> cst.Arg | None:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg
    return None


def _positional(call: cst.Call) -> list[cst.Arg]:
    return [a for a in call.args if a.keyword is None and not a.star]


def _has_star(call: cst.Call) -> bool:
    return any(a.star for a in call.args)


def _kwarg(name: str, value: cst.BaseExpression) -> cst.Arg:
    return cst.Arg(
        keyword=cst.Name(name),
        value=value,
        equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")),
    )


def _is_literal(node: cst.BaseExpression) -> bool:
    """A literal number, string (not bytes, not an f-string) or bool."""
    if isinstance(node, (cst.Integer, cst.Float)):
        return True
    if isinstance(node, cst.SimpleString):
        return "b" not in node.prefix.lower()
    if isinstance(node, cst.ConcatenatedString):
        return _is_literal(node.left) and _is_literal(node.right)
    if isinstance(node, cst.Name):
        return node.value in ("True", "False")
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, (cst.Minus, cst.Plus)):
        return isinstance(node.expression, (cst.Integer, cst.Float))
    return False


def _single_assignment(stmt: cst.BaseStatement) -> str | None:
    """The name a line like ``name = value`` assigns (one statement, one plain target)."""
    if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1:
        small = stmt.body[0]
        if isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name):
            return small.targets[0].target.value
    return None


def _drop_statements(block: cst.IndentedBlock, indices: set[int]) -> cst.IndentedBlock:
    """``block`` without the statements at ``indices``. Comment lines above a removed statement
    move to the next statement kept (or to the block's footer); an emptied block gets ``pass``."""
    body: list[cst.BaseStatement] = []
    pending: list[cst.EmptyLine] = []
    for i, stmt in enumerate(block.body):
        if i in indices:
            if any(e.comment for e in stmt.leading_lines):
                pending += stmt.leading_lines
            continue
        if pending:
            stmt = stmt.with_changes(leading_lines=[*pending, *stmt.leading_lines])
            pending = []
        body.append(stmt)
    if not body:
        body.append(cst.SimpleStatementLine(body=[cst.Pass()], leading_lines=pending))
        pending = []
    return block.with_changes(body=body, footer=[*pending, *block.footer])


def _target_names(stmt: cst.BaseStatement) -> list[str]:
    """Names a class-body statement assigns (``x = ...``, ``x: T = ...``, ``def x``, ``class x``)."""
    if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
        return [stmt.name.value]
    names = []
    if isinstance(stmt, cst.SimpleStatementLine):
        for small in stmt.body:
            if isinstance(small, cst.Assign):
                names += [t.target.value for t in small.targets if isinstance(t.target, cst.Name)]
            elif isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
                names.append(small.target.value)
    return names


def _is_docstring(stmt: cst.CSTNode) -> bool:
    return (
        isinstance(stmt, cst.SimpleStatementLine)
        and len(stmt.body) == 1
        and isinstance(stmt.body[0], cst.Expr)
        and isinstance(stmt.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )


def _import_line(stmt: cst.CSTNode) -> bool:
    return (
        isinstance(stmt, cst.SimpleStatementLine)
        and bool(stmt.body)
        and all(isinstance(s, (cst.Import, cst.ImportFrom)) for s in stmt.body)
    )


def _import_module(node: cst.Import | cst.ImportFrom) -> str:
    if isinstance(node, cst.Import):
        return get_full_name_for_node(node.names[0].name) or ""
    name = get_full_name_for_node(node.module) if node.module is not None else ""
    return "." * len(node.relative) + (name or "")


def _section(module: str) -> int:
    """isort's sections: future, standard library, third party, first party, local."""
    if module == "__future__":
        return 0
    if module.startswith("."):
        return 4
    root = module.split(".")[0]
    if root in getattr(sys, "stdlib_module_names", ()):
        return 1
    if root in FIRST_PARTY:
        return 3
    return 2


def _line_key(stmt: cst.SimpleStatementLine) -> tuple[int, str]:
    node = stmt.body[0]
    return (0 if isinstance(node, cst.Import) else 1, _import_module(node).lower())


def _name_key(name: str) -> tuple[int, str]:
    """isort's default order inside ``from x import ...``: CONSTANTS, Classes, functions."""
    kind = 0 if name.isupper() and len(name) > 1 else 1 if name[:1].isupper() else 2
    return kind, name.lower()


def _blank_prefix(lines: Sequence[cst.EmptyLine]) -> tuple[list[cst.EmptyLine], list[cst.EmptyLine]]:
    """The leading blank lines of a statement's ``leading_lines``, and the rest."""
    lines = list(lines)
    count = 0
    while count < len(lines) and lines[count].comment is None:
        count += 1
    return lines[:count], lines[count:]


def _blank() -> cst.EmptyLine:
    return cst.EmptyLine(indent=False)


# --- commas: inserting into and removing from comma-separated lists -----------------------------


def _clean(ws: cst.BaseParenthesizableWhitespace) -> cst.BaseParenthesizableWhitespace:
    """A separator's whitespace without the comment or comment lines it may carry."""
    if isinstance(ws, cst.ParenthesizedWhitespace):
        return ws.with_changes(first_line=cst.TrailingWhitespace(), empty_lines=())
    return ws


def _separator(items: Sequence[Any], opener: cst.BaseParenthesizableWhitespace | None) -> cst.Comma:
    """The comma (and line break, for one item per line) that separates two items."""
    if len(items) >= 2 and isinstance(items[0].comma, cst.Comma):
        comma = items[0].comma
        return cst.Comma(whitespace_before=comma.whitespace_before, whitespace_after=_clean(comma.whitespace_after))
    if isinstance(opener, cst.ParenthesizedWhitespace):
        return cst.Comma(whitespace_after=_clean(opener))
    return cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))


def _insert_item(items: Sequence[Any], index: int, new: Any, opener: cst.BaseParenthesizableWhitespace | None) -> list[Any]:
    """``items`` with ``new`` at ``index``, punctuated like its neighbours. Items are Args or
    ImportAliases; a trailing comment stays on the line of the item it followed."""
    items = list(items)
    if not items:
        return [new]
    sep = _separator(items, opener)
    if index < len(items):
        return [*items[:index], new.with_changes(comma=sep), *items[index:]]
    last = items[-1]
    trailing = last.comma
    after_arg = getattr(last, "whitespace_after_arg", None)
    sep_ws = sep.whitespace_after
    if isinstance(trailing, cst.Comma):
        ws = trailing.whitespace_after
        if isinstance(ws, cst.ParenthesizedWhitespace) and isinstance(sep_ws, cst.ParenthesizedWhitespace):
            last = last.with_changes(
                comma=trailing.with_changes(
                    whitespace_after=ws.with_changes(empty_lines=(), indent=sep_ws.indent, last_line=sep_ws.last_line)
                )
            )
            new = new.with_changes(comma=cst.Comma(whitespace_after=ws.with_changes(first_line=cst.TrailingWhitespace())))
        else:
            last, new = last.with_changes(comma=sep), new.with_changes(comma=trailing)
    elif isinstance(after_arg, cst.ParenthesizedWhitespace):
        # one argument per line without a trailing comma: the line break before ")" follows
        # the last argument
        if isinstance(sep_ws, cst.ParenthesizedWhitespace):
            comma = cst.Comma(whitespace_after=after_arg.with_changes(empty_lines=(), indent=sep_ws.indent, last_line=sep_ws.last_line))
            new = new.with_changes(whitespace_after_arg=after_arg.with_changes(first_line=cst.TrailingWhitespace()))
        else:
            comma, new = sep, new.with_changes(whitespace_after_arg=after_arg)
        last = last.with_changes(whitespace_after_arg=cst.SimpleWhitespace(""), comma=comma)
    else:
        last = last.with_changes(comma=sep)
    return [*items[:-1], last, new]


def _remove_item(items: Sequence[Any], index: int) -> list[Any] | None:
    """``items`` without the one at ``index``; None when that would lose a comment."""
    items = list(items)
    if len(items) < 2 or _has_comment(items[index]):
        return None
    if index < len(items) - 1:
        return items[:index] + items[index + 1 :]
    prev, gone = items[index - 1], items[index]
    comma = gone.comma
    if isinstance(prev.comma, cst.Comma) and isinstance(prev.comma.whitespace_after, cst.ParenthesizedWhitespace):
        if isinstance(comma, cst.Comma) and isinstance(comma.whitespace_after, cst.ParenthesizedWhitespace):
            # keep the previous item's own comment, take the closing line from the removed one
            comma = prev.comma.with_changes(
                whitespace_after=prev.comma.whitespace_after.with_changes(
                    empty_lines=comma.whitespace_after.empty_lines,
                    indent=comma.whitespace_after.indent,
                    last_line=comma.whitespace_after.last_line,
                )
            )
        elif _has_comment(prev.comma):
            return None
    elif _has_comment(prev.comma):
        return None
    return [*items[: index - 1], prev.with_changes(comma=comma)]


def _alias_name(alias: cst.ImportAlias) -> str:
    return get_full_name_for_node(alias.name) or ""


def _edit_import_from(node: cst.ImportFrom, add: Iterable[str], remove: Iterable[str]) -> cst.ImportFrom | None:
    """The import with names removed and added (in isort order when it is sorted); None if a
    removal would lose a comment or empty the import."""
    names = list(node.names)  # type: ignore[arg-type]
    opener = node.lpar.whitespace_after if node.lpar is not None else None
    for name in add:  # adding first lets a lone name be replaced
        if any(_alias_name(a) == name and a.asname is None for a in names):
            continue
        keys = [_name_key(_alias_name(a)) for a in names]
        index = len(names)
        if keys == sorted(keys):
            index = next((i for i, k in enumerate(keys) if k > _name_key(name)), len(names))
        names = _insert_item(names, index, cst.ImportAlias(name=cst.Name(name)), opener)
    for name in remove:
        index = next((i for i, a in enumerate(names) if _alias_name(a) == name and a.asname is None), None)
        if index is None:
            continue
        reduced = _remove_item(names, index)
        if reduced is None:
            return None
        names = reduced
    if node.lpar is None and isinstance(names[-1].comma, cst.Comma):
        names[-1] = names[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    return node.with_changes(names=names)


# --- the planner --------------------------------------------------------------------------------


class _Index(cst.CSTVisitor):
    """Parents and, per start position, the nodes that start there (outermost first)."""

    def __init__(self, positions: Any) -> None:
        super().__init__()
        self.positions = positions
        self.parents: dict[int, cst.CSTNode] = {}
        self.at: dict[tuple[int, int], list[cst.CSTNode]] = {}
        self.names: dict[str, int] = {}  # Name value -> count, Attribute.attr names included
        self.strings: set[str] = set()  # contents of simple string literals
        self._stack: list[cst.CSTNode] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        if self._stack:
            self.parents[id(node)] = self._stack[-1]
        self._stack.append(node)
        pos = self.positions.get(node)
        if pos is not None:
            self.at.setdefault((pos.start.line, pos.start.column), []).append(node)
        if isinstance(node, cst.Name):
            self.names[node.value] = self.names.get(node.value, 0) + 1
        elif isinstance(node, cst.SimpleString):
            try:
                value = node.evaluated_value
            except Exception:
                value = None
            if isinstance(value, str):
                self.strings.add(value)
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self._stack.pop()


@dataclass
class _Release:
    """An imported name a fix stops using: removed from its import if nothing else uses it."""

    name: str
    assignment: ImportAssignment
    gone: list[cst.CSTNode]


class _Applier(cst.CSTTransformer):
    def __init__(self, edits: dict[int, list[Edit]]) -> None:
        super().__init__()
        self.edits = edits

    def on_leave(self, original_node: Any, updated_node: Any) -> Any:
        for edit in self.edits.get(id(original_node), ()):
            if not isinstance(updated_node, cst.CSTNode):
                break
            updated_node = edit(updated_node)
        return updated_node


class _Planner:
    def __init__(self, source: str, module: cst.Module) -> None:
        self.lines = re.split(r"\r\n|\r|\n", source)
        self.wrapper = MetadataWrapper(module)
        self.module = self.wrapper.module
        self.scopes = self.wrapper.resolve(ScopeProvider)
        self.index = _Index(self.wrapper.resolve(PositionProvider))
        self.module.visit(self.index)
        self.global_scope = self.scopes[self.module]
        self.edits: dict[int, list[Edit]] = {}
        self.done: set[tuple[str, int]] = set()  # (code, node id) already fixed
        self.imports: dict[str, list[str]] = {}  # module -> names to import from it
        self.releases: list[_Release] = []
        self.gone: set[int] = set()  # ids of Name nodes the fixes replace
        self.classes_with_scope: set[int] = set()  # SML104: classes given a __relocation_scope__
        self.removed: dict[int, set[int]] = {}  # block id -> indices of the statements removed from it
        self.top_level = {id(s) for s in self.module.body}

    # -- locating ---------------------------------------------------------------------------------

    def _position(self, violation: Violation) -> tuple[int, int] | None:
        if not 0 < violation.line <= len(self.lines):
            return None
        text = self.lines[violation.line - 1]
        column = len(text.encode("utf-8")[: max(violation.col, 0)].decode("utf-8", "ignore"))
        return violation.line, column

    def _nodes_at(self, violation: Violation) -> list[cst.CSTNode]:
        pos = self._position(violation)
        return self.index.at.get(pos, []) if pos is not None else []

    def _find(self, violation: Violation, kinds: type | tuple[type, ...]) -> Any:
        return next((n for n in self._nodes_at(violation) if isinstance(n, kinds)), None)

    def _outer_expression(self, violation: Violation) -> cst.BaseExpression | None:
        return next((n for n in self._nodes_at(violation) if isinstance(n, cst.BaseExpression)), None)

    def _parent(self, node: cst.CSTNode) -> cst.CSTNode | None:
        return self.index.parents.get(id(node))

    def _enclosing_class(self, stmt: cst.CSTNode) -> tuple[cst.ClassDef, cst.IndentedBlock] | None:
        block = self._parent(stmt)
        cls = self._parent(block) if block is not None else None
        if isinstance(block, cst.IndentedBlock) and isinstance(cls, cst.ClassDef):
            return cls, block
        return None

    def _default_value(self, violation: Violation) -> cst.BaseExpression | None:
        """The value of a ``default=`` keyword that starts at the finding."""
        node = self._outer_expression(violation)
        parent = self._parent(node) if node is not None else None
        if (
            isinstance(parent, cst.Arg)
            and parent.value is node
            and parent.keyword is not None
            and parent.keyword.value == "default"
        ):
            return node
        return None

    # -- recording --------------------------------------------------------------------------------

    def _edit(self, node: cst.CSTNode, edit: Edit) -> None:
        self.edits.setdefault(id(node), []).append(edit)

    def _replace(self, node: cst.CSTNode, new: cst.CSTNode) -> None:
        self._edit(node, lambda _updated: new)

    def _remove_statement(self, block: cst.IndentedBlock, index: int) -> None:
        """Remove ``block.body[index]``; its comment lines move to the next statement kept."""
        indices = self.removed.get(id(block))
        if indices is None:
            indices = self.removed[id(block)] = set()
            self._edit(block, lambda n: _drop_statements(n, indices))
        indices.add(index)

    def _bound_import(self, module: str, name: str, at: cst.CSTNode) -> str | None:
        """The name under which a module-level ``from module import name as alias`` makes
        ``module.name`` visible at ``at``, when that is the only binding of the alias."""
        for assignment in self.global_scope.assignments:
            node = assignment.node
            if not isinstance(assignment, ImportAssignment) or not isinstance(node, cst.ImportFrom):
                continue
            if node.relative or isinstance(node.names, cst.ImportStar) or _import_module(node) != module:
                continue
            if not self._is_top_level(node):
                continue
            for alias in node.names:
                bound = get_full_name_for_node(alias.asname.name) if alias.asname is not None else _alias_name(alias)
                if _alias_name(alias) != name or bound != assignment.name:
                    continue
                found = self._assignments(bound, at)
                if len(found) == 1 and found[0] is assignment:
                    return bound
        return None

    # -- names and imports ------------------------------------------------------------------------

    def _assignments(self, name: str, at: cst.CSTNode | None = None) -> list[Any]:
        scope = self.scopes.get(at) if at is not None else None
        scope = scope or self.global_scope
        return [a for a in scope[name] if not isinstance(a, BuiltinAssignment)]

    def _top_import_from(self, assignment: Any, modules: Iterable[str], name: str) -> bool:
        """Whether ``assignment`` is a module-level ``from <one of modules> import name``."""
        if not isinstance(assignment, ImportAssignment) or not isinstance(assignment.node, cst.ImportFrom):
            return False
        node = assignment.node
        if node.relative or _import_module(node) not in modules or isinstance(node.names, cst.ImportStar):
            return False
        if not self._is_top_level(node):
            return False
        return any(_alias_name(a) == name and (a.asname is None or get_full_name_for_node(a.asname.name) == name) for a in node.names)

    def _is_top_level(self, small: cst.CSTNode) -> bool:
        line = self._parent(small)
        return line is not None and id(line) in self.top_level

    def _can_import(self, module: str, name: str, at: cst.CSTNode, also: Sequence[str] = ()) -> bool:
        """Whether ``name`` can refer to ``module.name`` where ``at`` is: already imported so,
        already planned, or free to import."""
        modules = (module, *also)
        found = self._assignments(name, at)
        if found:
            return all(self._top_import_from(a, modules, name) for a in found)
        # a free name: nothing binds it where it is used, nor anywhere in the module
        return not self._assignments(name) or name in self.imports.get(module, [])

    def _need_import(self, module: str, name: str) -> None:
        if self._assignments(name):
            return  # bound by an existing import (checked by _can_import)
        names = self.imports.setdefault(module, [])
        if name not in names:
            names.append(name)

    def _release_name(self, name_node: cst.Name, modules: Sequence[str] | None = None) -> None:
        """The fix replaces ``name_node``; drop its import if nothing else uses the name."""
        self.gone.add(id(name_node))
        found = self._assignments(name_node.value, name_node)
        if len(found) != 1 or not isinstance(found[0], ImportAssignment):
            return
        assignment = found[0]
        if not isinstance(assignment.node, cst.ImportFrom) or not self._is_top_level(assignment.node):
            return
        if modules is not None and _import_module(assignment.node) not in modules:
            return
        self.releases.append(_Release(name_node.value, assignment, [name_node]))

    def _migrations_name(self, at: cst.CSTNode) -> tuple[str, bool] | None:
        """The name the module binds to ``django.db.migrations`` (and whether the import must be
        added), or None when ``migrations`` means something else."""
        bound = self._bound_import("django.db", "migrations", at)
        if bound is not None:
            return bound, False
        for assignment in self.global_scope.assignments:
            node = assignment.node
            if not isinstance(assignment, ImportAssignment) or not isinstance(node, cst.Import) or not self._is_top_level(node):
                continue
            for alias in node.names:
                if _alias_name(alias) == "django.db.migrations" and alias.asname is not None:
                    bound = get_full_name_for_node(alias.asname.name)
                    if bound == assignment.name and len(self._assignments(bound, at)) == 1:
                        return bound, False
        if self._can_import("django.db", "migrations", at):
            return "migrations", True
        return None

    # -- dispatch ---------------------------------------------------------------------------------

    def plan(self, violation: Violation) -> bool:
        planner = getattr(self, f"_fix_{violation.code.lower()}", None)
        if planner is None:
            return False
        return bool(planner(violation))

    def _once(self, code: str, node: cst.CSTNode) -> bool:
        """False when the node was already fixed for this code (a duplicate finding)."""
        key = (code, id(node))
        if key in self.done:
            return False
        self.done.add(key)
        return True

    # -- SML1xx -----------------------------------------------------------------------------------

    def _fix_sml104(self, violation: Violation) -> bool:
        assign = self._find(violation, cst.Assign)
        if assign is None or len(assign.targets) != 1:
            return False
        target = assign.targets[0].target
        if not (isinstance(target, cst.Name) and target.value in LEGACY_FLAGS):
            return False
        if not (isinstance(assign.value, cst.Name) and assign.value.value == "False"):
            return False  # `= True` needs a human to choose the scope
        line = self._parent(assign)
        if not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1:
            return False
        found = self._enclosing_class(line)
        if found is None:
            return False
        cls, block = found
        position = next(i for i, s in enumerate(block.body) if s is line)
        # earlier assignments of the same flag are dead stores the rule does not report (the last
        # one wins): they go too, or the flag would come back after the fix
        earlier = [i for i, s in enumerate(block.body[:position]) if target.value in _target_names(s)]
        if any(_single_assignment(block.body[i]) != target.value for i in earlier):
            return False  # bound some other way (a def, a chained assignment): leave it to a human
        if len(m.findall(block, m.Name(target.value))) != len(earlier) + 1:
            return False  # the class body reads the flag
        has_scope = id(cls) in self.classes_with_scope or any(SCOPE_ATTR in _target_names(s) for s in block.body)
        if not has_scope:
            scope_name = self._bound_import(SCOPES_MODULE, "RelocationScope", assign)
            if scope_name is None and not self._can_import(SCOPES_MODULE, "RelocationScope", assign):
                return False
        if not self._once("SML104", line):
            return True
        for i in earlier:
            self._remove_statement(block, i)
        if has_scope:
            self._remove_statement(block, position)
            return True
        self.classes_with_scope.add(id(cls))
        if scope_name is None:
            scope_name = "RelocationScope"
            self._need_import(SCOPES_MODULE, scope_name)
        self._edit(
            assign,
            lambda n: n.with_changes(
                targets=[n.targets[0].with_changes(target=cst.Name(SCOPE_ATTR))],
                value=cst.Attribute(value=cst.Name(scope_name), attr=cst.Name("Excluded")),
            ),
        )
        return True

    def _fix_sml106(self, violation: Violation) -> bool:
        node = self._outer_expression(violation)
        decorator = self._parent(node) if node is not None else None
        if not isinstance(decorator, cst.Decorator) or decorator.decorator is not node or node.lpar:
            return False
        if isinstance(node, cst.Attribute) and node.attr.value in LEGACY_SILO and _dotted(node):
            new = LEGACY_SILO[node.attr.value]
            if self._once("SML106", node):
                self._edit(node.attr, lambda n: n.with_changes(value=new))
            return True
        if not (isinstance(node, cst.Name) and node.value in LEGACY_SILO):
            return False
        old, new = node.value, LEGACY_SILO[node.value]
        found = self._assignments(old, node)
        if len(found) != 1 or not self._top_import_from(found[0], SILO_MODULES, old):
            return False
        module = _import_module(found[0].node)
        if not self._can_import(module, new, node, SILO_MODULES):
            return False
        if self._once("SML106", node):
            self._need_import(module, new)
            self._replace(node, node.with_changes(value=new))
            self._release_name(node, SILO_MODULES)
        return True

    def _fix_sml130(self, violation: Violation) -> bool:
        node = self._default_value(violation)
        if node is None or _has_comment(node):
            return False
        if isinstance(node, cst.Dict) and not node.elements:
            name = "dict"
        elif isinstance(node, cst.List) and not node.elements:
            name = "list"
        elif isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == "set" and not node.args:
            name = "set"
        else:
            return False  # a non-empty literal has no one-word replacement
        if self._assignments(name, node):
            return False  # the builtin is shadowed here
        if self._once("SML130", node):
            self._replace(node, cst.Name(name, lpar=node.lpar, rpar=node.rpar))
        return True

    def _fix_sml133(self, violation: Violation) -> bool:
        call = self._outer_expression(violation)
        if not isinstance(call, cst.Call) or call.func.lpar or _callee_name(call.func) != "BigIntegerField":
            return False
        if not _dotted(call.func):
            return False
        if not self._can_import("sentry.db.models", "BoundedBigIntegerField", call, BOUNDED_MODULES):
            return False
        if self._once("SML133", call):
            self._need_import("sentry.db.models", "BoundedBigIntegerField")
            self._edit(call, lambda n: n.with_changes(func=cst.Name("BoundedBigIntegerField")))
            if isinstance(call.func, cst.Name):
                self._release_name(call.func)
        return True

    def _fix_sml136(self, violation: Violation) -> bool:
        call = self._default_value(violation)
        if not isinstance(call, cst.Call) or call.args or _has_comment(call):
            return False  # arguments, or `uuid4().hex` (an attribute, not the call)
        func = call.func
        if not _dotted(func) or _callee_name(func) not in EVALUATED_ONCE_NAMES:
            return False
        if isinstance(func, cst.Name) and func.value in ("dict", "list") and self._assignments(func.value, call):
            return False
        if self._once("SML136", call):
            self._edit(call, lambda n: n.func.with_changes(lpar=n.lpar, rpar=n.rpar))
        return True

    # -- SML2xx -----------------------------------------------------------------------------------

    def _fix_sml202(self, violation: Violation) -> bool:
        cls = self._find(violation, cst.ClassDef)
        if cls is None or not isinstance(cls.body, cst.IndentedBlock):
            return False
        if any(n in ("is_post_deployment", "is_dangerous") for s in cls.body.body for n in _target_names(s)):
            return False  # a value that is not a bool, an annotation, or the legacy name
        if not self._once("SML202", cls):
            return True

        def insert(block: cst.IndentedBlock) -> cst.IndentedBlock:
            body = list(block.body)
            at = 1 if body and _is_docstring(body[0]) else 0
            leading = [_blank()] if at else []
            leading += [cst.EmptyLine(comment=cst.Comment(text)) for text in POST_DEPLOYMENT_COMMENT]
            leading.append(_blank())
            flag = cst.SimpleStatementLine(
                body=[
                    cst.Assign(
                        targets=[cst.AssignTarget(target=cst.Name("is_post_deployment"))],
                        value=cst.Name("False"),
                    )
                ],
                leading_lines=leading,
            )
            if at < len(body) and not body[at].leading_lines:
                body[at] = body[at].with_changes(leading_lines=[_blank()])
            return block.with_changes(body=[*body[:at], flag, *body[at:]])

        self._edit(cls.body, insert)
        return True

    def _fix_sml203(self, violation: Violation) -> bool:
        stmt = self._find(violation, (cst.Assign, cst.AnnAssign))
        if stmt is None:
            return False
        if isinstance(stmt, cst.Assign):
            if len(stmt.targets) != 1:
                return False
            target = stmt.targets[0].target
        else:
            target = stmt.target
        if not (isinstance(target, cst.Name) and target.value == "is_dangerous"):
            return False
        line = self._parent(stmt)
        found = self._enclosing_class(line) if line is not None else None
        if found is None:
            return False
        if any("is_post_deployment" in _target_names(s) for s in found[1].body):
            return False  # both names: a human must decide which value holds
        if self._once("SML203", target):
            self._replace(target, target.with_changes(value="is_post_deployment"))
        return True

    def _operation(self, violation: Violation, name: str) -> cst.Call | None:
        call = self._outer_expression(violation)
        if not isinstance(call, cst.Call) or call.func.lpar or not _dotted(call.func):
            return None
        return call if _callee_name(call.func) == name else None

    def _fix_sml210(self, violation: Violation) -> bool:
        call = self._operation(violation, "AddField")
        if call is None or _has_star(call):
            return False
        positional = _positional(call)
        field_arg = _keyword(call, "field") or (positional[2] if len(positional) > 2 else None)
        if field_arg is None or not isinstance(field_arg.value, cst.Call):
            return False
        field_call = field_arg.value
        default = _keyword(field_call, "default")
        if default is None or _keyword(field_call, "db_default") is not None:
            return False
        if not _is_literal(default.value):
            return False  # None, a name, a call: not a value Postgres can hold as written
        if self._once("SML210", default):
            self._edit(default, lambda n: n.with_changes(keyword=n.keyword.with_changes(value="db_default")))
        return True

    def _safe_operation(self, violation: Violation) -> bool:
        old, new, module, pending = SAFE_OPERATIONS[violation.code]
        call = self._operation(violation, old)
        if call is None or _has_star(call):
            return False
        if pending and _keyword(call, "deletion_action") is not None:
            return False
        if not self._can_import(module, new, call):
            return False
        if pending and not self._can_import(STATE_MODULE, "DeletionAction", call):
            return False
        if not self._once(violation.code, call):
            return True
        self._need_import(module, new)
        if pending:
            self._need_import(STATE_MODULE, "DeletionAction")

        def rewrite(node: cst.Call) -> cst.Call:
            node = node.with_changes(func=cst.Name(new))
            if pending:
                action = cst.Attribute(value=cst.Name("DeletionAction"), attr=cst.Name("MOVE_TO_PENDING"))
                node = node.with_changes(
                    args=_insert_item(node.args, len(node.args), _kwarg("deletion_action", action), node.whitespace_before_args)
                )
            return node

        self._edit(call, rewrite)
        if isinstance(call.func, cst.Name):
            self._release_name(call.func)
        return True

    _fix_sml220 = _safe_operation
    _fix_sml221 = _safe_operation
    _fix_sml240 = _safe_operation

    def _fix_sml242(self, violation: Violation) -> bool:
        call = self._operation(violation, "RunPython")
        if call is None or _has_star(call):
            return False
        positional = _positional(call)
        if not positional:
            return False
        reverse = _keyword(call, "reverse_code") or (positional[1] if len(positional) > 1 else None)
        if reverse is not None and not (isinstance(reverse.value, cst.Name) and reverse.value.value == "None"):
            return False
        found = self._migrations_name(call)
        if found is None:
            return False
        name, add = found
        if not self._once("SML242", call):
            return True
        if add:
            self._need_import("django.db", "migrations")

        def noop() -> cst.Attribute:
            return cst.Attribute(value=cst.Attribute(value=cst.Name(name), attr=cst.Name("RunPython")), attr=cst.Name("noop"))

        if reverse is not None:
            self._edit(reverse, lambda n: n.with_changes(value=noop().with_changes(lpar=n.value.lpar, rpar=n.value.rpar)))
        else:
            self._edit(
                call,
                lambda n: n.with_changes(
                    args=_insert_item(n.args, len(n.args), _kwarg("reverse_code", noop()), n.whitespace_before_args)
                ),
            )
        return True

    # -- SML3xx -----------------------------------------------------------------------------------

    def _fix_sml302(self, violation: Violation) -> bool:
        stmt = self._find(violation, (cst.Assign, cst.AnnAssign))
        if stmt is None or stmt.value is None:
            return False
        targets = [t.target for t in stmt.targets] if isinstance(stmt, cst.Assign) else [stmt.target]
        if len(targets) != 1 or not (isinstance(targets[0], cst.Name) and targets[0].value in ("migrate_from", "migrate_to")):
            return False
        value = stmt.value
        if not isinstance(value, cst.SimpleString) or value.prefix or value.quote != "'":
            return False  # not a plain single-quoted string (a raw, bytes or triple-quoted one)
        inner = value.value[1:-1]
        if '"' in inner or "\\" in inner:
            return False
        if self._once("SML302", value):
            self._replace(value, value.with_changes(value=f'"{inner}"'))
        return True

    def _fix_sml304(self, violation: Violation) -> bool:
        func = self._find(violation, cst.FunctionDef)
        if func is None or func.decorators or func.asynchronous is not None:
            return False
        old = func.name.value
        meant = MISSPELLED_HOOKS.get(old.lower().replace("_", ""))
        if meant is None or meant == old:
            return False  # `setup_before_migration` without `apps`: the body needs a human
        found = self._enclosing_class(func)
        if found is None or any(meant in _target_names(s) for s in found[1].body):
            return False
        if self.index.names.get(old, 0) != 1 or old in self.index.strings:
            return False  # called or named elsewhere: renaming would break that use
        params = func.params
        positional = [*params.posonly_params, *params.params]
        wanted = 2 if meant == "setup_before_migration" else 1
        takes = len(positional) >= wanted or isinstance(params.star_arg, cst.Param)
        if not takes or any(p.default is None for p in positional[wanted:]):
            return False  # TestMigrations could not call it with its arguments
        if any(p.default is None for p in params.kwonly_params):
            return False
        if self._once("SML304", func):
            self._replace(func.name, func.name.with_changes(value=meant))
        return True

    def _fix_sml306(self, violation: Violation) -> bool:
        call = self._outer_expression(violation)
        decorator = self._parent(call) if call is not None else None
        if not isinstance(call, cst.Call) or not isinstance(decorator, cst.Decorator) or decorator.decorator is not call:
            return False
        func = call.func
        if not (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.attr.value == "skip"):
            return False
        if func.lpar or func.value.lpar or _has_star(call) or len(_positional(call)) > 1:
            return False
        if any(a.keyword is not None and a.keyword.value != "reason" for a in call.args):
            return False  # msg=, allow_module_level=: not arguments of the mark
        pytest_name = func.value.value
        found = self._assignments(pytest_name, call)
        if not (
            len(found) == 1
            and isinstance(found[0], ImportAssignment)
            and isinstance(found[0].node, cst.Import)
            and any(_alias_name(a) == "pytest" for a in found[0].node.names)
        ):
            return False
        if self._once("SML306", call):
            self._edit(
                call,
                lambda n: n.with_changes(func=n.func.with_changes(value=cst.Attribute(value=n.func.value, attr=cst.Name("mark")))),
            )
        return True

    # -- rendering --------------------------------------------------------------------------------

    def _import_froms(self) -> list[tuple[int, cst.ImportFrom]]:
        """Module-level ``from x import ...`` statements, one per line, with their index."""
        out = []
        for position, stmt in enumerate(self.module.body):
            if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1 and isinstance(stmt.body[0], cst.ImportFrom):
                node = stmt.body[0]
                if not node.relative and not isinstance(node.names, cst.ImportStar):
                    out.append((position, node))
        return out

    def render(self) -> str:
        froms = self._import_froms()
        changes: dict[int, tuple[cst.ImportFrom, list[str], list[str]]] = {}
        new_lines: list[tuple[str, list[str]]] = []
        for module, names in self.imports.items():
            existing = next((node for _, node in froms if _import_module(node) == module), None)
            if existing is not None:
                changes.setdefault(id(existing), (existing, [], []))[1].extend(names)
            else:
                new_lines.append((module, sorted(names, key=_name_key)))
        for release in self.releases:
            refs = [r for r in release.assignment.references if id(r.node) not in self.gone]
            if refs or release.name in self.index.strings:
                continue  # still used, or listed in __all__
            node = release.assignment.node
            changes.setdefault(id(node), (node, [], []))[2].append(release.name)

        removed_lines: set[int] = set()
        for node, add, remove in changes.values():
            edited = _edit_import_from(node, add, remove)
            if edited is None and remove:
                line = self._parent(node)
                whole = not add and set(remove) >= {_alias_name(a) for a in node.names}
                if whole and line is not None and not _has_comment(line):
                    removed_lines.add(next(i for i, s in enumerate(self.module.body) if s is line))
                    continue
                edited = _edit_import_from(node, add, [])  # keep the unused name rather than a comment
            if edited is not None:
                self._replace(node, edited)
        if new_lines or removed_lines:
            self._edit(self.module, lambda m: self._rebuild_header(m, new_lines, removed_lines))
        return self.module.visit(_Applier(self.edits)).code

    def _rebuild_header(self, module: cst.Module, new_lines: list[tuple[str, list[str]]], removed: set[int]) -> cst.Module:
        """Insert the new import lines in the module's import block, in isort order, and drop
        the import lines that lost their last name."""
        body = list(module.body)
        start = 1 if body and _is_docstring(body[0]) else 0
        end = start
        while end < len(body) and _import_line(body[end]):
            end += 1
        # entries of the import block: (statement, is new, section, key)
        entries: list[tuple[cst.SimpleStatementLine, bool, int, tuple[int, str]]] = []
        carry: list[cst.EmptyLine] | None = None  # blank lines of the removed line(s) before
        for position in range(start, end):
            stmt = body[position]
            if position in removed:
                if carry is None:
                    carry = _blank_prefix(stmt.leading_lines)[0]
                continue
            section = _section(_import_module(stmt.body[0]))
            if carry is not None:
                # the line after a removed one separates itself as the removed one did
                _blanks, kept = _blank_prefix(stmt.leading_lines)
                if not entries:
                    stmt = stmt.with_changes(leading_lines=[*carry, *kept])
                elif entries[-1][2] != section:
                    stmt = stmt.with_changes(leading_lines=[_blank(), *kept])
            carry = None
            entries.append((stmt, False, section, _line_key(stmt)))
        rest = [s for i, s in enumerate(body[end:], start=end) if i not in removed]
        if carry is not None and rest and not rest[0].leading_lines:
            rest[0] = rest[0].with_changes(leading_lines=carry)
        first_before = entries[0][0] if entries else None  # the block's first line, if any

        for module_name, names in sorted(new_lines, key=lambda item: (_section(item[0]), item[0].lower())):
            stmt = cst.parse_statement(f"from {module_name} import {', '.join(names)}\n")
            section, key = _section(module_name), (1, module_name.lower())
            same = [i for i, e in enumerate(entries) if e[2] == section]
            if same:
                before = [i for i in same if entries[i][3] <= key]
                at = before[-1] + 1 if before else same[0]
            else:
                lower = [i for i, e in enumerate(entries) if e[2] < section]
                at = lower[-1] + 1 if lower else 0
            entries.insert(at, (stmt, True, section, key))  # type: ignore[arg-type]

        header: list[cst.BaseStatement] = []
        previous: tuple[cst.SimpleStatementLine, bool, int, tuple[int, str]] | None = None
        for entry in entries:
            stmt, new, section, _ = entry
            if previous is None:
                if new and first_before is not None:
                    blanks, _rest = _blank_prefix(first_before.leading_lines)
                    stmt = stmt.with_changes(leading_lines=blanks or ([_blank()] if start else []))
                elif new:  # the module had no import block: one blank line after a docstring
                    stmt = stmt.with_changes(leading_lines=[_blank()] if start else [])
            else:
                sep = [] if previous[2] == section else [_blank()]
                if new:
                    stmt = stmt.with_changes(leading_lines=sep)
                elif previous[1]:
                    # an old line now preceded by a new one: recompute its blank lines
                    _blanks, kept = _blank_prefix(stmt.leading_lines)
                    stmt = stmt.with_changes(leading_lines=[*sep, *kept])
            header.append(stmt)
            previous = entry
        if rest and entries and first_before is None:
            # the block was empty: keep the code after it apart from the new imports
            _blanks, kept = _blank_prefix(rest[0].leading_lines)
            two = isinstance(rest[0], (cst.ClassDef, cst.FunctionDef))
            rest[0] = rest[0].with_changes(leading_lines=[_blank(), *([_blank()] if two else []), *kept])
        return module.with_changes(body=[*body[:start], *header, *rest])
