"""Edits: what a rule's fix asks for, as plain data.

A rule's ``plan_fix`` looks at the module through a :class:`~sentry_model_lint.fixes.view.FixView`
and answers with a list of these. Each edit names the node it changes by :class:`At` (its kind
and where libcst places it), so an edit can be compared, de-duplicated, shown or stored without
the tree it was planned on; the applier finds the node again and performs the edit. Values are
source text (a name, a dotted path, a literal), parsed by the applier.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class At:
    """A node of the module: its libcst class name and its span (1-based lines, 0-based columns
    in code points, as libcst's ``PositionProvider`` reports them)."""

    kind: str
    line: int
    col: int
    end_line: int
    end_col: int


@dataclass(frozen=True)
class Edit:
    """Base of every edit; ``at`` is the node it changes (None for module-wide edits)."""


@dataclass(frozen=True)
class Rename(Edit):
    """A ``Name`` gets another value (a decorator, an attribute's last name, a method, a flag)."""

    at: At
    value: str


@dataclass(frozen=True)
class ReplaceExpression(Edit):
    """An expression is replaced by ``code``; the parentheses around the old one stay."""

    at: At
    code: str


@dataclass(frozen=True)
class ReplaceCallee(Edit):
    """A call's function is replaced by the name or dotted path ``code``."""

    at: At
    code: str


@dataclass(frozen=True)
class RenameKeyword(Edit):
    """A keyword argument (an ``Arg``) is passed under another keyword."""

    at: At
    keyword: str


@dataclass(frozen=True)
class ReplaceArgValue(Edit):
    """An argument (an ``Arg``) gets the value ``code``; its parentheses stay."""

    at: At
    code: str


@dataclass(frozen=True)
class AppendKeyword(Edit):
    """``keyword=code`` is added after a call's last argument, punctuated like its neighbours."""

    at: At
    keyword: str
    code: str


@dataclass(frozen=True)
class ReassignTo(Edit):
    """A one-target assignment (an ``Assign``) assigns ``code`` to the name ``target`` instead."""

    at: At
    target: str
    code: str


@dataclass(frozen=True)
class RemoveStatement(Edit):
    """The statement at ``index`` of an ``IndentedBlock`` goes; comment lines above it move to the
    next statement kept, and an emptied block gets ``pass``."""

    at: At
    index: int


@dataclass(frozen=True)
class InsertStatement(Edit):
    """``code`` (one simple statement) is inserted at the top of an ``IndentedBlock``, after its
    docstring, under the comment lines ``comments`` and set apart by blank lines."""

    at: At
    code: str
    comments: tuple[str, ...] = ()


@dataclass(frozen=True)
class AddImport(Edit):
    """``from module import name`` unless the module binds ``name`` already; added to an existing
    ``from module import ...`` when there is one, else as a new line in isort order."""

    module: str
    name: str


@dataclass(frozen=True)
class ReleaseImport(Edit):
    """The fix replaces the ``Name`` at ``at``: its module-level ``from ... import`` loses the
    name once nothing else in the module refers to it (and ``__all__`` does not list it). With
    ``modules``, only an import from one of those modules is touched."""

    at: At
    modules: tuple[str, ...] | None = None
