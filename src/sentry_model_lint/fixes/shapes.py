"""Shapes: small, pure helpers over libcst nodes, shared by the rules' fixes and the applier.

Questions about a node (is it a dotted name, which keyword does a call pass, is this line an
import) and constructions that keep a list's punctuation (insert or remove one item of a call's
arguments or of an import's names, as its neighbours are written).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from typing import Any, cast

import libcst as cst
from libcst.helpers import get_full_name_for_node

#: top-level packages sorted as first party, as isort does in Sentry
FIRST_PARTY = frozenset({"sentry", "getsentry", "sentry_plugins", "fixtures"})


def code(node: cst.CSTNode) -> str:
    return cst.Module(body=()).code_for_node(node)


def has_comment(node: cst.CSTNode | None) -> bool:
    return node is not None and "#" in code(node)


def callee_name(func: cst.BaseExpression) -> str | None:
    """``RemoveField`` for ``RemoveField`` or ``<anything>.RemoveField``."""
    if isinstance(func, cst.Name):
        return func.value
    if isinstance(func, cst.Attribute):
        return func.attr.value
    return None


def dotted(node: cst.BaseExpression) -> bool:
    """A plain name or a chain of attribute accesses on one (no calls, subscripts, parens)."""
    if node.lpar:
        return False
    if isinstance(node, cst.Name):
        return True
    return isinstance(node, cst.Attribute) and dotted(node.value)


def keyword(call: cst.Call, name: str) -> cst.Arg | None:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg
    return None


def positional(call: cst.Call) -> list[cst.Arg]:
    return [a for a in call.args if a.keyword is None and not a.star]


def has_star(call: cst.Call) -> bool:
    return any(a.star for a in call.args)


def kwarg(name: str, value: cst.BaseExpression) -> cst.Arg:
    return cst.Arg(
        keyword=cst.Name(name),
        value=value,
        equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")),
    )


def is_literal(node: cst.BaseExpression) -> bool:
    """A literal number, string (not bytes, not an f-string) or bool."""
    if isinstance(node, (cst.Integer, cst.Float)):
        return True
    if isinstance(node, cst.SimpleString):
        return "b" not in node.prefix.lower()
    if isinstance(node, cst.ConcatenatedString):
        return is_literal(node.left) and is_literal(node.right)
    if isinstance(node, cst.Name):
        return node.value in ("True", "False")
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, (cst.Minus, cst.Plus)):
        return isinstance(node.expression, (cst.Integer, cst.Float))
    return False


def single_assignment(stmt: cst.BaseStatement) -> str | None:
    """The name a line like ``name = value`` assigns (one statement, one plain target)."""
    if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1:
        small = stmt.body[0]
        if isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name):
            return small.targets[0].target.value
    return None


def drop_statements(block: cst.IndentedBlock, indices: set[int]) -> cst.IndentedBlock:
    """``block`` without the statements at ``indices``. Comment lines above a removed statement
    move to the next statement kept (or to the block's footer); an emptied block gets ``pass``."""
    body: list[cst.BaseStatement] = []
    pending: list[cst.EmptyLine] = []
    # an IndentedBlock's statements are SimpleStatementLine or compound statements (libcst types
    # them as BaseStatement, which declares no leading_lines)
    statements = cast("Sequence[cst.SimpleStatementLine | cst.BaseCompoundStatement]", block.body)
    for i, stmt in enumerate(statements):
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


def target_names(stmt: cst.BaseStatement) -> list[str]:
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


def is_docstring(stmt: cst.CSTNode) -> bool:
    return (
        isinstance(stmt, cst.SimpleStatementLine)
        and len(stmt.body) == 1
        and isinstance(stmt.body[0], cst.Expr)
        and isinstance(stmt.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )


def import_line(stmt: cst.CSTNode) -> bool:
    return (
        isinstance(stmt, cst.SimpleStatementLine)
        and bool(stmt.body)
        and all(isinstance(s, (cst.Import, cst.ImportFrom)) for s in stmt.body)
    )


def import_module(node: cst.Import | cst.ImportFrom) -> str:
    if isinstance(node, cst.Import):
        return get_full_name_for_node(node.names[0].name) or ""
    name = get_full_name_for_node(node.module) if node.module is not None else ""
    return "." * len(node.relative) + (name or "")


def section(module: str) -> int:
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


def line_key(stmt: cst.SimpleStatementLine) -> tuple[int, str]:
    node = cast("cst.Import | cst.ImportFrom", stmt.body[0])  # an import line (see import_line)
    return (0 if isinstance(node, cst.Import) else 1, import_module(node).lower())


def name_key(name: str) -> tuple[int, str]:
    """isort's default order inside ``from x import ...``: CONSTANTS, Classes, functions."""
    kind = 0 if name.isupper() and len(name) > 1 else 1 if name[:1].isupper() else 2
    return kind, name.lower()


def blank_prefix(lines: Sequence[cst.EmptyLine]) -> tuple[list[cst.EmptyLine], list[cst.EmptyLine]]:
    """The leading blank lines of a statement's ``leading_lines``, and the rest."""
    lines = list(lines)
    count = 0
    while count < len(lines) and lines[count].comment is None:
        count += 1
    return lines[:count], lines[count:]


def blank() -> cst.EmptyLine:
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


def insert_item(items: Sequence[Any], index: int, new: Any, opener: cst.BaseParenthesizableWhitespace | None) -> list[Any]:
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
            comma = cst.Comma(
                whitespace_after=after_arg.with_changes(empty_lines=(), indent=sep_ws.indent, last_line=sep_ws.last_line)
            )
            new = new.with_changes(whitespace_after_arg=after_arg.with_changes(first_line=cst.TrailingWhitespace()))
        else:
            comma, new = sep, new.with_changes(whitespace_after_arg=after_arg)
        last = last.with_changes(whitespace_after_arg=cst.SimpleWhitespace(""), comma=comma)
    else:
        last = last.with_changes(comma=sep)
    return [*items[:-1], last, new]


def remove_item(items: Sequence[Any], index: int) -> list[Any] | None:
    """``items`` without the one at ``index``; None when that would lose a comment."""
    items = list(items)
    if len(items) < 2 or has_comment(items[index]):
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
        elif has_comment(prev.comma):
            return None
    elif has_comment(prev.comma):
        return None
    return [*items[: index - 1], prev.with_changes(comma=comma)]


def alias_name(alias: cst.ImportAlias) -> str:
    return get_full_name_for_node(alias.name) or ""


def edit_import_from(node: cst.ImportFrom, add: Iterable[str], remove: Iterable[str]) -> cst.ImportFrom | None:
    """The import with names removed and added (in isort order when it is sorted); None if a
    removal would lose a comment or empty the import."""
    names = list(node.names)  # type: ignore[arg-type]
    opener = node.lpar.whitespace_after if node.lpar is not None else None
    for name in add:  # adding first lets a lone name be replaced
        if any(alias_name(a) == name and a.asname is None for a in names):
            continue
        keys = [name_key(alias_name(a)) for a in names]
        index = len(names)
        if keys == sorted(keys):
            index = next((i for i, k in enumerate(keys) if k > name_key(name)), len(names))
        names = insert_item(names, index, cst.ImportAlias(name=cst.Name(name)), opener)
    for name in remove:
        found = next((i for i, a in enumerate(names) if alias_name(a) == name and a.asname is None), None)
        if found is None:
            continue
        reduced = remove_item(names, found)
        if reduced is None:
            return None
        names = reduced
    if node.lpar is None and isinstance(names[-1].comma, cst.Comma):
        names[-1] = names[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    return node.with_changes(names=names)
