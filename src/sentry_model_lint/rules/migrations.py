"""SML2xx: rules for migration files."""

from __future__ import annotations

import re
from collections.abc import Iterator

from sentry_model_lint.migration_facts import MigrationFact, OperationFact
from sentry_model_lint.names import (
    CHECKED_MIGRATION,
    DELETION_ACTION,
    DJANGO_MIGRATION,
    SAFE_DELETE_MODEL,
    SAFE_REMOVE_FIELD,
    SAFE_RUN_SQL,
)
from sentry_model_lint.rules.base import Context, Family, Fix, Rule, Violation
from sentry_model_lint.rules.base import register as _register
from sentry_model_lint.values import CALL, CONST, DICT, LIST, NAME, TUPLE, Value

# --- vocabulary ---------------------------------------------------------------------------------


def _op(name: str) -> str:
    return f"django.db.migrations.{name}"


ADD_FIELD, ALTER_FIELD, REMOVE_FIELD, RENAME_FIELD = _op("AddField"), _op("AlterField"), _op("RemoveField"), _op("RenameField")
CREATE_MODEL, DELETE_MODEL, RENAME_MODEL = _op("CreateModel"), _op("DeleteModel"), _op("RenameModel")
ALTER_MODEL_TABLE = _op("AlterModelTable")
ADD_INDEX, REMOVE_INDEX = _op("AddIndex"), _op("RemoveIndex")
ADD_CONSTRAINT, REMOVE_CONSTRAINT = _op("AddConstraint"), _op("RemoveConstraint")
RUN_SQL, RUN_PYTHON = _op("RunSQL"), _op("RunPython")
PG_OPS = "django.contrib.postgres.operations."
ADD_INDEX_CONCURRENTLY = PG_OPS + "AddIndexConcurrently"
#: operations Sentry's router cannot place without ``hints={"tables": [...]}``
NEEDS_HINTS = frozenset(
    {
        RUN_PYTHON,
        RUN_SQL,
        SAFE_RUN_SQL,
        *(
            PG_OPS + n
            for n in (
                "CreateExtension",
                "BloomExtension",
                "BtreeGinExtension",
                "BtreeGistExtension",
                "CITextExtension",
                "CryptoExtension",
                "HStoreExtension",
                "TrigramExtension",
                "UnaccentExtension",
            )
        ),
    }
)
HINTS_APPS = frozenset({"sentry", "getsentry"})
MANY_TO_MANY = "django.db.models.ManyToManyField"
UNIQUE_CONSTRAINT = "django.db.models.UniqueConstraint"
EXCLUSION_CONSTRAINT = "django.contrib.postgres.constraints.ExclusionConstraint"
MOVE_TO_PENDING = f"{DELETION_ACTION}.MOVE_TO_PENDING"
DELETE = f"{DELETION_ACTION}.DELETE"
PG_IDENTIFIER_MAX_BYTES = 63
_INDEX_SQL = re.compile(r"\b(?:CREATE\s+(?:UNIQUE\s+)?INDEX|DROP\s+INDEX)\b(?!\s+CONCURRENTLY\b)", re.IGNORECASE)

PRELUDE = """\
from django.db import migrations, models

from sentry.new_migrations.migrations import CheckedMigration
"""


def example(operations: str, imports: str = "", before: str = "", header: str = "is_post_deployment = False") -> str:
    """A complete migration module for a rule's examples."""
    body = "\n".join("        " + line if line else "" for line in operations.strip("\n").splitlines())
    parts = [PRELUDE + imports, before, f"""
class Migration(CheckedMigration):
    {header}

    dependencies = [
        ("sentry", "1000_previous"),
    ]

    operations = [
{body}
    ]
"""]
    return "\n".join(p for p in parts if p).replace("\n\n\n\n", "\n\n\n")


def register(cls: type[Rule]) -> type[Rule]:
    cls.family = Family.MIGRATION
    cls.example_path = "src/sentry/migrations/1001_example.py"
    return _register(cls)


class MigrationRule(Rule):
    """A rule over one migration module; squashed migrations are exempt."""

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


def _db_ops(migration: MigrationFact, *refs: str) -> Iterator[OperationFact]:
    """Operations with one of ``refs`` that run on the database (not in state_operations)."""
    for op in migration.operations:
        if op.runs_on_database and op.ref in refs:
            yield op


def _str(value: Value | None) -> str | None:
    return str(value.const) if value is not None and value.is_str else None


# --- the Migration class --------------------------------------------------------------------------


