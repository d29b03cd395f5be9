"""What the SML2xx migration rules share: their base class, the example builder, helpers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from sentry_model_lint.migration_facts import MigrationFact, OperationFact
from sentry_model_lint.rules.base import Context, Family, Rule, Violation
from sentry_model_lint.values import Value
from sentry_model_lint.vocab import DELETION_ACTION, split

if TYPE_CHECKING:
    from sentry_model_lint.fixes.edits import Edit
    from sentry_model_lint.fixes.view import FixView

PRELUDE = """\
from django.db import migrations, models

from sentry.new_migrations.migrations import CheckedMigration
"""


def example(operations: str, imports: str = "", before: str = "", header: str = "is_post_deployment = False") -> str:
    """A complete migration module for a rule's examples."""
    body = "\n".join("        " + line if line else "" for line in operations.strip("\n").splitlines())
    parts = [
        PRELUDE + imports,
        before,
        f"""
class Migration(CheckedMigration):
    {header}

    dependencies = [
        ("sentry", "1000_previous"),
    ]

    operations = [
{body}
    ]
""",
    ]
    return "\n".join(p for p in parts if p).replace("\n\n\n\n", "\n\n\n")


class MigrationRule(Rule):
    """A rule over one migration module; squashed migrations are exempt."""

    family = Family.MIGRATION
    new_work_only = True  # shipped migrations are immutable history
    example_path = "src/sentry/migrations/1001_example.py"

    def check(self, ctx: Context) -> Iterator[Violation]:
        migration = ctx.facts.migration
        if migration is None or ctx.facts.info.is_squashed_name or migration.is_squash:
            return
        yield from self.check_migration(ctx, migration)

    def check_migration(self, ctx: Context, migration: MigrationFact) -> Iterator[Violation]:
        raise NotImplementedError

    def at_op(self, ctx: Context, op: OperationFact, **fmt: object) -> Violation:
        return self.report(op.call.line, op.call.col, f"{ctx.facts.info.stem}:{op.path}", **fmt)

    def at_class(self, ctx: Context, migration: MigrationFact, **fmt: object) -> Violation:
        return self.report(migration.line, migration.col, ctx.facts.info.stem, **fmt)


def db_ops(migration: MigrationFact, *refs: str) -> Iterator[OperationFact]:
    """Operations with one of ``refs`` that run on the database (not in state_operations)."""
    for op in migration.operations:
        if op.runs_on_database and op.ref in refs:
            yield op


def str_const(value: Value | None) -> str | None:
    return str(value.const) if value is not None and value.is_str else None


def plan_safe_operation(
    view: FixView, violation: Violation, code: str, old: str, new: str, *, pending: bool
) -> list[Edit] | None:
    """The fix shared by SML220, SML221 and SML240: the Django operation ``old`` becomes Sentry's
    safe operation ``new`` (a dotted path), imported, with
    ``deletion_action=DeletionAction.MOVE_TO_PENDING`` when ``pending``."""
    import libcst as cst

    from sentry_model_lint.fixes import edits as e
    from sentry_model_lint.fixes.shapes import has_star, keyword

    module, name = split(new)
    state_module, action = split(DELETION_ACTION)
    if not view.capabilities.has(name) or (pending and not view.capabilities.has(action)):
        return None  # the checkout has no such operation: the finding's advice says what to do
    call = view.operation(violation, old)
    if call is None or has_star(call):
        return None
    if pending and keyword(call, "deletion_action") is not None:
        return None
    if not view.can_import(module, name, call):
        return None
    if pending and not view.can_import(state_module, action, call):
        return None
    if not view.once(code, call):
        return []
    edits: list[Edit] = [e.AddImport(module, name)]
    if pending:
        edits.append(e.AddImport(state_module, action))
    edits.append(e.ReplaceCallee(view.at(call), name))
    if pending:
        edits.append(e.AppendKeyword(view.at(call), "deletion_action", f"{action}.MOVE_TO_PENDING"))
    if isinstance(call.func, cst.Name):
        edits.append(e.ReleaseImport(view.at(call.func)))
    return edits
