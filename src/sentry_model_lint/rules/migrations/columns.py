"""SML210, SML211, SML230: adding columns (defaults, NOT NULL) and renaming columns and tables."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, ClassVar

from sentry_model_lint.migration_facts import MigrationFact, OperationFact
from sentry_model_lint.rules.base import Context, Example, Fix, Violation
from sentry_model_lint.rules.migrations.common import (
    MigrationRule,
    example,
    str_const,
)
from sentry_model_lint.values import CALL, CONST, Value
from sentry_model_lint.vocab import (
    ADD_FIELD,
    ALTER_FIELD,
    ALTER_MODEL_TABLE,
    CREATE_MODEL,
    MANY_TO_MANY,
    RENAME_FIELD,
    RENAME_MODEL,
)

if TYPE_CHECKING:
    from sentry_model_lint.fixes.edits import Edit
    from sentry_model_lint.fixes.view import FixView


def _added_field(op: OperationFact) -> Value | None:
    field = op.arg(2, "field")
    if field is None or field.kind != CALL or field.call_ref == MANY_TO_MANY:
        return None
    return field


def _null_db_default(field: Value) -> bool:
    value = field.keyword("db_default")
    return value is not None and value.kind == CONST and value.const is None


def _has_db_default(field: Value) -> bool:
    """Whether the field has a database default: ``db_default=None`` is none (Postgres fills NULL)."""
    return field.keyword("db_default") is not None and not _null_db_default(field)


def _add_fields_to_existing_tables(migration: MigrationFact) -> Iterator[OperationFact]:
    """``AddField`` operations that run on the database, except those on a model created earlier
    in the same migration: that table is new and empty, so adding a column to it is instant."""
    created: set[str] = set()
    for op in migration.operations:
        if not op.runs_on_database:
            continue
        if op.ref == CREATE_MODEL:
            name = str_const(op.arg(0, "name"))
            if name:
                created.add(name.lower())
        elif op.ref == ADD_FIELD:
            model = str_const(op.arg(0, "model_name"))
            if model is None or model.lower() not in created:
                yield op


class AddFieldDefault(MigrationRule):
    code = "SML210"
    needs = ("django>=5.0",)
    fix = Fix.SAFE
    fix_title = "A literal `default=` becomes `db_default=`"
    name = "add-field-default"
    message = "`AddField` `{field}` sets `default=` but {missing}: use `db_default={text}` instead of `default=` for columns with defaults"
    summary = "`AddField` with `default=` and no `db_default=`."
    why = (
        "A `default=` lives only in Python: the column is added without a database default, so "
        "rows written by code that is still deployed (or by a rollback) get nothing. "
        "`db_default=` puts the default in Postgres, and adding a column with a database default "
        "is safe."
    )
    instead = "`db_default=<value>` (keep `default=` as well only when Python code needs it before save)."
    notes = (
        "`default=None` is not a default. `db_default=None` is no database default either (Postgres "
        "fills NULL), so `default=1, db_default=None` is reported (without a fix: the keyword is "
        "already there). Many-to-many fields have no column and are skipped. Operations in "
        "`state_operations` do not touch the database and are skipped, and so is an `AddField` to a "
        "model created earlier in the same migration (its table is new and empty)."
    )
    valid = (example('migrations.AddField("widget", "enabled", models.BooleanField(db_default=True)),'),)
    invalid = (
        Example(
            example(
                'migrations.AddField(  # expect: SML210, SML211\n    "widget", "enabled", models.BooleanField(default=True)\n),'
            ),
            fixed="""\
from django.db import migrations, models

from sentry.new_migrations.migrations import CheckedMigration


class Migration(CheckedMigration):
    is_post_deployment = False

    dependencies = [
        ("sentry", "1000_previous"),
    ]

    operations = [
        migrations.AddField(
            "widget", "enabled", models.BooleanField(db_default=True)
        ),
    ]
