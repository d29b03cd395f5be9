"""The fix view: one module parsed by libcst, with what a rule's fix needs to decide.

A rule's ``plan_fix`` gets a :class:`FixView` and a finding. It finds the node the finding points
at, checks that the node has exactly the shape its fix expects, asks the view what names mean
where the node is (is ``models`` Django's module here, can ``SafeRunSQL`` be imported without
shadowing anything), and answers with plain-data edits (:mod:`sentry_model_lint.fixes.edits`).
The view changes nothing; the applier does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

import libcst as cst
from libcst.helpers import get_full_name_for_node
from libcst.metadata import BuiltinAssignment, ImportAssignment, MetadataWrapper, PositionProvider, ScopeProvider

from sentry_model_lint.capabilities import TODAY, Capabilities
from sentry_model_lint.fixes.edits import At
from sentry_model_lint.fixes.shapes import alias_name, callee_name, dotted, import_module
from sentry_model_lint.rules.base import Violation


class _Index(cst.CSTVisitor):
    """Parents, positions and, per start position, the nodes that start there (outermost first)."""

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


class FixView:
    """Read-only questions about one module, for the rules' fixes (and the applier)."""

    def __init__(self, source: str, module: cst.Module, capabilities: Capabilities = TODAY) -> None:
        #: what the checkout provides: a fix names nothing else
        self.capabilities = capabilities
        self.lines = re.split(r"\r\n|\r|\n", source)
        self.wrapper = MetadataWrapper(module)
        self.module = self.wrapper.module
        self.scopes = self.wrapper.resolve(ScopeProvider)
        self.positions = self.wrapper.resolve(PositionProvider)
        self.index = _Index(self.positions)
        self.module.visit(self.index)
        global_scope = self.scopes[self.module]
        assert global_scope is not None  # ScopeProvider gives every module its GlobalScope
        self.global_scope = global_scope
        self.top_level = {id(s) for s in self.module.body}
        #: imports the fixes planned so far in this run: module -> names
        self.planned_imports: dict[str, list[str]] = {}
        self._claims: set[object] = set()

    # -- nodes and positions ----------------------------------------------------------------------

    def at(self, node: cst.CSTNode) -> At:
        """The plain-data address of ``node``, for an edit."""
        pos = self.positions[node]
        return At(type(node).__name__, pos.start.line, pos.start.column, pos.end.line, pos.end.column)

    def node(self, at: At) -> cst.CSTNode | None:
        """The node ``at`` names (the outermost one, should two of a kind share a span)."""
        for node in self.index.at.get((at.line, at.col), ()):
            if type(node).__name__ == at.kind:
                end = self.positions[node].end
                if (end.line, end.column) == (at.end_line, at.end_col):
                    return node
        return None

    def nodes_at(self, violation: Violation) -> list[cst.CSTNode]:
        """The nodes that start where the finding points (``col`` is in UTF-8 bytes, as ``ast``
        reports it), outermost first."""
        if not 0 < violation.line <= len(self.lines):
            return []
        text = self.lines[violation.line - 1]
        column = len(text.encode("utf-8")[: max(violation.col, 0)].decode("utf-8", "ignore"))
        return self.index.at.get((violation.line, column), [])

    def find(self, violation: Violation, kinds: type | tuple[type, ...]) -> Any:
        return next((n for n in self.nodes_at(violation) if isinstance(n, kinds)), None)

    def outer_expression(self, violation: Violation) -> cst.BaseExpression | None:
        return next((n for n in self.nodes_at(violation) if isinstance(n, cst.BaseExpression)), None)

    def parent(self, node: cst.CSTNode) -> cst.CSTNode | None:
        return self.index.parents.get(id(node))

    def enclosing_class(self, stmt: cst.CSTNode) -> tuple[cst.ClassDef, cst.IndentedBlock] | None:
        block = self.parent(stmt)
        cls = self.parent(block) if block is not None else None
        if isinstance(block, cst.IndentedBlock) and isinstance(cls, cst.ClassDef):
            return cls, block
        return None

    def default_value(self, violation: Violation) -> cst.BaseExpression | None:
        """The value of a ``default=`` keyword that starts at the finding."""
        node = self.outer_expression(violation)
        parent = self.parent(node) if node is not None else None
        if (
            isinstance(parent, cst.Arg)
            and parent.value is node
            and parent.keyword is not None
            and parent.keyword.value == "default"
        ):
            return node
        return None

    def name_count(self, name: str) -> int:
        """How often ``name`` appears as a name in the module (attribute names included)."""
        return self.index.names.get(name, 0)

    def referenced(self, name: str) -> bool:
        """Whether code anywhere in the module reads the name ``name`` (attribute names and
        import paths aside)."""
        scopes = {id(scope): scope for scope in self.scopes.values() if scope is not None}
        return any(scope.accesses[name] for scope in scopes.values())

    def in_strings(self, text: str) -> bool:
        """Whether a string literal of the module (``__all__``, ``getattr``) spells ``text``."""
        return text in self.index.strings

    # -- claims: what one run of fixes has already decided ----------------------------------------

    def once(self, code: str, node: cst.CSTNode) -> bool:
        """True the first time a fix of ``code`` claims ``node`` in this run; False for a
        duplicate finding of a node already fixed."""
        return self.claim((code, id(node)))

    def claim(self, key: object) -> bool:
        """True the first time ``key`` is claimed in this run."""
        if key in self._claims:
            return False
        self._claims.add(key)
        return True

    def claimed(self, key: object) -> bool:
        return key in self._claims

    # -- names and imports ------------------------------------------------------------------------

    def assignments(self, name: str, at: cst.CSTNode | None = None) -> list[Any]:
        """What binds ``name`` where ``at`` is (the module scope without ``at``); builtins aside."""
        scope = self.scopes.get(at) if at is not None else None
        scope = scope or self.global_scope
        return [a for a in scope[name] if not isinstance(a, BuiltinAssignment)]

    def is_top_level(self, small: cst.CSTNode) -> bool:
        line = self.parent(small)
        return line is not None and id(line) in self.top_level

    def top_import_from(self, assignment: Any, modules: Iterable[str], name: str) -> bool:
        """Whether ``assignment`` is a module-level ``from <one of modules> import name``."""
        if not isinstance(assignment, ImportAssignment) or not isinstance(assignment.node, cst.ImportFrom):
            return False
        node = assignment.node
        if node.relative or import_module(node) not in modules or isinstance(node.names, cst.ImportStar):
            return False
        if not self.is_top_level(node):
            return False
        return any(
            alias_name(a) == name and (a.asname is None or get_full_name_for_node(a.asname.name) == name) for a in node.names
        )

    def can_import(self, module: str, name: str, at: cst.CSTNode, also: Sequence[str] = ()) -> bool:
        """Whether ``name`` can refer to ``module.name`` where ``at`` is: already imported so,
        already planned, or free to import."""
        modules = (module, *also)
        found = self.assignments(name, at)
        if found:
            return all(self.top_import_from(a, modules, name) for a in found)
        if name in self.planned_imports.get(module, []):
            return True
        # a free name: nothing binds it where it is used, nor anywhere in the module, and the
        # module does not use it unbound either (an import would give that use a meaning, and
        # the next run new findings)
        return not self.assignments(name) and not self.referenced(name)

    def bound_import(self, module: str, name: str, at: cst.CSTNode) -> str | None:
        """The name under which a module-level ``from module import name as alias`` makes
        ``module.name`` visible at ``at``, when that is the only binding of the alias."""
        for assignment in self.global_scope.assignments:
            if not isinstance(assignment, ImportAssignment) or not isinstance(assignment.node, cst.ImportFrom):
                continue
            node = assignment.node
            if node.relative or isinstance(node.names, cst.ImportStar) or import_module(node) != module:
                continue
            if not self.is_top_level(node):
                continue
            for alias in node.names:
                bound = get_full_name_for_node(alias.asname.name) if alias.asname is not None else alias_name(alias)
                if alias_name(alias) != name or bound != assignment.name:
                    continue
                found = self.assignments(bound, at)
                if len(found) == 1 and found[0] is assignment:
                    return bound
        return None

    def module_name(self, module: str, at: cst.CSTNode) -> tuple[str, bool] | None:
        """The name the module binds to ``module`` (for example ``django.db.migrations``) where
        ``at`` is, and whether the import must be added; None when that name means something
        else there."""
        parent, _, leaf = module.rpartition(".")
        bound = self.bound_import(parent, leaf, at)
        if bound is not None:
            return bound, False
        for assignment in self.global_scope.assignments:
            if not isinstance(assignment, ImportAssignment) or not isinstance(assignment.node, cst.Import):
                continue
            node = assignment.node
            if not self.is_top_level(node):
                continue
            for alias in node.names:
                if alias_name(alias) == module and alias.asname is not None:
                    bound = get_full_name_for_node(alias.asname.name)
                    if bound == assignment.name and len(self.assignments(bound, at)) == 1:
                        return bound, False
        if self.can_import(parent, leaf, at):
            return leaf, True
        return None

    def operation(self, violation: Violation, name: str) -> cst.Call | None:
        """The call to the operation ``name`` (``X`` or ``<anything>.X``) the finding points at."""
        call = self.outer_expression(violation)
        if not isinstance(call, cst.Call) or call.func.lpar or not dotted(call.func):
            return None
        return call if callee_name(call.func) == name else None
