"""Precision fixes: classes under ``if TYPE_CHECKING:``, silo-decorated plain Django models,
SML130 on the legacy JSON field, SML250's other ways to add an index, SML210/SML211 on new tables
and ``db_default=None``. The fixtures under ``fixtures/rules`` show each case both ways; these
tests pin the parts a fixture mark cannot (messages, facts, the checkout's capabilities)."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

from sentry_model_lint.config import Config, load_for_root
from sentry_model_lint.engine import lint_source
from sentry_model_lint.facts import extract
from sentry_model_lint.hierarchy import Hierarchy
from sentry_model_lint.noqa import filter_violations
from sentry_model_lint.paths import classify
from sentry_model_lint.rules.base import Violation

CONFIG = Config(select=("SML",), project_index=False)
ROOT = "/nonexistent-sml-project"  # never read: the project index is off
MODEL = "src/sentry/models/widget.py"
MIGRATION = "src/sentry/migrations/1001_widget.py"


def reported(source: str, path: str, config: Config = CONFIG, root: str = ROOT) -> list[Violation]:
    source = textwrap.dedent(source)
    result = lint_source(source, f"{root}/{path}", config, root=root)
    assert result.error is None, result.error.message
    assert result.internal_errors == [], result.internal_errors
    return filter_violations(result.violations, source)


def hierarchy_of(source: str) -> Hierarchy:
    facts = extract(ast.parse(textwrap.dedent(source)), classify(f"{ROOT}/{MODEL}", ROOT))
    return Hierarchy(facts.classes)


# --- 1. if TYPE_CHECKING ------------------------------------------------------------------------


def test_type_checking_classes_are_not_extracted_but_runtime_branches_are() -> None:
    hierarchy = hierarchy_of(
        """
        import typing
        from typing import TYPE_CHECKING

        from sentry.db.models import Model

        if TYPE_CHECKING:
            class A(Model): ...
            try:
                class B(Model): ...
            except ImportError:
                class C(Model): ...
        else:
            class D(Model): ...

        if not typing.TYPE_CHECKING:
            class E(Model): ...
        else:
            class F(Model): ...

        if SOMETHING_ELSE:
            class G(Model): ...
        """
    )
    assert [c.name for c in hierarchy.classes] == ["D", "E", "G"]


def test_no_model_rule_reports_a_type_checking_class() -> None:
    found = reported(
        """
        from typing import TYPE_CHECKING

        from django.db import models

        from sentry.db.models import Model

        if TYPE_CHECKING:
            class Widget(Model):
                __include_in_export__ = False
                project = models.ForeignKey("sentry.Project", on_delete=models.CASCADE)
                count = models.IntegerField(default=[])
                indexes = [models.Index(fields=["count"])]
        """,
        MODEL,
    )
    assert found == []


# --- 2. silo decorator on a plain Django model -------------------------------------------------


def test_a_silo_decorator_does_not_make_a_placed_plain_django_model_a_sentry_model() -> None:
    hierarchy = hierarchy_of(
        """
        from django.db import models

        from sentry.db.models import cell_silo_model
        from elsewhere import UnknownBase

        @cell_silo_model
        class Plain(models.Model):
            pass

        @cell_silo_model
        class Unknown(UnknownBase):
            pass

        @cell_silo_model
        class Mixed(UnknownBase, models.Model):
            pass
        """
    )
    infos = {c.name: hierarchy.info(c) for c in hierarchy.classes}
    assert infos["Plain"].django and not infos["Plain"].sentry
    assert infos["Unknown"].sentry and infos["Unknown"].uncertain  # today's behaviour kept
    assert infos["Mixed"].sentry  # an unplaced base may be Sentry's: kept too


def test_silo_decorated_plain_django_model_draws_no_sentry_only_finding() -> None:
    found = reported(
        """
        from django.db import models

        from sentry.db.models import cell_silo_model


        @cell_silo_model
        class ImportedRow(models.Model):
            id = models.BigAutoField(primary_key=True)
            project = models.ForeignKey("sentry.Project", on_delete=models.CASCADE)
            row_count = models.IntegerField(default=0)
        """,
        MODEL,
    )
    assert found == []


# --- 3. SML130 on the legacy JSON field -------------------------------------------------------


def test_sml130_on_the_legacy_json_field_does_not_claim_sharing() -> None:
    found = reported(
        """
        from django.db import models

        from sentry.backup.scopes import RelocationScope
        from sentry.db.models import Model, cell_silo_model
        from sentry.db.models.fields.jsonfield import JSONField


        @cell_silo_model
        class Widget(Model):
            __relocation_scope__ = RelocationScope.Organization

            legacy = JSONField(default={})
            plain = models.JSONField(default={})
        """,
        MODEL,
    )
    messages = {v.symbol: v.message for v in found if v.code == "SML130"}
    assert "shared by every row:" not in messages["Widget.legacy"]
    assert "copies it for each row" in messages["Widget.legacy"]
    assert "shared by every row:" in messages["Widget.plain"]


# --- 4-6. migrations ----------------------------------------------------------------------------


def migration(operations: str, header: str = "is_post_deployment = False") -> str:
    body = textwrap.indent(textwrap.dedent(operations).strip("\n"), " " * 8)
    return (
        "from django.db import migrations, models\n\n"
        "from sentry.new_migrations.migrations import CheckedMigration\n\n\n"
        f"class Migration(CheckedMigration):\n    {header}\n\n"
        '    dependencies = [("sentry", "1000_previous")]\n\n'
        f"    operations = [\n{body}\n    ]\n"
    )


def codes(found: list[Violation]) -> list[tuple[int, str]]:
    return sorted((v.line, v.code) for v in found)


def test_sml250_other_ways_to_add_an_index_and_their_exemptions() -> None:
    ops = """
        migrations.AddField("project", "a", models.CharField(max_length=8, null=True, db_index=True)),
        migrations.AddField("project", "b", models.CharField(max_length=8, null=True, unique=True)),
        migrations.AddField("project", "c", models.CharField(max_length=8, null=True, db_index=False)),
        migrations.AlterUniqueTogether(name="team", unique_together={("a", "b")}),
        migrations.AlterIndexTogether("team", [("a", "b")]),
        migrations.AlterUniqueTogether(name="team", unique_together=set()),
        migrations.AlterIndexTogether(name="team", index_together=()),
        migrations.AlterField("project", "a", models.CharField(max_length=9, null=True, db_index=True)),
    """
    found = [v for v in reported(migration(ops), MIGRATION) if v.code == "SML250"]
    assert [v.line for v in found] == [12, 13, 15, 16]
    assert reported(migration(ops, "is_post_deployment = True"), MIGRATION) == []


def test_sml210_sml211_skip_a_model_created_earlier_in_the_migration() -> None:
    ops = """
        migrations.AddField("shelf", "early", models.IntegerField(default=1)),
        migrations.CreateModel("Shelf", [("id", models.BigAutoField(primary_key=True))]),
        migrations.AddField("shelf", "late", models.IntegerField(default=1)),
        migrations.AddField(model_name="Shelf", name="label", field=models.CharField(max_length=8)),
    """
    # the AddField before the CreateModel is judged (the model cannot exist there anyway)
    assert codes(reported(migration(ops), MIGRATION)) == [(12, "SML210"), (12, "SML211")]


def test_a_state_only_create_model_does_not_make_a_new_table() -> None:
    ops = """
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.CreateModel("Shelf", [("id", models.BigAutoField(primary_key=True))])],
        ),
        migrations.AddField("shelf", "label", models.CharField(max_length=8)),
    """
    assert codes(reported(migration(ops), MIGRATION)) == [(15, "SML211")]


def test_db_default_none_is_no_database_default() -> None:
    ops = """
        migrations.AddField("team", "a", models.IntegerField(db_default=None)),
        migrations.AddField("team", "b", models.IntegerField(default=1, db_default=None, null=True)),
        migrations.AddField("team", "c", models.IntegerField(db_default=None, null=True)),
        migrations.AddField("team", "d", models.IntegerField(db_default=0)),
    """
    found = reported(migration(ops), MIGRATION)
    assert codes(found) == [(12, "SML211"), (13, "SML210")]
    by_code = {v.code: v.message for v in found}
    assert "`db_default=None`, which is no database default" in by_code["SML211"]
    assert "Sentry refuses it" not in by_code["SML211"]
    assert "`db_default=None`, which is no database default" in by_code["SML210"]


# --- 7. the checkout's capabilities -------------------------------------------------------------


def test_new_messages_name_only_what_a_2023_checkout_has(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.sentry-model-lint]\nproject-index = false\n\n[tool.sentry-model-lint.capabilities]\ndjango = "3.2"\npost-deployment-flag = "is_dangerous"\n'
    )
    config = load_for_root(str(tmp_path)).with_options(select=("SML",))
    source = migration(
        """
        migrations.AddField("team", "a", models.IntegerField(db_default=None)),
        migrations.AddField("team", "b", models.CharField(max_length=8, null=True, unique=True)),
        migrations.AlterUniqueTogether(name="team", unique_together={("a", "b")}),
        """,
        "is_dangerous = False",
    )
    found = reported(source, MIGRATION, config, str(tmp_path))
    assert {v.code for v in found} >= {"SML211", "SML250"}
    for v in found:
        if v.code in ("SML210", "SML211", "SML250"):
            assert "db_default" not in v.message and "is_post_deployment" not in v.message, v.message


# --- 4b. AlterField, with the project index -----------------------------------------------------

INITIAL = """\
from django.db import migrations, models

