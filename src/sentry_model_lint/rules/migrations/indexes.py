"""SML250, SML251, SML260, SML261: indexes and constraints, concurrent SQL, identifier lengths."""

from __future__ import annotations

import re
from collections.abc import Iterator

from sentry_model_lint.migration_facts import MigrationFact, OperationFact
from sentry_model_lint.replay import KEPT_KEYWORDS, FieldState
from sentry_model_lint.rules.base import Context, Violation
from sentry_model_lint.rules.migrations.common import (
    MigrationRule,
    db_ops,
    example,
    str_const,
)
from sentry_model_lint.values import CALL, CONST, DICT, LIST, SET, TUPLE, Value
from sentry_model_lint.vocab import (
    ADD_CONSTRAINT,
    ADD_FIELD,
    ADD_INDEX,
    ADD_INDEX_CONCURRENTLY,
    ALTER_FIELD,
    CREATE_MODEL,
    DJANGO_O2O,
    EXCLUSION_CONSTRAINT,
    FK_CLASSES,
    HYBRID_CLOUD_FK,
    REMOVE_CONSTRAINT,
    REMOVE_INDEX,
    RENAME_FIELD,
    RENAME_MODEL,
    RUN_SQL,
    SAFE_RUN_SQL,
    UNIQUE_CONSTRAINT,
    django_op,
    identifier_too_long,
    sentry,
)

