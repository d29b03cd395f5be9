"""SML250, SML251, SML260, SML261: indexes and constraints, concurrent SQL, identifier lengths."""

from __future__ import annotations

import re
from collections.abc import Iterator

from sentry_model_lint.migration_facts import MigrationFact, OperationFact
from sentry_model_lint.rules.base import Context, Violation
from sentry_model_lint.rules.migrations.common import (
    MigrationRule,
    db_ops,
    example,
    str_const,
)
from sentry_model_lint.values import CALL, CONST, DICT, LIST, TUPLE, Value
from sentry_model_lint.vocab import (
    ADD_CONSTRAINT,
    ADD_FIELD,
    ADD_INDEX,
    ADD_INDEX_CONCURRENTLY,
    CREATE_MODEL,
    EXCLUSION_CONSTRAINT,
    REMOVE_CONSTRAINT,
    REMOVE_INDEX,
    RENAME_FIELD,
    RENAME_MODEL,
    RUN_SQL,
    SAFE_RUN_SQL,
    UNIQUE_CONSTRAINT,
    identifier_too_long,
)

_INDEX_SQL = re.compile(r"\b(?:CREATE\s+(?:UNIQUE\s+)?INDEX|DROP\s+INDEX)\b(?!\s+CONCURRENTLY\b)", re.IGNORECASE)


def _created_models(migration: MigrationFact) -> set[str]:
    names = set()
    for op in migration.operations:
        if op.ref == CREATE_MODEL:
            name = str_const(op.arg(0, "name"))
            if name:
                names.add(name.lower())
    return names


class IndexOnExistingTable(MigrationRule):
    code = "SML250"
    name = "index-not-post-deployment"
    message = "`{kind}` builds an index on the existing table of `{model}` during the deploy: if the table is large, set `{flag} = True` (a long index build outlasts the 5 s timeout); list your large tables in `large-tables` to narrow this rule"
    summary = "`AddIndex` / unique `AddConstraint` on an existing table while `is_post_deployment = False`."
    why = (
        "Building an index reads the whole table. On a large table that takes longer than the "
        "statement timeout that deploy-time migrations run under, so Sentry's guide asks for "
        "`is_post_deployment = True`, which runs the migration by hand after the deploy."
    )
    instead = "`is_post_deployment = True` in the migration that adds the index."
    notes = (
        'Tables created in the same migration are skipped. With `large-tables = ["sentry_groupedmessage", ...]` '
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
        for flag in ctx.capabilities.post_deployment_flags:  # is_dangerous in older checkouts
            post = migration.attr_value(flag)
            if post is not None and (post.is_true or post.kind != CONST):
                return
        created = _created_models(migration)
        app = ctx.facts.info.app_folder or ""
        large = set(ctx.config.large_tables)
        for op in db_ops(migration, ADD_INDEX, ADD_INDEX_CONCURRENTLY, ADD_CONSTRAINT):
            if op.ref == ADD_CONSTRAINT:
                constraint = op.arg(1, "constraint")
                if constraint is None or constraint.call_ref != UNIQUE_CONSTRAINT:
                    continue
            model = str_const(op.arg(0, "model_name"))
            if not model or model.lower() in created:
                continue
            if large and not ({f"{app}_{model.lower()}", f"{app}.{model.lower()}"} & large):
                continue
            yield self.at_op(ctx, op, kind=op.kind, model=model, flag=ctx.capabilities.post_deployment_flag)


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
        for op in db_ops(migration, RUN_SQL, SAFE_RUN_SQL):
            for text in _sql_texts(op):
                match = _INDEX_SQL.search(text)
                if match:
                    statement = " ".join(match.group(0).upper().split())
                    yield self.at_op(ctx, op, statement=statement)
                    break


def _identifiers(op: OperationFact) -> Iterator[tuple[str, Value, str]]:
    """(what, literal, text) for every identifier Sentry's validator measures in ``op``."""
    ref = op.ref

    def named(value: Value | None, what: str) -> Iterator[tuple[str, Value, str]]:
        text = str_const(value)
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
            for key, value in zip(options.keys, options.items, strict=True):
                if key is not None and key.is_str and key.const == "indexes" and value.kind in (LIST, TUPLE):
                    for index in value.items:
                        yield from index_name(index, "index name")
    elif ref == ADD_FIELD:
        yield from named(op.arg(1, "name"), "field name")
        added = op.arg(2, "field")
        if added is not None and added.kind == CALL:
            yield from named(added.keyword("db_column"), "column name")
    elif ref == RENAME_FIELD:
        yield from named(op.arg(2, "new_name"), "field name")
    elif ref == RENAME_MODEL:
        new_name = op.arg(1, "new_name")
        if new_name is not None and new_name.is_str:
            yield "model name", new_name, str(new_name.const).lower()
    elif ref in (ADD_INDEX, ADD_INDEX_CONCURRENTLY):
        yield from index_name(op.arg(1, "index"), "index name")
    elif ref == REMOVE_INDEX:
        yield from named(op.arg(1, "name"), "index name")
    elif ref == ADD_CONSTRAINT:
        yield from index_name(op.arg(1, "constraint"), "constraint name")
    elif ref == REMOVE_CONSTRAINT:
        yield from named(op.arg(1, "name"), "constraint name")


class LongIdentifierInOperation(MigrationRule):
    code = "SML260"
    name = "operation-identifier-too-long"
    message = (
        "{what} `{name}` is {size} bytes long; PostgreSQL identifiers are limited to 63 bytes (Sentry refuses it): shorten it"
    )
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
                if identifier_too_long(text):
                    yield self.report(
                        value.line,
                        value.col,
                        f"{ctx.facts.info.stem}:{op.path}",
                        what=what,
                        name=text,
                        size=len(text.encode("utf-8")),
                    )


def _exclusion_constraints(op: OperationFact) -> Iterator[Value]:
    if op.ref == ADD_CONSTRAINT:
        constraint = op.arg(1, "constraint")
        if constraint is not None and constraint.call_ref == EXCLUSION_CONSTRAINT:
            yield constraint
    elif op.ref == CREATE_MODEL:
        options = op.arg(2, "options")
        if options is not None and options.kind == DICT:
            for key, value in zip(options.keys, options.items, strict=True):
                if key is not None and key.is_str and key.const == "constraints" and value.kind in (LIST, TUPLE):
                    for item in value.items:
                        if item.call_ref == EXCLUSION_CONSTRAINT:
                            yield item


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