import sentry.db.models.fields.bounded
import sentry.db.models.fields.foreignkey
import sentry.db.models.fields.picklefield
from sentry.new_migrations.migrations import CheckedMigration


class Migration(CheckedMigration):
    is_post_deployment = False
    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="Widget",
            fields=[
                ("id", models.BigAutoField(primary_key=True)),
                ("name", models.CharField(max_length=8)),
                ("ref", models.CharField(max_length=8, db_index=True)),
                ("slug", models.CharField(max_length=8, unique=True)),
                ("handle", models.SlugField(max_length=8)),
                ("blob", sentry.db.models.fields.picklefield.PickledObjectField()),
                ("count", sentry.db.models.fields.bounded.BoundedPositiveIntegerField()),
                ("project", sentry.db.models.fields.foreignkey.FlexibleForeignKey(on_delete=models.CASCADE, to="sentry.project")),
            ],
            options={"db_table": "sentry_widget"},
        ),
    ]
"""

ALTER = """\
from django.db import migrations, models

import sentry.db.models.fields.bounded
import sentry.db.models.fields.foreignkey
import sentry.db.models.fields.picklefield
from sentry.new_migrations.migrations import CheckedMigration


class Migration(CheckedMigration):
    is_post_deployment = False

    dependencies = [("sentry", "0001_initial")]

    operations = [
        migrations.AlterField("widget", "name", models.CharField(max_length=8, db_index=True)),
        migrations.AlterField("widget", "ref", models.CharField(max_length=16, db_index=True)),
        migrations.AlterField("widget", "ref", models.CharField(max_length=16, unique=True)),
        migrations.AlterField("widget", "slug", models.CharField(max_length=16, unique=True, db_index=True)),
        migrations.AlterField(
            "widget",
            "project",
            sentry.db.models.fields.foreignkey.FlexibleForeignKey(db_index=True, on_delete=models.CASCADE, to="sentry.project"),
        ),
        migrations.AlterField("gadget", "name", models.CharField(max_length=8, db_index=True)),
        migrations.AlterField("widget", "handle", models.SlugField(max_length=16, db_index=True)),
        migrations.AlterField("widget", "blob", sentry.db.models.fields.picklefield.PickledObjectField(db_index=True)),
        migrations.AlterField("widget", "count", sentry.db.models.fields.bounded.BoundedPositiveIntegerField(unique=True)),
    ]
