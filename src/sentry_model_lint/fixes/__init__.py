"""Autofixes: each rule plans its own fix as plain-data edits; one libcst applier performs them.

The CLI calls :func:`apply_fixes` with the findings the linter reported for one source text
(after ``noqa`` filtering). For each finding, its rule's ``plan_fix`` looks at the module through
a :class:`~sentry_model_lint.fixes.view.FixView` and returns edits
(:mod:`sentry_model_lint.fixes.edits`), or None when the node does not have exactly the shape
the fix expects (then the finding is left for a human). The
:class:`~sentry_model_lint.fixes.applier.Applier` performs the edits and settles the imports.

This package is only imported when fixing, so importing libcst here costs nothing elsewhere.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

import libcst as cst

from sentry_model_lint.capabilities import TODAY, Capabilities
from sentry_model_lint.fixes.applier import Applier
from sentry_model_lint.fixes.view import FixView
from sentry_model_lint.rules.base import Fix, Violation, all_rules, get_rule

__all__ = ["SAFE_FIXES", "UNSAFE_FIXES", "FixResult", "apply_fixes"]

#: codes whose fix keeps behaviour (or restores the intended one); applied by ``--fix``
SAFE_FIXES: frozenset[str] = frozenset(r.code for r in all_rules() if r.fix is Fix.SAFE)
#: codes whose fix changes behaviour on purpose; applied only with ``unsafe=True``
UNSAFE_FIXES: frozenset[str] = frozenset(r.code for r in all_rules() if r.fix is Fix.UNSAFE)


#: the deepest syntax tree handed to libcst. Its parser and metadata recurse once or more per
#: level and, past a few hundred levels, exhaust the stack after taking gigabytes; nested calls
#: fail from about 150. Real modules stay far below: a 2023 Sentry tree peaks at 33.
MAX_FIX_DEPTH = 100


@dataclass
class FixResult:
    source: str
    fixed: list[Violation] = field(default_factory=list)
    skipped: list[Violation] = field(default_factory=list)
    #: why the module was left alone as a whole (said to the user), or None
    refused: str | None = None


def syntax_depth(tree: ast.AST, limit: int) -> int:
    """The depth of ``tree``, counted up to ``limit + 1`` (no further: the answer is then only
    "deeper than the limit"); iterative, so any depth Python could parse is measured safely."""
    deepest = 0
    stack: list[tuple[ast.AST, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > deepest:
            deepest = depth
            if deepest > limit:
                break
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return deepest


def apply_fixes(
    source: str, violations: list[Violation], *, unsafe: bool = False, capabilities: Capabilities = TODAY
) -> FixResult:
    """Fix what can be fixed among ``violations`` (findings reported for ``source``), naming
    only what ``capabilities`` (the checkout's) provides.

    Returns the new source with the findings that were fixed and those that were skipped (no
    fix for the code, an unsafe fix without ``unsafe=True``, or a node without the exact shape
    the fix expects). A source that does not parse is returned unchanged, everything skipped;
    so is one nested deeper than :data:`MAX_FIX_DEPTH`, with the reason in ``refused``.
    """
    violations = list(violations)
    unchanged = FixResult(source, [], violations)
    if not violations:
        return unchanged
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return unchanged
    if syntax_depth(tree, MAX_FIX_DEPTH) > MAX_FIX_DEPTH:
        return FixResult(source, [], violations, f"nested more than {MAX_FIX_DEPTH} levels deep, too deep to rewrite safely")
    try:
        module = cst.parse_module(source)
    except Exception:  # libcst's ParserSyntaxError, RecursionError, ...
        return unchanged
    try:
        view = FixView(source, module, capabilities)
    except Exception:  # metadata that libcst cannot compute: leave the file alone
        return unchanged

    applier = Applier(view)
    fixed: list[Violation] = []
    skipped: list[Violation] = []
    for violation in violations:
        rule = get_rule(violation.code)
        allowed = rule is not None and (rule.fix is Fix.SAFE or (unsafe and rule.fix is Fix.UNSAFE))
        ok = False
        if allowed and rule is not None:
            try:
                edits = rule.plan_fix(view, violation)
                if edits is not None:
                    applier.record(edits)
                    ok = True
            except Exception:  # a shape the fix did not foresee: skip rather than crash
                ok = False
        (fixed if ok else skipped).append(violation)
    if not fixed:
        return unchanged
    try:
        new_source = applier.render()
        ast.parse(new_source)
    except Exception:  # never write a file that no longer parses
        return unchanged
    if new_source == source:
        return FixResult(source, [], violations)
    return FixResult(new_source, fixed, skipped)