@register
class NotCheckedMigration(MigrationRule):
    code = "SML201"
    name = "migration-not-checked"
    message = "`Migration` is based on `{base}`: base it on `CheckedMigration` from `sentry.new_migrations.migrations`"
    summary = "`Migration` not based on `CheckedMigration`."
    why = (
        "`CheckedMigration` runs Sentry's safety checks (lock and statement timeouts, refusal of "
        "unsafe operations) when the migration is applied and rolled back; a plain Django "
        "migration skips all of them."
    )
    instead = "`class Migration(CheckedMigration):` with `from sentry.new_migrations.migrations import CheckedMigration`."
    notes = "A base the linter cannot resolve (imported from an unknown module) is not reported. Squashed migrations are exempt from every SML2xx rule."
    valid = (example('migrations.AddField("widget", "note", models.TextField(null=True)),'),)
    invalid = (
        """\
from django.db import migrations, models


class Migration(migrations.Migration):  # expect: SML201
    is_post_deployment = False

    dependencies = [("sentry", "1000_previous")]

    operations = [
        migrations.AddField("widget", "note", models.TextField(null=True)),
    ]
""",
    )

    def check_migration(self, ctx: Context, migration: MigrationFact) -> Iterator[Violation]:
        refs = [b.ref for b in migration.bases if b.kind == NAME]
        if CHECKED_MIGRATION in refs or not refs:
            return
        if DJANGO_MIGRATION in refs:
            yield self.at_class(ctx, migration, base="migrations.Migration")


@register
class MissingPostDeployment(MigrationRule):
    code = "SML202"
    fix = Fix.SAFE
    fix_title = "Insert the standard comment block and `is_post_deployment = False`"
    name = "missing-is-post-deployment"
    message = "{problem}"
    summary = "No `is_post_deployment = <bool>` in the `Migration` class."
    why = (
        "Sentry's deploy decides from `is_post_deployment` whether a migration runs with the "
        "deploy or is applied by hand afterwards (large data migrations, indexes on large "
        "tables). Saying it explicitly, with the standard comment block above it, keeps that "
        "decision visible to reviewers."
    )
    instead = "`is_post_deployment = False` (or `True` for slow migrations), below the generated comment block."
    valid = (example('migrations.AddField("widget", "note", models.TextField(null=True)),'),)
    invalid = (
        """\
from django.db import migrations, models

from sentry.new_migrations.migrations import CheckedMigration


class Migration(CheckedMigration):  # expect: SML202
    dependencies = [("sentry", "1000_previous")]

    operations = [
        migrations.AddField("widget", "note", models.TextField(null=True)),
    ]
""",
    )

    def check_migration(self, ctx: Context, migration: MigrationFact) -> Iterator[Violation]:
        if "is_dangerous" in migration.attrs:
            return  # SML203 asks for the rename
        attr = migration.attrs.get("is_post_deployment")
        if attr is None or attr.value is None:
            yield self.at_class(ctx, migration, problem="`Migration` has no `is_post_deployment`: add `is_post_deployment = False` (True for migrations that run by hand after the deploy)")
            return
        value = attr.value
        if value.kind == CONST and not isinstance(value.const, bool):
            yield self.report(attr.line, attr.col, f"{ctx.facts.info.stem}:is_post_deployment", problem=f"`is_post_deployment` must be `True` or `False`, not {value.const!r}")


@register
class LegacyIsDangerous(MigrationRule):
    code = "SML203"
    fix = Fix.SAFE
    fix_title = "Rename `is_dangerous` to `is_post_deployment`"
    name = "legacy-is-dangerous"
    message = "`is_dangerous` is the legacy name: rename it to `is_post_deployment`"
    summary = "Legacy `is_dangerous` flag."
    why = "`is_dangerous` was renamed `is_post_deployment`; Sentry still reads both, but the old name hides the meaning of the flag from new readers and tools."
    instead = "`is_post_deployment = True` (same value)."
    valid = (example('migrations.AddField("widget", "note", models.TextField(null=True)),'),)
    invalid = (example('migrations.AddField("widget", "note", models.TextField(null=True)),', header="is_dangerous = False  # expect: SML203"),)

    def check_migration(self, ctx: Context, migration: MigrationFact) -> Iterator[Violation]:
        attr = migration.attrs.get("is_dangerous")
        if attr is not None:
            yield self.report(attr.line, attr.col, f"{ctx.facts.info.stem}:is_dangerous")


@register
class UncheckedOutsideSquash(MigrationRule):
    code = "SML204"
    name = "checked-false"
    message = "`checked = False` turns off Sentry's migration safety checks: remove it (only squashed migrations may set it)"
    summary = "`checked = False` outside a squashed migration."
    why = "`checked = False` disables the safe schema editor, so unsafe operations run without timeouts or refusals. Only the squash of an app's history, which replays already-applied operations, needs it."
    instead = "Remove the line and make the operations safe; ask the migrations owners if there is no other way."
    valid = (example('migrations.AddField("widget", "note", models.TextField(null=True)),'),)
    invalid = (
        example(
            'migrations.AddField("widget", "note", models.TextField(null=True)),',
            header="is_post_deployment = False\n    checked = False  # expect: SML204",
        ),
    )

    def check_migration(self, ctx: Context, migration: MigrationFact) -> Iterator[Violation]:
        attr = migration.attrs.get("checked")
        if attr is not None and attr.value is not None and attr.value.kind == CONST and attr.value.const is False:
            yield self.report(attr.line, attr.col, f"{ctx.facts.info.stem}:checked")


# --- adding columns -------------------------------------------------------------------------------


