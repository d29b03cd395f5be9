"""Expression summaries: the plain-data form in which facts carry Python expressions.

A :class:`Value` keeps what rules need from an expression (its kind, literal value, resolved
dotted name, items, call arguments and position) and nothing else, so facts can be stored as JSON
and compared. Summaries are depth-limited: anything deeper is kept as kind ``other``.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

from sentry_model_lint.names import Resolver, dotted_text, last_part

MAX_DEPTH = 12

# kinds
CONST = "const"  # str, int, float, bool, None
NAME = "name"  # a Name or Attribute chain: ref is its canonical path (None when unknown)
CALL = "call"  # func in ``func``; args in ``items``; keywords in ``keywords``
ATTR = "attr"  # attribute of a non-name expression (``uuid4().hex``): base in items[0]
TUPLE, LIST, SET, DICT = "tuple", "list", "set", "dict"
COMP = "comp"  # list/set/dict comprehension or generator; ``text`` says which
LAMBDA = "lambda"
FSTRING = "fstring"
OTHER = "other"


@dataclass(slots=True)
class Value:
    kind: str
    line: int
    col: int
    end_line: int
    end_col: int
    const: Any = None  # the literal for CONST (also the attribute name for ATTR)
    ref: str | None = None  # canonical dotted path for NAME
    text: str | None = None  # source spelling for NAME ("models.ForeignKey"), detail otherwise
    func: Value | None = None  # callee for CALL
    items: tuple[Value, ...] = ()  # elements; positional arguments of a CALL
    keys: tuple[Value | None, ...] = ()  # DICT keys (None for ``**spread``)
    keywords: tuple[tuple[str | None, Value], ...] = ()  # CALL keywords (None for ``**kw``)
    starred: bool = False  # a ``*arg`` among the items

    # helpers ---------------------------------------------------------------------------------
    @property
    def callee(self) -> str:
        """Last part of a call's callee (``ForeignKey``), resolved or as spelled; "" for a
        value that is not a call."""
        if self.kind != CALL or self.func is None:
            return ""
        return last_part(self.func.ref or self.func.text)

    @property
    def call_ref(self) -> str | None:
        """Canonical path of the callee of a CALL (None if not a call or unknown)."""
        if self.kind == CALL and self.func is not None and self.func.kind == NAME:
            return self.func.ref
        return None

    def keyword(self, name: str) -> Value | None:
        for key, value in self.keywords:
            if key == name:
                return value
        return None

    @property
    def has_kwargs_spread(self) -> bool:
        return any(key is None for key, _ in self.keywords)

    def is_const(self, *types: type) -> bool:
        if self.kind != CONST:
            return False
        if not types:
            return True
        # bool is an int subclass: be explicit about it
        if isinstance(self.const, bool):
            return bool in types
        return isinstance(self.const, types)

    @property
    def is_str(self) -> bool:
        return self.is_const(str)

    @property
    def literal_text(self) -> str | None:
        """The text of a string constant, or the literal parts of an f-string."""
        if self.is_str:
            return str(self.const)
        if self.kind == FSTRING:
            return self.text
        return None

    @property
    def is_true(self) -> bool:
        return self.kind == CONST and self.const is True

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"k": self.kind, "p": [self.line, self.col, self.end_line, self.end_col]}
        if self.const is not None:
            out["c"] = self.const
        if self.ref is not None:
            out["r"] = self.ref
        if self.text is not None:
            out["t"] = self.text
        if self.func is not None:
            out["f"] = self.func.to_json()
        if self.items:
            out["i"] = [v.to_json() for v in self.items]
        if self.keys:
            out["ks"] = [None if v is None else v.to_json() for v in self.keys]
        if self.keywords:
            out["kw"] = [[k, v.to_json()] for k, v in self.keywords]
        if self.starred:
            out["s"] = True
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Value:
        get = data.get
        line, col, end_line, end_col = data["p"]
        func = get("f")
        items = get("i")
        keys = get("ks")
        keywords = get("kw")
        from_json = cls.from_json
        return cls(
            data["k"],
            line,
            col,
            end_line,
            end_col,
            get("c"),
            get("r"),
            get("t"),
            None if func is None else from_json(func),
            () if items is None else tuple([from_json(v) for v in items]),
            () if keys is None else tuple([None if v is None else from_json(v) for v in keys]),
            () if keywords is None else tuple([(k, from_json(v)) for k, v in keywords]),
            bool(get("s", False)),
        )


_CONST_TYPES = (str, int, float, bool, type(None))
_COMP_KINDS = {ast.ListComp: "list", ast.SetComp: "set", ast.DictComp: "dict", ast.GeneratorExp: "gen"}


def summarize(node: ast.AST, resolver: Resolver, depth: int = 0) -> Value:
    """Summarize an expression node."""
    line = getattr(node, "lineno", 0)
    col = getattr(node, "col_offset", 0)
    end_line = getattr(node, "end_lineno", None) or line
    end_col = getattr(node, "end_col_offset", None) or col
    # positional, in Value's field order (line, col, end_line, end_col): ``Value(kind, *pos, ...)``
    pos: tuple[int, int, int, int] = (line, col, end_line, end_col)
    if depth > MAX_DEPTH:
        return Value(OTHER, *pos)
    sub = depth + 1
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, _CONST_TYPES) and not (isinstance(value, float) and value != value):
            if isinstance(value, float) and value in (float("inf"), float("-inf")):
                return Value(OTHER, *pos, text="float")
            return Value(CONST, *pos, const=value)
        return Value(OTHER, *pos, text=type(value).__name__)
    if isinstance(node, (ast.Name, ast.Attribute)):
        text = dotted_text(node)
        if text is not None:
            return Value(NAME, *pos, ref=resolver.resolve(node), text=text)
        assert isinstance(node, ast.Attribute)
        return Value(ATTR, *pos, const=node.attr, items=(summarize(node.value, resolver, sub),))
    if isinstance(node, ast.Call):
        args: list[Value] = []
        starred = False
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                starred = True
                args.append(summarize(arg.value, resolver, sub))
            else:
                args.append(summarize(arg, resolver, sub))
        keywords = tuple((kw.arg, summarize(kw.value, resolver, sub)) for kw in node.keywords)
        return Value(
            CALL,
            *pos,
            func=summarize(node.func, resolver, sub),
            items=tuple(args),
            keywords=keywords,
            starred=starred,
        )
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        kind = TUPLE if isinstance(node, ast.Tuple) else LIST if isinstance(node, ast.List) else SET
        starred = any(isinstance(e, ast.Starred) for e in node.elts)
        items = tuple(summarize(e.value if isinstance(e, ast.Starred) else e, resolver, sub) for e in node.elts)
        return Value(kind, *pos, items=items, starred=starred)
    if isinstance(node, ast.Dict):
        keys = tuple(None if k is None else summarize(k, resolver, sub) for k in node.keys)
        items = tuple(summarize(v, resolver, sub) for v in node.values)
        return Value(DICT, *pos, keys=keys, items=items)
    comp = _COMP_KINDS.get(type(node))
    if comp is not None:
        return Value(COMP, *pos, text=comp)
    if isinstance(node, ast.Lambda):
        return Value(LAMBDA, *pos)
    if isinstance(node, ast.JoinedStr):
        # keep the literal parts (SQL keywords live there); each placeholder becomes "{}"
        text = "".join(v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else "{}" for v in node.values)
        return Value(FSTRING, *pos, text=text)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = summarize(node.left, resolver, sub), summarize(node.right, resolver, sub)
        if left.is_str and right.is_str:  # implicit SQL concatenation: "a" + "b"
            return Value(CONST, *pos, const=left.const + right.const)
        return Value(OTHER, *pos, text="add", items=(left, right))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = node.operand
        if isinstance(inner, ast.Constant) and isinstance(inner.value, (int, float)) and not isinstance(inner.value, bool):
            return Value(CONST, *pos, const=-inner.value)
    if isinstance(node, ast.Subscript):
        return Value(OTHER, *pos, text="subscript", items=(summarize(node.value, resolver, sub),))
    return Value(OTHER, *pos, text=type(node).__name__)


def position_of(node: ast.AST) -> tuple[int, int]:
    return getattr(node, "lineno", 1), getattr(node, "col_offset", 0)


__all__ = [
    "ATTR",
    "CALL",
    "COMP",
    "CONST",
    "DICT",
    "FSTRING",
    "LAMBDA",
    "LIST",
    "NAME",
    "OTHER",
    "SET",
    "TUPLE",
    "Value",
    "position_of",
    "summarize",
]
