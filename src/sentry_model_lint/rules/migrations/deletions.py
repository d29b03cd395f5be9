"""SML220-SML223: removing columns and tables through the pending-deletion phase."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from sentry_model_lint.migration_facts import MigrationFact, OperationFact
from sentry_model_lint.rules.base import Context, Example, Fix, Violation
from sentry_model_lint.rules.migrations.common import (
    MigrationRule,
    db_ops,
    example,
    plan_safe_operation,
    str_const,
)
from sentry_model_lint.values import NAME
from sentry_model_lint.vocab import (
    DELETE,
    DELETE_MODEL,
    MOVE_TO_PENDING,
    REMOVE_FIELD,
    SAFE_DELETE_MODEL,
    SAFE_REMOVE_FIELD,
)

if TYPE_CHECKING:
    from sentry_model_lint.fixes.edits import Edit
    from sentry_model_lint.fixes.view import FixView

PENDING_IMPORTS = """\
from sentry.new_migrations.monkey.fields import SafeRemoveField
from sentry.new_migrations.monkey.models import SafeDeleteModel
from sentry.new_migrations.monkey.state import DeletionAction
"""


class PlainRemoveField(MigrationRule):
    code = "SML220"
    fix = Fix.UNSAFE
    fix_title = "`SafeRemoveField(..., deletion_action=DeletionAction.MOVE_TO_PENDING)`, imports added"
    name = "plain-remove-field"
    message = "plain `RemoveField` drops `{target}` while deployed code may still read it: {advice}"
    summary = "Plain `RemoveField` (use `SafeRemoveField` with the pending phase)."
    why = (
        "Dropping a column in the same deploy that removes its code breaks the servers still "
        "running the old code. Sentry removes a column in two deploys: `MOVE_TO_PENDING` "
        "removes it from Django's state only, and a later migration with `DELETE` drops it. "
        "Sentry refuses a plain `RemoveField`."
    )
    instead = "`SafeRemoveField(model_name=..., name=..., deletion_action=DeletionAction.MOVE_TO_PENDING)`; after that deploys, the same with `DeletionAction.DELETE`."
    notes = "A `RemoveField` in `state_operations` only changes Django's state and is fine."
    valid = (
        example(
            'SafeRemoveField(\n    model_name="widget",\n    name="note",\n    deletion_action=DeletionAction.MOVE_TO_PENDING,\n),',
            imports=PENDING_IMPORTS,
        ),
    )
    invalid = (
        Example(
            example('migrations.RemoveField(model_name="widget", name="note"),  # expect: SML220'),
            fixed="""\
from django.db import migrations, models

from sentry.new_migrations.migrations import CheckedMigration
from sentry.new_migrations.monkey.fields import SafeRemoveField
from sentry.new_migrations.monkey.state import DeletionAction


class Migration(CheckedMigration):
    is_post_deployment = False

    dependencies = [
        ("sentry", "1000_previous"),
    ]

    operations = [
        SafeRemoveField(model_name="widget", name="note", deletion_action=DeletionAction.MOVE_TO_PENDING),
    ]
""",
        ),
    )

    def check_migration(self, ctx: Context, migration: MigrationFact) -> Iterator[Violation]:
        for op in db_ops(migration, REMOVE_FIELD):
            model, name = str_const(op.arg(0, "model_name")), str_const(op.arg(1, "name"))
            target = f"{model}.{name}" if model and name else "the column"
            yield self.at_op(ctx, op, target=target, advice=_advice(ctx, "SafeRemoveField", "RemoveField", "column"))

    def plan_fix(self, view: FixView, violation: Violation) -> list[Edit] | None:
        return plan_safe_operation(view, violation, self.code, "RemoveField", SAFE_REMOVE_FIELD, pending=True)


class PlainDeleteModel(MigrationRule):
    code = "SML221"
    fix = Fix.UNSAFE
    fix_title = "`SafeDeleteModel(..., deletion_action=DeletionAction.MOVE_TO_PENDING)`, imports added"
    name = "plain-delete-model"
    message = "plain `DeleteModel` drops table of `{target}` while deployed code may still use it: {advice}"
    summary = "Plain `DeleteModel` (use `SafeDeleteModel` with the pending phase)."
    why = (
        "Dropping a table in the deploy that removes its model breaks servers still running the "
        "old code. Sentry deletes a model in two deploys (`MOVE_TO_PENDING`, then `DELETE`) and "
        "refuses a plain `DeleteModel`; the table must also be listed in the router's "
        "`historical_silo_assignments`."
    )
    instead = "`SafeDeleteModel(name=..., deletion_action=DeletionAction.MOVE_TO_PENDING)`; later `DeletionAction.DELETE`."
    notes = "A `DeleteModel` in `state_operations` only changes Django's state and is fine."
    valid = (example('SafeDeleteModel(name="Widget", deletion_action=DeletionAction.MOVE_TO_PENDING),', imports=PENDING_IMPORTS),)
    invalid = (
        Example(
            example('migrations.DeleteModel(name="Widget"),  # expect: SML221'),
            fixed="""\
from django.db import migrations, models

from sentry.new_migrations.migrations import CheckedMigration
from sentry.new_migrations.monkey.models import SafeDeleteModel
from sentry.new_migrations.monkey.state import DeletionAction


class Migration(CheckedMigration):
    is_post_deployment = False

    dependencies = [
        ("sentry", "1000_previous"),
    ]

    operations = [
        SafeDeleteModel(name="Widget", deletion_action=DeletionAction.MOVE_TO_PENDING),
    ]