def _added_field(op: OperationFact) -> Value | None:
    field = op.arg(2, "field")
    if field is None or field.kind != CALL or field.call_ref == MANY_TO_MANY:
        return None
    return field


@register
class AddFieldDefault(MigrationRule):
    code = "SML210"
    fix = Fix.SAFE
    fix_title = "A literal `default=` becomes `db_default=`"
    name = "add-field-default"
    message = "`AddField` `{field}` sets `default=` but no `db_default=`: use `db_default={text}` instead of `default=` for columns with defaults"
    summary = "`AddField` with `default=` and no `db_default=`."
    why = (
        "A `default=` lives only in Python: the column is added without a database default, so "
        "rows written by code that is still deployed (or by a rollback) get nothing. "
        "`db_default=` puts the default in Postgres, and adding a column with a database default "
        "is safe."
    )
    instead = "`db_default=<value>` (keep `default=` as well only when Python code needs it before save)."
    notes = "`default=None` is not a default. Many-to-many fields have no column and are skipped. Operations in `state_operations` do not touch the database and are skipped."
    valid = (example('migrations.AddField("widget", "enabled", models.BooleanField(db_default=True)),'),)
    invalid = (
        example(
            'migrations.AddField(  # expect: SML210, SML211\n    "widget", "enabled", models.BooleanField(default=True)\n),'
        ),
    )

    def check_migration(self, ctx: Context, migration: MigrationFact) -> Iterator[Violation]:
        for op in _db_ops(migration, ADD_FIELD):
            field = _added_field(op)
            if field is None or field.keyword("db_default") is not None:
                continue
            default = field.keyword("default")
            if default is None or (default.kind == CONST and default.const is None):
                continue
            text = repr(default.const) if default.kind == CONST else "..."
            yield self.at_op(ctx, op, field=_str(op.arg(1, "name")) or "?", text=text)


@register
class AddNotNullWithoutDbDefault(MigrationRule):
    code = "SML211"
    name = "add-not-null-column"
    message = "`AddField` `{field}` adds a NOT NULL column without `db_default=`: Sentry refuses it; add `db_default=<value>` or `null=True`"
    summary = "`AddField` of a NOT NULL column without `db_default` (refused by Sentry at migrate time)."
    why = (
        "Adding a NOT NULL column without a database default fails on tables that already hold "
        "rows and locks the table while Postgres checks them; Sentry's migration framework "
        "refuses the operation (\"Adding ... as a not null column with no default is unsafe\")."
    )
    instead = "`db_default=<value>` for a NOT NULL column, or `null=True`."
    notes = "Many-to-many fields, fields whose `null=` is not a literal and fields built with `**kwargs` are skipped."
    valid = (
        example(
            'migrations.AddField("widget", "note", models.TextField(null=True)),\n'
            'migrations.AddField("widget", "enabled", models.BooleanField(db_default=False)),'
        ),
    )
    invalid = (example('migrations.AddField("widget", "priority", models.IntegerField()),  # expect: SML211'),)

    def check_migration(self, ctx: Context, migration: MigrationFact) -> Iterator[Violation]:
        for op in _db_ops(migration, ADD_FIELD):
            field = _added_field(op)
            if field is None or field.keyword("db_default") is not None or field.has_kwargs_spread:
                continue
            null = field.keyword("null")
            if null is not None and (null.is_true or null.kind != CONST):
                continue
            yield self.at_op(ctx, op, field=_str(op.arg(1, "name")) or "?")


# --- removing columns and tables ------------------------------------------------------------------

PENDING_IMPORTS = """\
from sentry.new_migrations.monkey.fields import SafeRemoveField
from sentry.new_migrations.monkey.models import SafeDeleteModel
from sentry.new_migrations.monkey.state import DeletionAction
"""


@register
class PlainRemoveField(MigrationRule):
    code = "SML220"
    fix = Fix.UNSAFE
    fix_title = "`SafeRemoveField(..., deletion_action=DeletionAction.MOVE_TO_PENDING)`, imports added"
    name = "plain-remove-field"
    message = "plain `RemoveField` drops `{target}` while deployed code may still read it: use `SafeRemoveField(..., deletion_action=DeletionAction.MOVE_TO_PENDING)` first, then `DeletionAction.DELETE` in a later migration"
    summary = "Plain `RemoveField` (use `SafeRemoveField` with the pending phase)."
    why = (
        "Dropping a column in the same deploy that removes its code breaks the servers still "
        "running the old code. Sentry removes a column in two deploys: `MOVE_TO_PENDING` "
        "removes it from Django's state only, and a later migration with `DELETE` drops it. "
        "Sentry refuses a plain `RemoveField`."
    )
    instead = "`SafeRemoveField(model_name=..., name=..., deletion_action=DeletionAction.MOVE_TO_PENDING)`; after that deploys, the same with `DeletionAction.DELETE`."
    notes = "A `RemoveField` in `state_operations` only changes Django's state and is fine."
    valid = (example('SafeRemoveField(\n    model_name="widget",\n    name="note",\n    deletion_action=DeletionAction.MOVE_TO_PENDING,\n),', imports=PENDING_IMPORTS),)
    invalid = (example('migrations.RemoveField(model_name="widget", name="note"),  # expect: SML220'),)

    def check_migration(self, ctx: Context, migration: MigrationFact) -> Iterator[Violation]:
        for op in _db_ops(migration, REMOVE_FIELD):
            model, name = _str(op.arg(0, "model_name")), _str(op.arg(1, "name"))
            yield self.at_op(ctx, op, target=f"{model}.{name}" if model and name else "the column")