""",
        ),
    )

    def check_migration(self, ctx: Context, migration: MigrationFact) -> Iterator[Violation]:
        for op in _add_fields_to_existing_tables(migration):
            field = _added_field(op)
            if field is None or _has_db_default(field):
                continue
            default = field.keyword("default")
            if default is None or (default.kind == CONST and default.const is None):
                continue
            text = repr(default.const) if default.kind == CONST else "..."
            missing = "`db_default=None`, which is no database default" if _null_db_default(field) else "no `db_default=`"
            yield self.at_op(ctx, op, field=str_const(op.arg(1, "name")) or "?", text=text, missing=missing)

    def plan_fix(self, view: FixView, violation: Violation) -> list[Edit] | None:
        import libcst as cst

        from sentry_model_lint.fixes import edits as e
        from sentry_model_lint.fixes.shapes import has_star, is_literal, keyword, positional

        call = view.operation(violation, "AddField")
        if call is None or has_star(call):
            return None
        args = positional(call)
        field_arg = keyword(call, "field") or (args[2] if len(args) > 2 else None)
        if field_arg is None or not isinstance(field_arg.value, cst.Call):
            return None
        field_call = field_arg.value
        default = keyword(field_call, "default")
        if default is None or keyword(field_call, "db_default") is not None:
            return None
        if not is_literal(default.value):
            return None  # None, a name, a call: not a value Postgres can hold as written
        if not view.once(self.code, default):
            return []
        return [e.RenameKeyword(view.at(default), "db_default")]


class AddNotNullWithoutDbDefault(MigrationRule):
    code = "SML211"
    name = "add-not-null-column"
    message = "`AddField` `{field}` adds a NOT NULL column{without}: {problem}; {advice}"
    summary = "`AddField` of a NOT NULL column without `db_default` (refused by Sentry at migrate time)."
    why = (
        "Adding a NOT NULL column without a database default fails on tables that already hold "
        "rows and locks the table while Postgres checks them; Sentry's migration framework "
        'refuses the operation ("Adding ... as a not null column with no default is unsafe").'
    )
    instead = "`db_default=<value>` for a NOT NULL column, or `null=True`."
    notes = (
        "Many-to-many fields, fields whose `null=` is not a literal and fields built with `**kwargs` "
        "are skipped. `db_default=None` counts as no database default: Django writes `DEFAULT NULL`, "
        "so adding the NOT NULL column fails on a table with rows (the message says so rather than "
        "naming Sentry's check). An `AddField` to a model created earlier in the same "
        "migration is skipped: its table is new and empty."
    )
    valid = (
        example(
            'migrations.AddField("widget", "note", models.TextField(null=True)),\n'
            'migrations.AddField("widget", "enabled", models.BooleanField(db_default=False)),'
        ),
    )
    invalid = (example('migrations.AddField("widget", "priority", models.IntegerField()),  # expect: SML211'),)

    def check_migration(self, ctx: Context, migration: MigrationFact) -> Iterator[Violation]:
        for op in _add_fields_to_existing_tables(migration):
            field = _added_field(op)
            if field is None or _has_db_default(field) or field.has_kwargs_spread:
                continue
            null = field.keyword("null")
            if null is not None and (null.is_true or null.kind != CONST):
                continue
            problem = "Sentry refuses it"
            if ctx.capabilities.django_at_least(5, 0):
                without, advice = " without `db_default=`", "add `db_default=<value>` or `null=True`"
                if _null_db_default(field):
                    without = " with `db_default=None`, which is no database default"
                    problem = "Postgres fills the existing rows with NULL, which the column refuses"
            else:  # no db_default before Django 5.0
                without, advice = "", "add it with `null=True`"
            yield self.at_op(ctx, op, field=str_const(op.arg(1, "name")) or "?", without=without, problem=problem, advice=advice)


class DatabaseRename(MigrationRule):
    code = "SML230"
    name = "database-rename"
    message = "`{kind}` renames {what} in Postgres while deployed code still uses the old name: {advice}"
    summary = "`RenameField`, `RenameModel` or `AlterModelTable` at database level."
    why = (
        "A rename breaks every server still running the previous code, and Sentry refuses "
        "renaming columns and tables. Renaming only in Django's state keeps the database name."
    )
    instead = 'Keep the database name: `db_column="old_name"` on the renamed field, `Meta.db_table = "old_table"` on the renamed model (or put the rename in `state_operations`).'
    notes = "A `RenameField` is fine when an earlier operation of the same migration pins the field's `db_column`, and any of these operations is fine in `state_operations`."
    valid = (
        example(
            'migrations.AlterField("widget", "title", models.CharField(max_length=256, db_column="title")),\n'
            'migrations.RenameField("widget", "title", "name"),'
        ),
    )
    invalid = (example('migrations.RenameField("widget", "title", "name"),  # expect: SML230'),)

    ADVICE: ClassVar[dict[str, tuple[str, str]]] = {
        RENAME_FIELD: ("a column", "set `db_column=` to the old name on the field instead"),
        RENAME_MODEL: ("a table", "set `Meta.db_table` to the old table name, or rename only in `state_operations`"),
        ALTER_MODEL_TABLE: ("a table", "keep the old table name in `Meta.db_table`"),
    }

    def check_migration(self, ctx: Context, migration: MigrationFact) -> Iterator[Violation]:
        pinned: set[tuple[str, str]] = set()
        for op in migration.operations:
            if op.ref in (ALTER_FIELD, ADD_FIELD):
                model, name, field = str_const(op.arg(0, "model_name")), str_const(op.arg(1, "name")), op.arg(2, "field")
                if model and name and field is not None and field.kind == CALL and field.keyword("db_column") is not None:
                    pinned.add((model.lower(), name))
            if not op.runs_on_database or op.ref not in self.ADVICE:
                continue
            if op.ref == RENAME_FIELD:
                model, old = str_const(op.arg(0, "model_name")), str_const(op.arg(1, "old_name"))
                if model and old and (model.lower(), old) in pinned:
                    continue
            what, advice = self.ADVICE[op.ref]
            yield self.at_op(ctx, op, kind=op.kind, what=what, advice=advice)