""",
        ),
    )

    def check_migration(self, ctx: Context, migration: MigrationFact) -> Iterator[Violation]:
        for op in db_ops(migration, DELETE_MODEL):
            target = str_const(op.arg(0, "name")) or "the model"
            yield self.at_op(ctx, op, target=target, advice=_advice(ctx, "SafeDeleteModel", "DeleteModel", "table"))

    def plan_fix(self, view: FixView, violation: Violation) -> list[Edit] | None:
        return plan_safe_operation(view, violation, self.code, "DeleteModel", SAFE_DELETE_MODEL, pending=True)


def _advice(ctx: Context, safe: str, plain: str, what: str) -> str:
    """The two-deploy removal, in the checkout's terms: Sentry's safe operation where it has one,
    Django's state-only removal before that (2023 and earlier)."""
    if ctx.capabilities.has(safe) and ctx.capabilities.has("DeletionAction"):
        return f"use `{safe}(..., deletion_action=DeletionAction.MOVE_TO_PENDING)` first, then `DeletionAction.DELETE` in a later migration"
    return (
        f"remove it from Django's state only first (`migrations.SeparateDatabaseAndState(state_operations=[migrations.{plain}(...)])`), "
        f"deploy, then drop the {what} in a later migration"
    )


def _deletion_action(op: OperationFact) -> str | None:
    value = op.call.keyword("deletion_action")
    if value is None or value.kind != NAME or not value.ref:
        return None
    return value.ref


class MissingDeletionAction(MigrationRule):
    code = "SML222"
    needs = ("DeletionAction",)
    name = "missing-deletion-action"
    message = "`{kind}` {problem}: pass `deletion_action=DeletionAction.MOVE_TO_PENDING` (first deploy) or `DeletionAction.DELETE` (after it)"
    summary = "`SafeRemoveField` / `SafeDeleteModel` without `deletion_action=DeletionAction.MOVE_TO_PENDING|DELETE`."
    why = "`deletion_action` is a required keyword of Sentry's safe deletions: it says which of the two phases this migration is."
    instead = "`deletion_action=DeletionAction.MOVE_TO_PENDING` or `deletion_action=DeletionAction.DELETE`."
    valid = (example('SafeDeleteModel(name="Widget", deletion_action=DeletionAction.DELETE),', imports=PENDING_IMPORTS),)
    invalid = (example('SafeDeleteModel(name="Widget"),  # expect: SML222', imports=PENDING_IMPORTS),)

    def check_migration(self, ctx: Context, migration: MigrationFact) -> Iterator[Violation]:
        for op in migration.operations:
            if op.ref not in (SAFE_REMOVE_FIELD, SAFE_DELETE_MODEL):
                continue
            value = op.call.keyword("deletion_action")
            if value is None:
                if op.call.has_kwargs_spread:
                    continue
                problem = "has no `deletion_action`"
            elif value.kind == NAME and (value.ref is None or value.ref in (MOVE_TO_PENDING, DELETE)):
                continue  # a name this module does not resolve, or an accepted action
            else:
                problem = f"has `deletion_action={value.text or '...'}`"
            yield self.at_op(ctx, op, kind=op.kind, problem=problem)


def _deletion_target(op: OperationFact) -> tuple[str, ...] | None:
    if op.ref == SAFE_REMOVE_FIELD:
        model, name = str_const(op.arg(0, "model_name")), str_const(op.arg(1, "name"))
        return ("field", model.lower(), name) if model and name else None
    if op.ref == SAFE_DELETE_MODEL:
        name = str_const(op.arg(0, "name"))
        return ("model", name.lower()) if name else None
    return None


class PendingAndDeleteTogether(MigrationRule):
    code = "SML223"
    needs = ("DeletionAction",)
    name = "pending-and-delete-together"
    message = "`{target}` is moved to pending and deleted in the same migration: the `MOVE_TO_PENDING` migration must deploy first; put `DELETE` in a later migration"
    summary = "`MOVE_TO_PENDING` and `DELETE` for the same target in one migration."
    why = "The pending phase exists so that the code that stopped using the column or table deploys before it is dropped. Doing both in one migration drops it in the same deploy, which is what the two phases are there to prevent."
    instead = "Ship `MOVE_TO_PENDING` alone; after the deploy, a new migration with `DELETE`."
    valid = (
        example(
            'SafeRemoveField(model_name="widget", name="note", deletion_action=DeletionAction.MOVE_TO_PENDING),',
            imports=PENDING_IMPORTS,
        ),
    )
    invalid = (
        example(
            'SafeRemoveField(model_name="widget", name="note", deletion_action=DeletionAction.MOVE_TO_PENDING),\n'
            'SafeRemoveField(model_name="widget", name="note", deletion_action=DeletionAction.DELETE),  # expect: SML223',
            imports=PENDING_IMPORTS,
        ),
    )

    def check_migration(self, ctx: Context, migration: MigrationFact) -> Iterator[Violation]:
        pending = set()
        deletes = []
        for op in migration.operations:
            target = _deletion_target(op)
            if target is None:
                continue
            action = _deletion_action(op)
            if action == MOVE_TO_PENDING:
                pending.add(target)
            elif action == DELETE:
                deletes.append((target, op))
        for target, op in deletes:
            if target in pending:
                yield self.at_op(ctx, op, target=".".join(target[1:]))