@register
class PlainDeleteModel(MigrationRule):
    code = "SML221"
    fix = Fix.UNSAFE
    fix_title = "`SafeDeleteModel(..., deletion_action=DeletionAction.MOVE_TO_PENDING)`, imports added"
    name = "plain-delete-model"
    message = "plain `DeleteModel` drops table of `{target}` while deployed code may still use it: use `SafeDeleteModel(..., deletion_action=DeletionAction.MOVE_TO_PENDING)` first, then `DeletionAction.DELETE` in a later migration"
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
    invalid = (example('migrations.DeleteModel(name="Widget"),  # expect: SML221'),)

    def check_migration(self, ctx: Context, migration: MigrationFact) -> Iterator[Violation]:
        for op in _db_ops(migration, DELETE_MODEL):
            yield self.at_op(ctx, op, target=_str(op.arg(0, "name")) or "the model")


def _deletion_action(op: OperationFact) -> str | None:
    value = op.call.keyword("deletion_action")
    if value is None or value.kind != NAME or not value.ref:
        return None
    return value.ref


@register
class MissingDeletionAction(MigrationRule):
    code = "SML222"
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
            elif value.kind == NAME and value.ref is None:
                continue
            elif value.kind == NAME and value.ref in (MOVE_TO_PENDING, DELETE):
                continue
            else:
                problem = f"has `deletion_action={value.text or '...'}`"
            yield self.at_op(ctx, op, kind=op.kind, problem=problem)


def _deletion_target(op: OperationFact) -> tuple[str, ...] | None:
    if op.ref == SAFE_REMOVE_FIELD:
        model, name = _str(op.arg(0, "model_name")), _str(op.arg(1, "name"))
        return ("field", model.lower(), name) if model and name else None
    if op.ref == SAFE_DELETE_MODEL:
        name = _str(op.arg(0, "name"))
        return ("model", name.lower()) if name else None
    return None


@register
class PendingAndDeleteTogether(MigrationRule):
    code = "SML223"
    name = "pending-and-delete-together"
    message = "`{target}` is moved to pending and deleted in the same migration: the `MOVE_TO_PENDING` migration must deploy first; put `DELETE` in a later migration"
    summary = "`MOVE_TO_PENDING` and `DELETE` for the same target in one migration."
    why = "The pending phase exists so that the code that stopped using the column or table deploys before it is dropped. Doing both in one migration drops it in the same deploy, which is what the two phases are there to prevent."
    instead = "Ship `MOVE_TO_PENDING` alone; after the deploy, a new migration with `DELETE`."
    valid = (example('SafeRemoveField(model_name="widget", name="note", deletion_action=DeletionAction.MOVE_TO_PENDING),', imports=PENDING_IMPORTS),)
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


# --- renames ----------------------------------------------------------------------------------------


@register
class DatabaseRename(MigrationRule):
    code = "SML230"
    name = "database-rename"
    message = "`{kind}` renames {what} in Postgres while deployed code still uses the old name: {advice}"
    summary = "`RenameField`, `RenameModel` or `AlterModelTable` at database level."
    why = (
        "A rename breaks every server still running the previous code, and Sentry refuses "
        "renaming columns and tables. Renaming only in Django's state keeps the database name."
    )
    instead = "Keep the database name: `db_column=\"old_name\"` on the renamed field, `Meta.db_table = \"old_table\"` on the renamed model (or put the rename in `state_operations`)."
    notes = "A `RenameField` is fine when an earlier operation of the same migration pins the field's `db_column`, and any of these operations is fine in `state_operations`."
    valid = (
        example(
            'migrations.AlterField("widget", "title", models.CharField(max_length=256, db_column="title")),\n'
            'migrations.RenameField("widget", "title", "name"),'
        ),
    )
    invalid = (example('migrations.RenameField("widget", "title", "name"),  # expect: SML230'),)

    ADVICE = {
        RENAME_FIELD: ("a column", "set `db_column=` to the old name on the field instead"),
        RENAME_MODEL: ("a table", "set `Meta.db_table` to the old table name, or rename only in `state_operations`"),
        ALTER_MODEL_TABLE: ("a table", "keep the old table name in `Meta.db_table`"),
    }

    def check_migration(self, ctx: Context, migration: MigrationFact) -> Iterator[Violation]:
        pinned: set[tuple[str, str]] = set()
        for op in migration.operations:
            if op.ref in (ALTER_FIELD, ADD_FIELD):
                model, name, field = _str(op.arg(0, "model_name")), _str(op.arg(1, "name")), op.arg(2, "field")
                if model and name and field is not None and field.kind == CALL and field.keyword("db_column") is not None:
                    pinned.add((model.lower(), name))
            if not op.runs_on_database or op.ref not in self.ADVICE:
                continue
            if op.ref == RENAME_FIELD:
                model, old = _str(op.arg(0, "model_name")), _str(op.arg(1, "old_name"))
                if model and old and (model.lower(), old) in pinned:
                    continue
            what, advice = self.ADVICE[op.ref]
            yield self.at_op(ctx, op, kind=op.kind, what=what, advice=advice)


