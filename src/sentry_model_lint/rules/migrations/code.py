"""SML240-SML243: raw SQL and Python in migrations (`SafeRunSQL`, table hints, reverse code, live models)."""

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
)
from sentry_model_lint.values import CONST, DICT, LIST, NAME, TUPLE, Value
from sentry_model_lint.vocab import (
    PG_OPERATIONS,
    RUN_PYTHON,
    RUN_SQL,
    SAFE_RUN_SQL,
)

if TYPE_CHECKING:
    from sentry_model_lint.fixes.edits import Edit
    from sentry_model_lint.fixes.view import FixView

#: operations Sentry's router cannot place without ``hints={"tables": [...]}``
NEEDS_HINTS = frozenset(
    {
        RUN_PYTHON,
        RUN_SQL,
        SAFE_RUN_SQL,
        *(
            f"{PG_OPERATIONS}.{n}"
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


class RawRunSQL(MigrationRule):
    code = "SML240"
    needs = ("SafeRunSQL",)
    fix = Fix.UNSAFE
    fix_title = "`RunSQL` -> `SafeRunSQL`, import added"
    name = "raw-run-sql"
    message = "raw `RunSQL` runs without Sentry's timeouts and checks (Sentry refuses it): use `SafeRunSQL` from `sentry.new_migrations.monkey.special`"
    summary = "Raw `RunSQL` (use `SafeRunSQL`), also inside `database_operations`."
    why = "`CheckedMigration` refuses `RunSQL` because the safety framework cannot inspect raw SQL; `SafeRunSQL` at least applies the lock and statement timeouts."
    instead = '`SafeRunSQL(sql, reverse_sql=..., hints={"tables": [...]})`, approved by the migrations owners.'
    notes = (
        "`migrations.RunSQL.noop` passed as an argument is not an operation and is fine, as is `RunSQL` in `state_operations`."
    )
    valid = (
        example(
            'SafeRunSQL(\n    "UPDATE sentry_widget SET note = \'\'",\n    reverse_sql=migrations.RunSQL.noop,\n    hints={"tables": ["sentry_widget"]},\n),',
            imports="from sentry.new_migrations.monkey.special import SafeRunSQL\n",
        ),
    )
    invalid = (
        Example(
            example(
                'migrations.RunSQL(  # expect: SML240\n    "UPDATE sentry_widget SET note = \'\'",\n    hints={"tables": ["sentry_widget"]},\n),'
            ),
            fixed="""\
from django.db import migrations, models

from sentry.new_migrations.migrations import CheckedMigration
from sentry.new_migrations.monkey.special import SafeRunSQL


class Migration(CheckedMigration):
    is_post_deployment = False

    dependencies = [
        ("sentry", "1000_previous"),
    ]

    operations = [
        SafeRunSQL(
            "UPDATE sentry_widget SET note = ''",
            hints={"tables": ["sentry_widget"]},
        ),
    ]
""",
        ),
    )

    def check_migration(self, ctx: Context, migration: MigrationFact) -> Iterator[Violation]:
        for op in db_ops(migration, RUN_SQL):
            yield self.at_op(ctx, op)

    def plan_fix(self, view: FixView, violation: Violation) -> list[Edit] | None:
        return plan_safe_operation(view, violation, self.code, "RunSQL", SAFE_RUN_SQL, pending=False)


def _hints_problem(op: OperationFact) -> str | None:
    hints = op.call.keyword("hints")
    if hints is None:
        return None if op.call.has_kwargs_spread else "has no `hints`"
    if hints.kind != DICT:
        return None  # a constant or a call: cannot be checked here
    if any(key is None for key in hints.keys):
        return None  # {**base, ...}
    for key, value in zip(hints.keys, hints.items, strict=True):
        if key is not None and key.is_str and key.const == "tables":
            if value.kind in (LIST, TUPLE):
                return 'has an empty `hints["tables"]`' if not value.items else None
            return None
    return 'has `hints` without a `"tables"` list'


class MissingTableHints(MigrationRule):
    code = "SML241"
    name = "missing-table-hints"
    message = '`{kind}` {problem}: add `hints={{"tables": ["<table>", ...]}}` naming the tables it touches, so Sentry\'s router can place it'
    summary = 'In apps `sentry`/`getsentry`: `RunPython`, `RunSQL`, `SafeRunSQL` or an extension operation without `hints={"tables": [...]}`.'
    why = (
        "Sentry's router decides which database runs an operation from the tables it touches. "
        "For operations that are not about one model (Python and SQL), it only knows them from "
        '`hints["tables"]`; the migration executor refuses such operations without it in the '
        "`sentry` and `getsentry` apps."
    )
    instead = '`hints={"tables": ["sentry_widget"]}` on the operation.'
    notes = "Hints held in a constant or built by a helper (such as `to_jsonb`) are not checked. Other apps are not routed this way and are skipped."
    valid = (
        example(
            'migrations.RunPython(\n    backfill,\n    reverse_code=migrations.RunPython.noop,\n    hints={"tables": ["sentry_widget"]},\n),',
            before='\ndef backfill(apps, schema_editor):\n    Widget = apps.get_model("sentry", "Widget")\n    Widget.objects.filter(note=None).update(note="")\n',
        ),
    )
    invalid = (
        example(
            "migrations.RunPython(backfill, reverse_code=migrations.RunPython.noop),  # expect: SML241",
            before='\ndef backfill(apps, schema_editor):\n    Widget = apps.get_model("sentry", "Widget")\n    Widget.objects.filter(note=None).update(note="")\n',
        ),
    )

    def check_migration(self, ctx: Context, migration: MigrationFact) -> Iterator[Violation]:
        if ctx.facts.info.app_folder not in HINTS_APPS:
            return
        for op in db_ops(migration, *NEEDS_HINTS):
            problem = _hints_problem(op)
            if problem is not None:
                yield self.at_op(ctx, op, kind=op.kind, problem=problem)


def _reverse_code(op: OperationFact) -> Value | None:
    return op.arg(1, "reverse_code")


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
        Example(
            example(
                'migrations.RunPython(backfill, hints={"tables": ["sentry_widget"]}),  # expect: SML242',
                before="\ndef backfill(apps, schema_editor):\n    pass\n",
            ),
            fixed="""\
from django.db import migrations, models

from sentry.new_migrations.migrations import CheckedMigration


def backfill(apps, schema_editor):
    pass


class Migration(CheckedMigration):
    is_post_deployment = False

    dependencies = [
        ("sentry", "1000_previous"),
    ]

    operations = [
        migrations.RunPython(backfill, hints={"tables": ["sentry_widget"]}, reverse_code=migrations.RunPython.noop),
    ]
""",
        ),
    )

    def check_migration(self, ctx: Context, migration: MigrationFact) -> Iterator[Violation]:
        for op in db_ops(migration, RUN_PYTHON):
            reverse = _reverse_code(op)
            if reverse is None and (op.call.has_kwargs_spread or op.call.starred):
                continue
            if reverse is None or (reverse.kind == CONST and reverse.const is None):
                yield self.at_op(ctx, op)

    def plan_fix(self, view: FixView, violation: Violation) -> list[Edit] | None:
        import libcst as cst

        from sentry_model_lint.fixes import edits as e
        from sentry_model_lint.fixes.shapes import has_star, keyword, positional

        call = view.operation(violation, "RunPython")
        if call is None or has_star(call):
            return None
        args = positional(call)
        if not args:
            return None
        reverse = keyword(call, "reverse_code") or (args[1] if len(args) > 1 else None)
        if reverse is not None and not (isinstance(reverse.value, cst.Name) and reverse.value.value == "None"):
            return None
        found = view.module_name("django.db.migrations", call)
        if found is None:
            return None
        name, add = found
        if not view.once(self.code, call):
            return []
        edits: list[Edit] = [e.AddImport("django.db", "migrations")] if add else []
        noop = f"{name}.RunPython.noop"
        if reverse is not None:
            return [*edits, e.ReplaceArgValue(view.at(reverse), noop)]
        return [*edits, e.AppendKeyword(view.at(call), "reverse_code", noop)]


class RunPythonLiveModels(MigrationRule):
    code = "SML243"
    name = "run-python-live-model"
    message = '`{function}` uses the live model `{model}`: inside a migration use `apps.get_model("<app>", "{model}")`, which matches the schema at this point of history'
    summary = "`RunPython` code that uses live models imported from `*.models*` instead of `apps.get_model(...)`."
    why = (
        "A live model class describes today's schema, not the schema at this migration: once a "
        "later migration adds a column, the backfill breaks for everyone who migrates from "
        "scratch. The `apps` registry passed to the function holds the historical models."
    )
    instead = '`Widget = apps.get_model("sentry", "Widget")` inside the function.'
    notes = "Only uses that need a model (`X.objects`, `X.DoesNotExist`, managers) count: constants and enums imported from a models module are fine."
    valid = (
        example(
            'migrations.RunPython(backfill, migrations.RunPython.noop, hints={"tables": ["sentry_widget"]}),',
            before='\ndef backfill(apps, schema_editor):\n    Widget = apps.get_model("sentry", "Widget")\n    Widget.objects.filter(note=None).update(note="")\n',
        ),
    )
    invalid = (
        example(
            'migrations.RunPython(backfill, migrations.RunPython.noop, hints={"tables": ["sentry_widget"]}),',
            imports="from sentry.models.widget import Widget\n",
            before='\ndef backfill(apps, schema_editor):\n    Widget.objects.filter(note=None).update(note="")  # expect: SML243\n',
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
                    yield self.report(
                        use.line, use.col, f"{ctx.facts.info.stem}:{function.name}", function=function.name, model=use.text
                    )