ALTER_UNIQUE_TOGETHER, ALTER_INDEX_TOGETHER = django_op("AlterUniqueTogether"), django_op("AlterIndexTogether")

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
    summary = "`AddIndex`, unique `AddConstraint`, an indexed or unique `AddField`, `AlterUniqueTogether` / `AlterIndexTogether` on an existing table while `is_post_deployment = False`."
    why = (
        "Building an index reads the whole table. On a large table that takes longer than the "
        "statement timeout that deploy-time migrations run under, so Sentry's guide asks for "
        "`is_post_deployment = True`, which runs the migration by hand after the deploy."
    )
    instead = "`is_post_deployment = True` in the migration that adds the index."
    notes = (
        'Tables created in the same migration are skipped. With `large-tables = ["sentry_groupedmessage", ...]` '
        "in `[tool.sentry-model-lint]` (or flake8's `--sml-large-tables`), only those tables are "
        "reported; entries are table names, matched against `<app>_<model>`, or `app.model` labels. "
        "An `AddField` counts when its field says `db_index=True` or `unique=True`; the index a "
        "foreign key gets implicitly is not reported. `AlterUniqueTogether` / `AlterIndexTogether` "
        "count when the new value is a non-empty literal; an empty one only drops indexes (one "
        "that keeps some entries is reported too: the old value is not known). An `AlterField` "
        "repeats the whole field, so `db_index=True` or `unique=True` there may be an index the "
        "column already has: it is reported only with the project index, when the replayed "
        "history shows the field before it without that index (not `db_index`/`unique`/"
        "`primary_key`, nor the implicit index of a foreign key or a slug field). Without the "
        "index, when the history is uncertain, or when the previous field class is not one of "
        "Django's or Sentry's bounded fields (a custom class may index by default), it is not."
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
        for op in db_ops(
            migration,
            ADD_INDEX,
            ADD_INDEX_CONCURRENTLY,
            ADD_CONSTRAINT,
            ADD_FIELD,
            ALTER_FIELD,
            ALTER_UNIQUE_TOGETHER,
            ALTER_INDEX_TOGETHER,
        ):
            if not (_alter_field_adds_index(ctx, op) if op.ref == ALTER_FIELD else _builds_index(op)):
                continue
            model = str_const(op.arg(0, "name" if op.ref in (ALTER_UNIQUE_TOGETHER, ALTER_INDEX_TOGETHER) else "model_name"))
            if not model or model.lower() in created:
                continue
            if large and not ({f"{app}_{model.lower()}", f"{app}.{model.lower()}"} & large):
                continue
            yield self.at_op(ctx, op, kind=op.kind, model=model, flag=ctx.capabilities.post_deployment_flag)


def _builds_index(op: OperationFact) -> bool:
    """Whether an operation of SML250's kinds builds an index (or a unique one)."""
    if op.ref == ADD_CONSTRAINT:
        constraint = op.arg(1, "constraint")
        return constraint is not None and constraint.call_ref == UNIQUE_CONSTRAINT
    if op.ref == ADD_FIELD:
        field = op.arg(2, "field")
        if field is None or field.kind != CALL:
            return False
        return any((flag := field.keyword(name)) is not None and flag.is_true for name in ("db_index", "unique"))
    if op.ref in (ALTER_UNIQUE_TOGETHER, ALTER_INDEX_TOGETHER):
        keyword = "unique_together" if op.ref == ALTER_UNIQUE_TOGETHER else "index_together"
        value = op.arg(1, keyword)
        return value is not None and value.kind in (LIST, TUPLE, SET) and bool(value.items) and not value.starred
    return True


#: field classes whose ``db_index`` defaults to True
_INDEXED_BY_DEFAULT = frozenset(
    {
        "django.db.models.SlugField",
        "sentry.db.models.fields.slug.SentrySlugField",
        "sentry.db.models.fields.slug.SentryOrgSlugField",
    }
)
#: one-to-one fields are unique
_ONE_TO_ONE = frozenset({DJANGO_O2O, sentry("OneToOneCascadeDeletes"), "sentry.db.models.fields.onetoone.OneToOneCascadeDeletes"})
#: where the field classes whose index defaults are known live (Django's own, Sentry's bounded)
_PLAIN_FIELD_PREFIXES = ("django.db.models.", "sentry.db.models.fields.bounded.", "sentry.db.models.Bounded")


def _asked_indexes(field: Value | None) -> set[str]:
    """Which of ``db_index=True`` / ``unique=True`` a field call asks for."""
    if field is None or field.kind != CALL:
        return set()
    return {name for name in ("db_index", "unique") if (flag := field.keyword(name)) is not None and flag.is_true}


def _had_index(before: FieldState, kind: str) -> bool | None:
    """Whether the field already had an index of ``kind`` (``db_index`` or ``unique``); None when
    a keyword is not a literal."""
    flags: dict[str, bool] = {}
    for name in ("db_index", "unique", "primary_key"):
        value = before.kw(name)
        if value is None:
            flags[name] = False
        elif value.kind == CONST and isinstance(value.const, bool):
            flags[name] = value.const
        else:
            return None
    ref = before.ref or ""
    if flags["primary_key"] or flags["unique"] or ref in _ONE_TO_ONE:
        return True
    implicit = ref in FK_CLASSES or ref == HYBRID_CLOUD_FK or ref in _INDEXED_BY_DEFAULT
    if not implicit and not ref.startswith(_PLAIN_FIELD_PREFIXES):
        return None  # another field class may index by default (as `SlugField` does)
    if kind == "unique":
        return False
    if implicit:
        return flags["db_index"] or before.kw("db_index") is None  # indexed unless db_index=False
    return flags["db_index"]


def _alter_field_adds_index(ctx: Context, op: OperationFact) -> bool:
    """An ``AlterField`` asking for an index the field did not have before, per the replayed
    history (project index only: without it, the previous field is unknown)."""
    asked = _asked_indexes(op.arg(2, "field"))
    if not asked or ctx.project is None:
        return False
    if not {"db_index", "unique", "primary_key"} <= set(KEPT_KEYWORDS):
        return False  # the replay does not keep what the judgement needs
    history = ctx.project.history_for(ctx.facts.info.app_folder)
    if history is None or history.uncertain:
        return False
    snapshot = history.snapshots.get((ctx.facts.info.stem, op.path))
    if snapshot is None or snapshot.uncertain or snapshot.field is None or not snapshot.field.certain:
        return False
    return any(_had_index(snapshot.field, kind) is False for kind in asked)


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