# --- SQL and Python -----------------------------------------------------------------------------------


@register
class RawRunSQL(MigrationRule):
    code = "SML240"
    fix = Fix.UNSAFE
    fix_title = "`RunSQL` -> `SafeRunSQL`, import added"
    name = "raw-run-sql"
    message = "raw `RunSQL` runs without Sentry's timeouts and checks (Sentry refuses it): use `SafeRunSQL` from `sentry.new_migrations.monkey.special`"
    summary = "Raw `RunSQL` (use `SafeRunSQL`), also inside `database_operations`."
    why = "`CheckedMigration` refuses `RunSQL` because the safety framework cannot inspect raw SQL; `SafeRunSQL` at least applies the lock and statement timeouts."
    instead = "`SafeRunSQL(sql, reverse_sql=..., hints={\"tables\": [...]})`, approved by the migrations owners."
    notes = "`migrations.RunSQL.noop` passed as an argument is not an operation and is fine, as is `RunSQL` in `state_operations`."
    valid = (
        example(
            'SafeRunSQL(\n    "UPDATE sentry_widget SET note = \'\'",\n    reverse_sql=migrations.RunSQL.noop,\n    hints={"tables": ["sentry_widget"]},\n),',
            imports="from sentry.new_migrations.monkey.special import SafeRunSQL\n",
        ),
    )
    invalid = (example('migrations.RunSQL(  # expect: SML240\n    "UPDATE sentry_widget SET note = \'\'",\n    hints={"tables": ["sentry_widget"]},\n),'),)

    def check_migration(self, ctx: Context, migration: MigrationFact) -> Iterator[Violation]:
        for op in _db_ops(migration, RUN_SQL):
            yield self.at_op(ctx, op)


def _hints_problem(op: OperationFact) -> str | None:
    hints = op.call.keyword("hints")
    if hints is None:
        return None if op.call.has_kwargs_spread else "has no `hints`"
    if hints.kind != DICT:
        return None  # a constant or a call: cannot be checked here
    if any(key is None for key in hints.keys):
        return None  # {**base, ...}
    for key, value in zip(hints.keys, hints.items):
        if key is not None and key.is_str and key.const == "tables":
            if value.kind in (LIST, TUPLE):
                return "has an empty `hints[\"tables\"]`" if not value.items else None
            return None
    return "has `hints` without a `\"tables\"` list"


@register
class MissingTableHints(MigrationRule):
    code = "SML241"
    name = "missing-table-hints"
    message = "`{kind}` {problem}: add `hints={{\"tables\": [\"<table>\", ...]}}` naming the tables it touches, so Sentry's router can place it"
    summary = "In apps `sentry`/`getsentry`: `RunPython`, `RunSQL`, `SafeRunSQL` or an extension operation without `hints={\"tables\": [...]}`."
    why = (
        "Sentry's router decides which database runs an operation from the tables it touches. "
        "For operations that are not about one model (Python and SQL), it only knows them from "
        "`hints[\"tables\"]`; the migration executor refuses such operations without it in the "
        "`sentry` and `getsentry` apps."
    )
    instead = "`hints={\"tables\": [\"sentry_widget\"]}` on the operation."
    notes = "Hints held in a constant or built by a helper (such as `to_jsonb`) are not checked. Other apps are not routed this way and are skipped."
    valid = (
        example(
            'migrations.RunPython(\n    backfill,\n    reverse_code=migrations.RunPython.noop,\n    hints={"tables": ["sentry_widget"]},\n),',
            before="\ndef backfill(apps, schema_editor):\n    Widget = apps.get_model(\"sentry\", \"Widget\")\n    Widget.objects.filter(note=None).update(note=\"\")\n",
        ),
    )
    invalid = (
        example(
            "migrations.RunPython(backfill, reverse_code=migrations.RunPython.noop),  # expect: SML241",
            before="\ndef backfill(apps, schema_editor):\n    Widget = apps.get_model(\"sentry\", \"Widget\")\n    Widget.objects.filter(note=None).update(note=\"\")\n",
        ),
    )

    def check_migration(self, ctx: Context, migration: MigrationFact) -> Iterator[Violation]:
        if ctx.facts.info.app_folder not in HINTS_APPS:
            return
        for op in _db_ops(migration, *NEEDS_HINTS):
            problem = _hints_problem(op)
            if problem is not None:
                yield self.at_op(ctx, op, kind=op.kind, problem=problem)


def _reverse_code(op: OperationFact) -> Value | None:
    return op.arg(1, "reverse_code")


