"""SML201-SML204: the `Migration` class: its base, `is_post_deployment`, `checked`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from sentry_model_lint.migration_facts import MigrationFact
from sentry_model_lint.rules.base import Context, Example, Fix, Violation
from sentry_model_lint.rules.migrations.common import (
    MigrationRule,
    example,
)
from sentry_model_lint.values import CONST, NAME
from sentry_model_lint.vocab import (
    CHECKED_MIGRATION,
    DJANGO_MIGRATION,
    POST_DEPLOYMENT_FLAGS,
)

if TYPE_CHECKING:
    from sentry_model_lint.fixes.edits import Edit
    from sentry_model_lint.fixes.view import FixView


#: the comment block Sentry's migration template puts above ``is_post_deployment``
POST_DEPLOYMENT_COMMENT = (
    "# is_post_deployment marks a migration that is not applied automatically in production.",
    "# Set it to True for operations that are safe to run after the code has been deployed",
    "# and that could hold up a deploy otherwise, for example:",
    "# - large data migrations, which are better run by hand and watched while they run;",
    "# - adding indexes to large tables, which can take a long time;",
    "# - anything else that may run for a long time or lock tables.",
    "# Post-deployment migrations are applied manually once the deploy has gone out.",
    "# Leave it False for ordinary schema changes.",
    "# Once deployed, run these manually via: https://develop.sentry.dev/database-migrations/#migration-deployment",
)


class NotCheckedMigration(MigrationRule):
    code = "SML201"
    needs = ("CheckedMigration",)
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


class MissingPostDeployment(MigrationRule):
    code = "SML202"
    needs = ("CheckedMigration",)
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
        Example(
            """\
from django.db import migrations, models

from sentry.new_migrations.migrations import CheckedMigration


class Migration(CheckedMigration):  # expect: SML202
    dependencies = [("sentry", "1000_previous")]

    operations = [
        migrations.AddField("widget", "note", models.TextField(null=True)),
    ]
""",
            fixed="""\
from django.db import migrations, models

from sentry.new_migrations.migrations import CheckedMigration


class Migration(CheckedMigration):
    # is_post_deployment marks a migration that is not applied automatically in production.
    # Set it to True for operations that are safe to run after the code has been deployed
    # and that could hold up a deploy otherwise, for example:
    # - large data migrations, which are better run by hand and watched while they run;
    # - adding indexes to large tables, which can take a long time;
    # - anything else that may run for a long time or lock tables.
    # Post-deployment migrations are applied manually once the deploy has gone out.
    # Leave it False for ordinary schema changes.
    # Once deployed, run these manually via: https://develop.sentry.dev/database-migrations/#migration-deployment

    is_post_deployment = False

    dependencies = [("sentry", "1000_previous")]

    operations = [
        migrations.AddField("widget", "note", models.TextField(null=True)),
    ]
""",
        ),
    )

    def check_migration(self, ctx: Context, migration: MigrationFact) -> Iterator[Violation]:
        flags = ctx.capabilities.post_deployment_flags
        if "is_dangerous" in migration.attrs and "is_post_deployment" in flags:
            return  # SML203 asks for the rename
        # the flag the checkout's migration runner reads (is_post_deployment today, is_dangerous
        # in 2023 checkouts)
        flag = next((f for f in POST_DEPLOYMENT_FLAGS if f in flags and f in migration.attrs), None)
        attr = migration.attrs.get(flag) if flag is not None else None
        if flag is None or attr is None or attr.value is None:
            flag = ctx.capabilities.post_deployment_flag
            yield self.at_class(
                ctx,
                migration,
                problem=f"`Migration` has no `{flag}`: add `{flag} = False` (True for migrations that run by hand after the deploy)",
            )
            return
        value = attr.value
        if value.kind == CONST and not isinstance(value.const, bool):
            yield self.report(
                attr.line,
                attr.col,
                f"{ctx.facts.info.stem}:{flag}",
                problem=f"`{flag}` must be `True` or `False`, not {value.const!r}",
            )

    def plan_fix(self, view: FixView, violation: Violation) -> list[Edit] | None:
        import libcst as cst

        from sentry_model_lint.fixes import edits as e
        from sentry_model_lint.fixes.shapes import target_names

        cls = view.find(violation, cst.ClassDef)
        if cls is None or not isinstance(cls.body, cst.IndentedBlock):
            return None
        if any(n in ("is_post_deployment", "is_dangerous") for s in cls.body.body for n in target_names(s)):
            return None  # a value that is not a bool, an annotation, or the legacy name
        if not view.once(self.code, cls):
            return []
        flag = view.capabilities.post_deployment_flag
        comment = (POST_DEPLOYMENT_COMMENT[0].replace("is_post_deployment", flag), *POST_DEPLOYMENT_COMMENT[1:])
        return [e.InsertStatement(view.at(cls.body), f"{flag} = False", comment)]


class LegacyIsDangerous(MigrationRule):
    code = "SML203"
    needs = ("reads:is_post_deployment",)
    fix = Fix.SAFE
    fix_title = "Rename `is_dangerous` to `is_post_deployment`"
    name = "legacy-is-dangerous"
    message = "`is_dangerous` is the legacy name: rename it to `is_post_deployment`"
    summary = "Legacy `is_dangerous` flag."
    why = "`is_dangerous` was renamed `is_post_deployment`; Sentry still reads both, but the old name hides the meaning of the flag from new readers and tools."
    instead = "`is_post_deployment = True` (same value)."
    valid = (example('migrations.AddField("widget", "note", models.TextField(null=True)),'),)
    invalid = (
        Example(
            example(
                'migrations.AddField("widget", "note", models.TextField(null=True)),',
                header="is_dangerous = False  # expect: SML203",
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
        migrations.AddField("widget", "note", models.TextField(null=True)),
    ]
""",
        ),
    )

    def check_migration(self, ctx: Context, migration: MigrationFact) -> Iterator[Violation]:
        attr = migration.attrs.get("is_dangerous")
        if attr is not None:
            yield self.report(attr.line, attr.col, f"{ctx.facts.info.stem}:is_dangerous")

    def plan_fix(self, view: FixView, violation: Violation) -> list[Edit] | None:
        import libcst as cst

        from sentry_model_lint.fixes import edits as e
        from sentry_model_lint.fixes.shapes import target_names

        stmt = view.find(violation, (cst.Assign, cst.AnnAssign))
        if stmt is None:
            return None
        if isinstance(stmt, cst.Assign):
            if len(stmt.targets) != 1:
                return None
            target = stmt.targets[0].target
        else:
            target = stmt.target
        if not (isinstance(target, cst.Name) and target.value == "is_dangerous"):
            return None
        line = view.parent(stmt)
        found = view.enclosing_class(line) if line is not None else None
        if found is None:
            return None
        if any("is_post_deployment" in target_names(s) for s in found[1].body):
            return None  # both names: a human must decide which value holds
        if not view.once(self.code, target):
            return []
        return [e.Rename(view.at(target), "is_post_deployment")]


class UncheckedOutsideSquash(MigrationRule):
    code = "SML204"
    needs = ("CheckedMigration",)
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