"""


def test_sml250_alter_field_is_judged_against_the_replayed_field(tmp_path: Path) -> None:
    from sentry_model_lint.engine import lint_file
    from sentry_model_lint.replay import KEPT_KEYWORDS

    (tmp_path / "pyproject.toml").write_text("[tool.sentry-model-lint]\n")
    migrations = tmp_path / "src" / "sentry" / "migrations"
    migrations.mkdir(parents=True)
    (tmp_path / "src" / "sentry" / "__init__.py").write_text("")
    (migrations / "__init__.py").write_text("")
    (migrations / "0001_initial.py").write_text(INITIAL)
    (migrations / "0002_alter.py").write_text(ALTER)
    root = str(tmp_path)
    config = load_for_root(root).with_options(select=("SML250",))
    found = lint_file(str(migrations / "0002_alter.py"), config, root=root)
    assert found.error is None and found.internal_errors == []
    lines = sorted(v.line for v in found.violations if v.code == "SML250")
    if not {"db_index", "unique", "primary_key"} <= set(KEPT_KEYWORDS):
        assert lines == []  # the replay cannot tell: silent rather than wrong
        return
    # `name` gains an index, `ref` turns unique; `ref` kept its index, `slug` was unique, the
    # foreign key was indexed already, `gadget` is unknown to the history, a slug field is indexed
    # by default, a custom field class may be; a bounded integer turning unique is reported
    assert lines == [15, 17, 27]
    # without the index, an AlterField is never judged
    per_file = lint_file(str(migrations / "0002_alter.py"), config.with_options(project_index=False), root=root)
    assert [v for v in per_file.violations if v.code == "SML250"] == []