@register
class RunPythonWithoutReverse(MigrationRule):
    code = "SML242"
    fix = Fix.SAFE
    fix_title = "Add `reverse_code=migrations.RunPython.noop`"
    name = "run-python-without-reverse"
    message = "`RunPython` has no reverse, so the migration cannot be rolled back (tests migrate backwards too): add `reverse_code=migrations.RunPython.noop`"
    summary = "`RunPython` without a reverse."
    why = "A `RunPython` without `reverse_code` makes the whole migration irreversible: rolling back a deploy, and migration tests that migrate down and up again, fail on it."
    instead = "`reverse_code=migrations.RunPython.noop` when undoing needs nothing, or a real reverse function."
    valid = (
        example(
            'migrations.RunPython(backfill, migrations.RunPython.noop, hints={"tables": ["sentry_widget"]}),',
            before="\ndef backfill(apps, schema_editor):\n    pass\n",
        ),
    )
    invalid = (
        example(
            'migrations.RunPython(backfill, hints={"tables": ["sentry_widget"]}),  # expect: SML242',
            before="\ndef backfill(apps, schema_editor):\n    pass\n",
        ),
    )

    def check_migration(self, ctx: Context, migration: MigrationFact) -> Iterator[Violation]:
        for op in _db_ops(migration, RUN_PYTHON):
            reverse = _reverse_code(op)
            if reverse is None and (op.call.has_kwargs_spread or op.call.starred):
                continue
            if reverse is None or (reverse.kind == CONST and reverse.const is None):
                yield self.at_op(ctx, op)


@register
class RunPythonLiveModels(MigrationRule):
    code = "SML243"
    name = "run-python-live-model"
    message = "`{function}` uses the live model `{model}`: inside a migration use `apps.get_model(\"<app>\", \"{model}\")`, which matches the schema at this point of history"
    summary = "`RunPython` code that uses live models imported from `*.models*` instead of `apps.get_model(...)`."
    why = (
        "A live model class describes today's schema, not the schema at this migration: once a "
        "later migration adds a column, the backfill breaks for everyone who migrates from "
        "scratch. The `apps` registry passed to the function holds the historical models."
    )
    instead = "`Widget = apps.get_model(\"sentry\", \"Widget\")` inside the function."
    notes = "Only uses that need a model (`X.objects`, `X.DoesNotExist`, managers) count: constants and enums imported from a models module are fine."
    valid = (
        example(
            'migrations.RunPython(backfill, migrations.RunPython.noop, hints={"tables": ["sentry_widget"]}),',
            before="\ndef backfill(apps, schema_editor):\n    Widget = apps.get_model(\"sentry\", \"Widget\")\n    Widget.objects.filter(note=None).update(note=\"\")\n",
        ),
    )
    invalid = (
        example(
            'migrations.RunPython(backfill, migrations.RunPython.noop, hints={"tables": ["sentry_widget"]}),',
            imports="from sentry.models.widget import Widget\n",
            before="\ndef backfill(apps, schema_editor):\n    Widget.objects.filter(note=None).update(note=\"\")  # expect: SML243\n",
        ),
    )

    def check_migration(self, ctx: Context, migration: MigrationFact) -> Iterator[Violation]:
        functions = ctx.facts.functions
        seen = set()
        for op in migration.operations:
            if op.ref != RUN_PYTHON:
                continue
            for value in (op.arg(0, "code"), _reverse_code(op)):
                if value is None or value.kind != NAME or not value.text or "." in value.text:
                    continue
                function = functions.get(value.text)
                if function is None or function.name in seen:
                    continue
                seen.add(function.name)
                for use in function.model_uses:
                    yield self.report(use.line, use.col, f"{ctx.facts.info.stem}:{function.name}", function=function.name, model=use.text)


# --- indexes, SQL and identifiers ----------------------------------------------------------------------


def _created_models(migration: MigrationFact) -> set[str]:
    names = set()
    for op in migration.operations:
        if op.ref == CREATE_MODEL:
            name = _str(op.arg(0, "name"))
            if name:
                names.add(name.lower())
    return names


