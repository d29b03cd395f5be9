"""The applier: performs the plain-data edits that the rules' fixes plan, with libcst.

Edits are recorded finding by finding (:meth:`Applier.record`); nothing changes until
:meth:`Applier.render`, which rewrites each edited node once, in one pass over the tree, with
the edits recorded for it in order, then settles the imports: new names join an existing
``from x import (...)`` or get a new line placed in isort order, and names a fix stopped using
leave their import. Comments and formatting outside the edited nodes are kept byte for byte.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import libcst as cst
from libcst.metadata import ImportAssignment

from sentry_model_lint.fixes import edits as e
from sentry_model_lint.fixes import shapes
from sentry_model_lint.fixes.view import FixView

Change = Callable[[Any], Any]  # updated node -> replacement node


@dataclass
class _Release:
    """An imported name a fix stops using: removed from its import if nothing else uses it."""

    name: str
    assignment: ImportAssignment


class _Transformer(cst.CSTTransformer):
    def __init__(self, changes: dict[int, list[Change]]) -> None:
        super().__init__()
        self.changes = changes

    def on_leave(self, original_node: Any, updated_node: Any) -> Any:
        for change in self.changes.get(id(original_node), ()):
            if not isinstance(updated_node, cst.CSTNode):
                break
            updated_node = change(updated_node)
        return updated_node


def _parse_expression(code: str) -> cst.BaseExpression:
    return cst.parse_expression(code)


def _rename(edit: e.Rename) -> Change:
    return lambda n: n.with_changes(value=edit.value)


def _replace_expression(edit: e.ReplaceExpression) -> Change:
    return lambda n: _parse_expression(edit.code).with_changes(lpar=n.lpar, rpar=n.rpar)


def _replace_callee(edit: e.ReplaceCallee) -> Change:
    return lambda n: n.with_changes(func=_parse_expression(edit.code))


def _rename_keyword(edit: e.RenameKeyword) -> Change:
    return lambda n: n.with_changes(keyword=n.keyword.with_changes(value=edit.keyword))


def _replace_arg_value(edit: e.ReplaceArgValue) -> Change:
    return lambda n: n.with_changes(value=_parse_expression(edit.code).with_changes(lpar=n.value.lpar, rpar=n.value.rpar))


def _append_keyword(edit: e.AppendKeyword) -> Change:
    def change(n: cst.Call) -> cst.Call:
        arg = shapes.kwarg(edit.keyword, _parse_expression(edit.code))
        return n.with_changes(args=shapes.insert_item(n.args, len(n.args), arg, n.whitespace_before_args))

    return change


def _reassign_to(edit: e.ReassignTo) -> Change:
    return lambda n: n.with_changes(
        targets=[n.targets[0].with_changes(target=cst.Name(edit.target))], value=_parse_expression(edit.code)
    )


def _insert_statement(edit: e.InsertStatement) -> Change:
    def insert(block: cst.IndentedBlock) -> cst.IndentedBlock:
        # an IndentedBlock's statements are SimpleStatementLine or compound statements (libcst
        # types them as BaseStatement, which declares no leading_lines)
        body = cast("list[cst.SimpleStatementLine | cst.BaseCompoundStatement]", list(block.body))
        at = 1 if body and shapes.is_docstring(body[0]) else 0
        leading = [shapes.blank()] if at else []
        leading += [cst.EmptyLine(comment=cst.Comment(text)) for text in edit.comments]
        if edit.comments:
            leading.append(shapes.blank())
        statement = cst.parse_statement(edit.code + "\n").with_changes(leading_lines=leading)
        if at < len(body) and not body[at].leading_lines:
            body[at] = body[at].with_changes(leading_lines=[shapes.blank()])
        return block.with_changes(body=[*body[:at], statement, *body[at:]])

    return insert


NODE_EDITS: dict[type[e.Edit], Callable[[Any], Change]] = {
    e.Rename: _rename,
    e.ReplaceExpression: _replace_expression,
    e.ReplaceCallee: _replace_callee,
    e.RenameKeyword: _rename_keyword,
    e.ReplaceArgValue: _replace_arg_value,
    e.AppendKeyword: _append_keyword,
    e.ReassignTo: _reassign_to,
    e.InsertStatement: _insert_statement,
}


class Applier:
    """Collects the edits of one module's fixes and renders the result."""

    def __init__(self, view: FixView) -> None:
        self.view = view
        self.module = view.module
        self.changes: dict[int, list[Change]] = {}
        self.releases: list[_Release] = []
        self.gone: set[int] = set()  # ids of Name nodes the fixes replace
        self.removed: dict[int, set[int]] = {}  # block id -> indices of the statements removed from it
        self.seen: set[e.Edit] = set()

    def record(self, edits: list[e.Edit]) -> None:
        """Take the edits of one finding's fix (an edit recorded before is not repeated)."""
        nodes = [self._node(edit) for edit in edits]  # every node first: all or nothing
        for edit, node in zip(edits, nodes, strict=True):
            if edit in self.seen:
                continue
            self.seen.add(edit)
            if isinstance(edit, e.AddImport):
                self._need_import(edit.module, edit.name)
            elif isinstance(edit, e.ReleaseImport):
                self._release_name(node, edit.modules)
            elif isinstance(edit, e.RemoveStatement):
                self._remove_statement(node, edit.index)
            else:
                self._change(node, NODE_EDITS[type(edit)](edit))

    def _node(self, edit: e.Edit) -> Any:
        at = getattr(edit, "at", None)
        if at is None:
            return None
        node = self.view.node(at)
        if node is None or type(node).__name__ != at.kind:
            raise LookupError(f"no {at.kind} at {at.line}:{at.col}")
        return node

    def _change(self, node: cst.CSTNode, change: Change) -> None:
        self.changes.setdefault(id(node), []).append(change)

    def _replace(self, node: cst.CSTNode, new: cst.CSTNode) -> None:
        self._change(node, lambda _updated: new)

    def _remove_statement(self, block: cst.IndentedBlock, index: int) -> None:
        indices = self.removed.get(id(block))
        if indices is None:
            indices = self.removed[id(block)] = set()
            self._change(block, lambda n: shapes.drop_statements(n, indices))
        indices.add(index)

    def _need_import(self, module: str, name: str) -> None:
        if self.view.assignments(name):
            return  # bound by an existing import (the fix checked it with can_import)
        names = self.view.planned_imports.setdefault(module, [])
        if name not in names:
            names.append(name)

    def _release_name(self, name_node: cst.Name, modules: tuple[str, ...] | None) -> None:
        """The fix replaces ``name_node``; drop its import if nothing else uses the name."""
        self.gone.add(id(name_node))
        found = self.view.assignments(name_node.value, name_node)
        if len(found) != 1 or not isinstance(found[0], ImportAssignment):
            return
        assignment = found[0]
        if not isinstance(assignment.node, cst.ImportFrom) or not self.view.is_top_level(assignment.node):
            return
        if modules is not None and shapes.import_module(assignment.node) not in modules:
            return
        self.releases.append(_Release(name_node.value, assignment))

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
        for module, names in self.view.planned_imports.items():
            existing = next((node for _, node in froms if shapes.import_module(node) == module), None)
            if existing is not None:
                changes.setdefault(id(existing), (existing, [], []))[1].extend(names)
            else:
                new_lines.append((module, sorted(names, key=shapes.name_key)))
        for release in self.releases:
            refs = [r for r in release.assignment.references if id(r.node) not in self.gone]
            if refs or self.view.in_strings(release.name):
                continue  # still used, or listed in __all__
            node = cast(cst.ImportFrom, release.assignment.node)  # _release_name kept only ImportFrom nodes
            changes.setdefault(id(node), (node, [], []))[2].append(release.name)

        removed_lines: set[int] = set()
        for node, add, remove in changes.values():
            edited = shapes.edit_import_from(node, add, remove)
            if edited is None and remove:
                line = self.view.parent(node)
                # never an ImportStar: _import_froms leaves those out, and names bound by a star are
                # not assignments a release can come from
                aliases = cast(Sequence[cst.ImportAlias], node.names)
                whole = not add and set(remove) >= {shapes.alias_name(a) for a in aliases}
                if whole and line is not None and not shapes.has_comment(line):
                    removed_lines.add(next(i for i, s in enumerate(self.module.body) if s is line))
                    continue
                edited = shapes.edit_import_from(node, add, [])  # keep the unused name rather than a comment
            if edited is not None:
                self._replace(node, edited)
        if new_lines or removed_lines:
            self._change(self.module, lambda m: self._rebuild_header(m, new_lines, removed_lines))
        return self.module.visit(_Transformer(self.changes)).code

    def _rebuild_header(self, module: cst.Module, new_lines: list[tuple[str, list[str]]], removed: set[int]) -> cst.Module:
        """Insert the new import lines in the module's import block, in isort order, and drop
        the import lines that lost their last name."""
        body = list(module.body)
        start = 1 if body and shapes.is_docstring(body[0]) else 0
        end = start
        while end < len(body) and shapes.import_line(body[end]):
            end += 1
        # entries of the import block: (statement, is new, section, key)
        entries: list[tuple[cst.SimpleStatementLine, bool, int, tuple[int, str]]] = []
        carry: list[cst.EmptyLine] | None = None  # blank lines of the removed line(s) before
        for position in range(start, end):
            stmt = cast(cst.SimpleStatementLine, body[position])  # shapes.import_line checked it
            if position in removed:
                if carry is None:
                    carry = shapes.blank_prefix(stmt.leading_lines)[0]
                continue
            section = shapes.section(shapes.import_module(cast("cst.Import | cst.ImportFrom", stmt.body[0])))
            if carry is not None:
                # the line after a removed one separates itself as the removed one did
                _blanks, kept = shapes.blank_prefix(stmt.leading_lines)
                if not entries:
                    stmt = stmt.with_changes(leading_lines=[*carry, *kept])
                elif entries[-1][2] != section:
                    stmt = stmt.with_changes(leading_lines=[shapes.blank(), *kept])
            carry = None
            entries.append((stmt, False, section, shapes.line_key(stmt)))
        rest = [s for i, s in enumerate(body[end:], start=end) if i not in removed]
        if carry is not None and rest and not rest[0].leading_lines:
            rest[0] = rest[0].with_changes(leading_lines=carry)
        first_before = entries[0][0] if entries else None  # the block's first line, if any

        for module_name, names in sorted(new_lines, key=lambda item: (shapes.section(item[0]), item[0].lower())):
            stmt = cast(cst.SimpleStatementLine, cst.parse_statement(f"from {module_name} import {', '.join(names)}\n"))
            section, key = shapes.section(module_name), (1, module_name.lower())
            same = [i for i, e in enumerate(entries) if e[2] == section]
            if same:
                before = [i for i in same if entries[i][3] <= key]
                at = before[-1] + 1 if before else same[0]
            else:
                lower = [i for i, e in enumerate(entries) if e[2] < section]
                at = lower[-1] + 1 if lower else 0
            entries.insert(at, (stmt, True, section, key))

        header: list[cst.BaseStatement] = []
        previous: tuple[cst.SimpleStatementLine, bool, int, tuple[int, str]] | None = None
        for entry in entries:
            stmt, new, section, _ = entry
            if previous is None:
                if new and first_before is not None:
                    blanks, _rest = shapes.blank_prefix(first_before.leading_lines)
                    stmt = stmt.with_changes(leading_lines=blanks or ([shapes.blank()] if start else []))
                elif new:  # the module had no import block: one blank line after a docstring
                    stmt = stmt.with_changes(leading_lines=[shapes.blank()] if start else [])
            else:
                sep = [] if previous[2] == section else [shapes.blank()]
                if new:
                    stmt = stmt.with_changes(leading_lines=sep)
                elif previous[1]:
                    # an old line now preceded by a new one: recompute its blank lines
                    _blanks, kept = shapes.blank_prefix(stmt.leading_lines)
                    stmt = stmt.with_changes(leading_lines=[*sep, *kept])
            header.append(stmt)
            previous = entry
        if rest and entries and first_before is None:
            # the block was empty: keep the code after it apart from the new imports
            _blanks, kept = shapes.blank_prefix(rest[0].leading_lines)
            two = isinstance(rest[0], (cst.ClassDef, cst.FunctionDef))
            rest[0] = rest[0].with_changes(leading_lines=[shapes.blank(), *([shapes.blank()] if two else []), *kept])
        return module.with_changes(body=[*body[:start], *header, *rest])