@register
class IndexOnExistingTable(MigrationRule):
    code = "SML250"
    name = "index-not-post-deployment"
    message = "`{kind}` builds an index on the existing table of `{model}` during the deploy: if the table is large, set `is_post_deployment = True` (a long index build outlasts the 5 s timeout); list your large tables in `large-tables` to narrow this rule"
    summary = "`AddIndex` / unique `AddConstraint` on an existing table while `is_post_deployment = False`."
    why = (
        "Building an index reads the whole table. On a large table that takes longer than the "
        "statement timeout that deploy-time migrations run under, so Sentry's guide asks for "
        "`is_post_deployment = True`, which runs the migration by hand after the deploy."
    )
    instead = "`is_post_deployment = True` in the migration that adds the index."
    notes = (
        "Tables created in the same migration are skipped. With `large-tables = [\"sentry_groupedmessage\", ...]` "
        "in `[tool.sentry-model-lint]` (or flake8's `--sml-large-tables`), only those tables are "
        "reported; entries are table names, matched against `<app>_<model>`, or `app.model` labels."
    )
    valid = (
        example(
            'migrations.AddIndex(\n    model_name="widget",\n    index=models.Index(fields=["date_added"], name="sentry_widget_date_idx"),\n),',
            header="is_post_deployment = True",
        ),
    )
    invalid = (
        example(
            'migrations.AddIndex(  # expect: SML250\n    model_name="widget",\n    index=models.Index(fields=["date_added"], name="sentry_widget_date_idx"),\n),'
        ),
    )

    def check_migration(self, ctx: Context, migration: MigrationFact) -> Iterator[Violation]:
        post = migration.attr_value("is_post_deployment")
        if post is not None and (post.is_true or post.kind != CONST):
            return
        created = _created_models(migration)
        app = ctx.facts.info.app_folder or ""
        large = set(ctx.config.large_tables)
        for op in _db_ops(migration, ADD_INDEX, ADD_INDEX_CONCURRENTLY, ADD_CONSTRAINT):
            if op.ref == ADD_CONSTRAINT:
                constraint = op.arg(1, "constraint")
                if constraint is None or constraint.call_ref != UNIQUE_CONSTRAINT:
                    continue
            model = _str(op.arg(0, "model_name"))
            if not model or model.lower() in created:
                continue
            if large and not ({f"{app}_{model.lower()}", f"{app}.{model.lower()}"} & large):
                continue
            yield self.at_op(ctx, op, kind=op.kind, model=model)


def _sql_texts(op: OperationFact) -> Iterator[str]:
    for value in (op.arg(0, "sql"), op.arg(1, "reverse_sql")):
        if value is None:
            continue
        items = value.items if value.kind in (LIST, TUPLE) else (value,)
        for item in items:
            if item.kind in (LIST, TUPLE) and item.items:  # (sql, params)
                item = item.items[0]
            text = item.literal_text
            if text:
                yield text


@register
class NonConcurrentIndexSQL(MigrationRule):
    code = "SML251"
    name = "index-sql-not-concurrent"
    message = "SQL `{statement}` without `CONCURRENTLY` locks the table for the whole build: write `{statement} CONCURRENTLY`"
    summary = "`CREATE INDEX` / `DROP INDEX` in SQL without `CONCURRENTLY`."
    why = "A plain `CREATE INDEX` blocks writes to the table until the index is built, and `DROP INDEX` takes an exclusive lock; `CONCURRENTLY` avoids both (and needs a non-atomic migration, which `CheckedMigration` is)."
    instead = "`CREATE INDEX CONCURRENTLY IF NOT EXISTS ...`, `DROP INDEX CONCURRENTLY IF EXISTS ...`, in a post-deployment migration with `use_statement_timeout=False`."
    valid = (
        example(
            'SafeRunSQL(\n    "CREATE INDEX CONCURRENTLY IF NOT EXISTS sentry_widget_note_idx ON sentry_widget (note)",\n'
            '    reverse_sql="DROP INDEX CONCURRENTLY IF EXISTS sentry_widget_note_idx",\n    hints={"tables": ["sentry_widget"]},\n    use_statement_timeout=False,\n),',
            imports="from sentry.new_migrations.monkey.special import SafeRunSQL\n",
            header="is_post_deployment = True",
        ),
    )
    invalid = (
        example(
            'SafeRunSQL(  # expect: SML251\n    "CREATE INDEX sentry_widget_note_idx ON sentry_widget (note)",\n'
            '    reverse_sql="DROP INDEX CONCURRENTLY IF EXISTS sentry_widget_note_idx",\n    hints={"tables": ["sentry_widget"]},\n),',
            imports="from sentry.new_migrations.monkey.special import SafeRunSQL\n",
            header="is_post_deployment = True",
        ),
    )

    def check_migration(self, ctx: Context, migration: MigrationFact) -> Iterator[Violation]:
        for op in _db_ops(migration, RUN_SQL, SAFE_RUN_SQL):
            for text in _sql_texts(op):
                match = _INDEX_SQL.search(text)
                if match:
                    statement = " ".join(match.group(0).upper().split())
                    yield self.at_op(ctx, op, statement=statement)
                    break


def _too_long(text: str | None) -> bool:
    return text is not None and len(text.encode("utf-8")) > PG_IDENTIFIER_MAX_BYTES


def _identifiers(op: OperationFact) -> Iterator[tuple[str, Value, str]]:
    """(what, literal, text) for every identifier Sentry's validator measures in ``op``."""
    ref = op.ref

    def named(value: Value | None, what: str) -> Iterator[tuple[str, Value, str]]:
        text = _str(value)
        if value is not None and text is not None:
            yield what, value, text

    def index_name(call: Value | None, what: str) -> Iterator[tuple[str, Value, str]]:
        if call is not None and call.kind == CALL:
            yield from named(call.keyword("name"), what)

    if ref == CREATE_MODEL:
        name = op.arg(0, "name")
        if name is not None and name.is_str:
            yield "model name", name, str(name.const).lower()
        fields = op.arg(1, "fields")
        if fields is not None and fields.kind in (LIST, TUPLE):
            for item in fields.items:
                if item.kind == TUPLE and len(item.items) == 2:
                    field_name, field = item.items
                    column = field.keyword("db_column") if field.kind == CALL else None
                    if column is not None and column.is_str:
                        yield from named(column, "column name")
                    else:
                        yield from named(field_name, "field name")
        options = op.arg(2, "options")
        if options is not None and options.kind == DICT:
            for key, value in zip(options.keys, options.items):
                if key is not None and key.is_str and key.const == "indexes" and value.kind in (LIST, TUPLE):
                    for index in value.items:
                        yield from index_name(index, "index name")
    elif ref == ADD_FIELD:
        yield from named(op.arg(1, "name"), "field name")
        field = op.arg(2, "field")
        if field is not None and field.kind == CALL:
            yield from named(field.keyword("db_column"), "column name")
    elif ref == RENAME_FIELD:
        yield from named(op.arg(2, "new_name"), "field name")
    elif ref == RENAME_MODEL:
        value = op.arg(1, "new_name")
        if value is not None and value.is_str:
            yield "model name", value, str(value.const).lower()
    elif ref in (ADD_INDEX, ADD_INDEX_CONCURRENTLY):
        yield from index_name(op.arg(1, "index"), "index name")
    elif ref == REMOVE_INDEX:
        yield from named(op.arg(1, "name"), "index name")
    elif ref == ADD_CONSTRAINT:
        yield from index_name(op.arg(1, "constraint"), "constraint name")
    elif ref == REMOVE_CONSTRAINT:
        yield from named(op.arg(1, "name"), "constraint name")


@register
class LongIdentifierInOperation(MigrationRule):
    code = "SML260"
    name = "operation-identifier-too-long"
    message = "{what} `{name}` is {size} bytes long; PostgreSQL identifiers are limited to 63 bytes (Sentry refuses it): shorten it"
    summary = "Identifier over 63 UTF-8 bytes in an operation (model, field, column, index, constraint names)."
    why = "PostgreSQL silently truncates identifiers to 63 bytes; Sentry's migration validator refuses longer ones so that two names never collide after truncation."
    instead = "A shorter name (abbreviate the table prefix, not the meaning)."
    valid = (example('migrations.AddField("widget", "note", models.TextField(null=True)),'),)
    invalid = (
        example(
            'migrations.AddField(\n    "widget",\n    "note_that_was_written_by_the_owner_of_the_widget_when_it_was_created",  # expect: SML260\n    models.TextField(null=True),\n),'
        ),
    )

    def check_migration(self, ctx: Context, migration: MigrationFact) -> Iterator[Violation]:
        for op in migration.operations:
            if not op.runs_on_database:
                continue
            for what, value, text in _identifiers(op):
                if _too_long(text):
                    yield self.report(value.line, value.col, f"{ctx.facts.info.stem}:{op.path}", what=what, name=text, size=len(text.encode("utf-8")))


def _exclusion_constraints(op: OperationFact) -> Iterator[Value]:
    if op.ref == ADD_CONSTRAINT:
        constraint = op.arg(1, "constraint")
        if constraint is not None and constraint.call_ref == EXCLUSION_CONSTRAINT:
            yield constraint
    elif op.ref == CREATE_MODEL:
        options = op.arg(2, "options")
        if options is not None and options.kind == DICT:
            for key, value in zip(options.keys, options.items):
                if key is not None and key.is_str and key.const == "constraints" and value.kind in (LIST, TUPLE):
                    for item in value.items:
                        if item.call_ref == EXCLUSION_CONSTRAINT:
                            yield item


@register
class ExclusionConstraintOutsideSquash(MigrationRule):
    code = "SML261"
    name = "exclusion-constraint"
    message = "`ExclusionConstraint` takes locks Sentry refuses outside a squash: enforce the rule another way, or get the migrations owners' approval"
    summary = "`ExclusionConstraint` outside a squashed migration."
    why = "Adding an exclusion constraint scans and locks the table, and Sentry's safe schema editor refuses it; only the squash of an app's history, which recreates existing constraints, may contain one."
    instead = "Application-level checks, or a unique constraint when that expresses the rule."
    valid = (example('migrations.AddField("widget", "note", models.TextField(null=True)),'),)
    invalid = (
        example(
            'migrations.AddConstraint(\n    model_name="widget",\n    constraint=ExclusionConstraint(  # expect: SML261\n'
            '        name="sentry_widget_no_overlap",\n        expressions=[("period", RangeOperators.OVERLAPS)],\n    ),\n),',
            imports="from django.contrib.postgres.constraints import ExclusionConstraint\nfrom django.contrib.postgres.fields import RangeOperators\n",
        ),
    )

    def check_migration(self, ctx: Context, migration: MigrationFact) -> Iterator[Violation]:
        for op in migration.operations:
            if not op.runs_on_database:
                continue
            for constraint in _exclusion_constraints(op):
                yield self.report(constraint.line, constraint.col, f"{ctx.facts.info.stem}:{op.path}")

