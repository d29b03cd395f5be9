"""Autofixes: every fixable code on realistic modules, and the promises the fixer keeps.

For each code with a fix: the output parses, re-linting it shows no finding of that code, fixing
the output again changes nothing, and every input line outside the rewritten nodes (and the
import block) is unchanged. Plus: unsafe fixes only on request, broken files untouched,
comments inside rewritten calls kept, existing imports extended rather than duplicated.
"""

from __future__ import annotations

import ast
import difflib

import pytest

from sentry_model_lint.config import Config
from sentry_model_lint.engine import lint_source
from sentry_model_lint.fixes import SAFE_FIXES, UNSAFE_FIXES, FixResult, apply_fixes
from sentry_model_lint.rules.base import Fix, Rule, Violation, all_rules, get_rule

CONFIG = Config(select=("SML",), project_index=False)
MODEL = "src/sentry/models/widget.py"
MIGRATION = "src/sentry/migrations/1001_widget.py"
TEST = "tests/sentry/migrations/test_1001_widget.py"


def lint(source: str, path: str) -> list[Violation]:
    result = lint_source(source, path, CONFIG, root="/")
    assert result.error is None, result.error.message
    assert result.internal_errors == []
    return result.violations


def fix(source: str, path: str, *, unsafe: bool = True, code: str | None = None) -> FixResult:
    found = lint(source, path)
    if code is not None:
        found = [v for v in found if v.code == code]
    return apply_fixes(source, found, unsafe=unsafe)


def codes(violations: list[Violation]) -> list[str]:
    return [v.code for v in violations]


# --- realistic modules, every finding of the code fixable ------------------------------------------

MODEL_IMPORTS = """\
from django.db import models

from sentry.backup.scopes import RelocationScope
from sentry.db.models import (
    FlexibleForeignKey,
    Model,
    cell_silo_model,
)
"""

CASES: dict[str, list[tuple[str, str]]] = {
    "SML104": [
        (
            MODEL,
            '''\
"""Widgets shown on the dashboard."""

from __future__ import annotations

from django.db import models

from sentry.db.models import Model, cell_silo_model


@cell_silo_model
class Widget(Model):
    # not exported: widgets are rebuilt from their dashboard
    __include_in_export__ = False  # legacy

    label = models.CharField(max_length=256)

    class Meta:
        app_label = "sentry"
        db_table = "sentry_widget"
''',
        ),
        (
            MODEL,
            MODEL_IMPORTS
            + """

@cell_silo_model
class Widget(Model):
    __relocation_scope__ = RelocationScope.Excluded
    __core__ = False

    label = models.CharField(max_length=256)
""",
        ),
    ],
    "SML106": [
        (
            MODEL,
            """\
from django.db import models

from sentry.backup.scopes import RelocationScope
from sentry.db.models import (
    FlexibleForeignKey,  # same-silo keys
    Model,
    region_silo_model,
    sane_repr,
)
from sentry.db.models.base import control_silo_only_model


@region_silo_model
class Widget(Model):
    __relocation_scope__ = RelocationScope.Organization

    project = FlexibleForeignKey("sentry.Project")

    __repr__ = sane_repr("project_id")


@control_silo_only_model
class WidgetOwner(Model):
    __relocation_scope__ = RelocationScope.Organization

    user_id = models.BigIntegerField(null=True)
""",
        ),
        (
            MODEL,
            """\
from sentry.backup.scopes import RelocationScope
from sentry.db import models


@models.region_silo_only_model
class Widget(models.Model):
    __relocation_scope__ = RelocationScope.Organization
""",
        ),
    ],
    "SML130": [
        (
            MODEL,
            MODEL_IMPORTS
            + """

@cell_silo_model
class Widget(Model):
    __relocation_scope__ = RelocationScope.Organization

    config = models.JSONField(default={})
    tags = models.JSONField(default=[], null=True)
    seen = models.JSONField(default=set())
""",
        ),
    ],
    "SML133": [
        (
            MODEL,
            MODEL_IMPORTS
            + """

@cell_silo_model
class Widget(Model):
    __relocation_scope__ = RelocationScope.Organization

    external_id = models.BigIntegerField(null=True)
    views_count = models.BigIntegerField(default=0)
""",
        ),
        (
            MODEL,
            """\
from django.db.models import BigIntegerField, CharField

from sentry.backup.scopes import RelocationScope
from sentry.db.models import Model, cell_silo_model


@cell_silo_model
class Widget(Model):
    __relocation_scope__ = RelocationScope.Organization

    external_id = BigIntegerField(null=True)
    name = CharField(max_length=256)
""",
        ),
    ],
    "SML136": [
        (
            MODEL,
            """\
import uuid
from datetime import datetime

from django.db import models
from django.utils import timezone

from sentry.backup.scopes import RelocationScope
from sentry.db.models import Model, cell_silo_model


@cell_silo_model
class Widget(Model):
    __relocation_scope__ = RelocationScope.Organization

    guid = models.UUIDField(default=uuid.uuid4())
    date_added = models.DateTimeField(default=timezone.now())
    date_seen = models.DateTimeField(default=datetime.now())
    config = models.JSONField(default=dict())
    tags = models.JSONField(default=list())
""",
        ),
    ],
    "SML202": [
        (
            MIGRATION,
            '''\
# Generated by Django 5.2.1 on 2025-06-01 12:00

from django.db import migrations, models

from sentry.new_migrations.migrations import CheckedMigration


class Migration(CheckedMigration):
    """Add a note to widgets."""

    dependencies = [
        ("sentry", "1000_previous"),
    ]

    operations = [
        migrations.AddField(
            model_name="widget",
            name="note",
            field=models.TextField(null=True),
        ),
    ]
''',
        ),
    ],
    "SML203": [
        (
            MIGRATION,
            """\
from django.db import migrations, models

from sentry.new_migrations.migrations import CheckedMigration


class Migration(CheckedMigration):
    # see the deploy docs
    is_dangerous = True  # backfill on a large table

    dependencies = [("sentry", "1000_previous")]

    operations = [
        migrations.AddField("widget", "note", models.TextField(null=True)),
    ]
""",
        ),
    ],
    "SML210": [
        (
            MIGRATION,
            """\
from django.db import migrations, models

from sentry.new_migrations.migrations import CheckedMigration


class Migration(CheckedMigration):
    is_post_deployment = False

    dependencies = [("sentry", "1000_previous")]

    operations = [
        migrations.AddField(
            model_name="widget",
            name="priority",
            field=models.IntegerField(default=-1, null=True),
        ),
        migrations.AddField(
            "widget",
            "label",
            models.CharField(max_length=64, default="untitled"),  # shown in the UI
        ),
    ]
""",
        ),
    ],
    "SML220": [
        (
            MIGRATION,
            """\
from django.db import migrations

from sentry.new_migrations.migrations import CheckedMigration


class Migration(CheckedMigration):
    is_post_deployment = False

    dependencies = [("sentry", "1000_previous")]

    operations = [
        migrations.RemoveField(
            model_name="widget",  # the model
            # the column that goes away
            name="note",
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RemoveField("widget", "label")],
        ),
    ]
""",
        ),
    ],
    "SML221": [
        (
            MIGRATION,
            """\
from django.db import migrations

from sentry.new_migrations.migrations import CheckedMigration
from sentry.new_migrations.monkey.state import DeletionAction


class Migration(CheckedMigration):
    is_post_deployment = False

    dependencies = [("sentry", "1000_previous")]

    operations = [
        migrations.DeleteModel(
            name="Widget"  # no trailing comma
        ),
    ]
""",
        ),
    ],
    "SML240": [
        (
            MIGRATION,
            """\
from django.db import migrations

from sentry.new_migrations.migrations import CheckedMigration


class Migration(CheckedMigration):
    is_post_deployment = False

    dependencies = [("sentry", "1000_previous")]

    operations = [
        migrations.RunSQL(
            # keep the old rows
            "UPDATE sentry_widget SET note = '' WHERE note IS NULL",
            reverse_sql=migrations.RunSQL.noop,
            hints={"tables": ["sentry_widget"]},
        ),
    ]
""",
        ),
    ],
    "SML242": [
        (
            MIGRATION,
            """\
from django.db import migrations

from sentry.new_migrations.migrations import CheckedMigration


def backfill(apps, schema_editor):
    Widget = apps.get_model("sentry", "Widget")
    Widget.objects.filter(note=None).update(note="")


class Migration(CheckedMigration):
    is_post_deployment = True

    dependencies = [("sentry", "1000_previous")]

    operations = [
        migrations.RunPython(
            backfill,
            hints={"tables": ["sentry_widget"]}  # the table it writes
        ),
        migrations.RunPython(backfill, reverse_code=None, hints={"tables": ["sentry_widget"]}),
        migrations.RunPython(backfill, None, hints={"tables": ["sentry_widget"]}),
    ]
""",
        ),
        (
            MIGRATION,
            """\
from django.db import models
from django.db.migrations import RunPython

from sentry.new_migrations.migrations import CheckedMigration


def backfill(apps, schema_editor):
    pass


class Migration(CheckedMigration):
    is_post_deployment = True

    dependencies = [("sentry", "1000_previous")]

    operations = [
        RunPython(backfill, hints={"tables": ["sentry_widget"]}),
    ]
""",
        ),
    ],
    "SML302": [
        (
            TEST,
            """\
from sentry.testutils.cases import TestMigrations


class BackfillWidgetNoteTest(TestMigrations):
    migrate_from = '1000_previous'
    migrate_to = '1001_widget'  # renumbered by bin/update-migration

    def setup_before_migration(self, apps):
        Widget = apps.get_model("sentry", "Widget")
        self.widget = Widget.objects.create(note=None)

    def test(self):
        self.widget.refresh_from_db()
        assert self.widget.note == ""
""",
        ),
    ],
    "SML304": [
        (
            TEST,
            """\
from sentry.testutils.cases import TestMigrations


class BackfillWidgetNoteTest(TestMigrations):
    migrate_from = "1000_previous"
    migrate_to = "1001_widget"

    def setUpInitialState(self):
        self.project = self.create_project()

    # seeds the rows the migration rewrites
    def setup_before_migrations(self, apps):
        Widget = apps.get_model("sentry", "Widget")
        self.widget = Widget.objects.create(project_id=self.project.id, note=None)

    def test(self):
        self.widget.refresh_from_db()
        assert self.widget.note == ""
""",
        ),
    ],
    "SML306": [
        (
            TEST,
            """\
import pytest

from sentry.testutils.cases import TestMigrations


@pytest.skip(reason="the migration was squashed")
class BackfillWidgetNoteTest(TestMigrations):
    migrate_from = "1000_previous"
    migrate_to = "1001_widget"

    def test(self):
        pass
""",
        ),
    ],
}


def _realistic():
    for code in sorted(CASES):
        for index, (path, source) in enumerate(CASES[code]):
            yield pytest.param(code, path, source, id=f"{code}-{index}")


def _examples():
    for code in sorted(SAFE_FIXES | UNSAFE_FIXES):
        rule = get_rule(code)
        assert rule is not None
        for index, (path, source) in enumerate(rule.examples(valid=False)):
            yield pytest.param(code, path, source, id=f"{code}-example-{index}")


def _node_lines(tree: ast.Module, violation: Violation) -> set[int]:
    """Input lines the node a finding points at spans (the header line for a class or def,
    whose body a fix only adds to or renames)."""
    spans = set()
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) == violation.line and getattr(node, "col_offset", None) == violation.col:
            end = node.lineno if isinstance(node, (ast.ClassDef, ast.FunctionDef)) else node.end_lineno
            spans.update(range(node.lineno, end + 1))
    return spans


def _import_lines(tree: ast.Module) -> set[int]:
    return {
        line
        for node in tree.body
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for line in range(node.lineno, node.end_lineno + 1)
    }


def _changed_input_lines(before: str, after: str) -> set[int]:
    """1-based input lines that the output replaces or deletes (insertions change none)."""
    matcher = difflib.SequenceMatcher(None, before.splitlines(), after.splitlines(), autojunk=False)
    changed = set()
    for tag, i1, i2, _j1, _j2 in matcher.get_opcodes():
        if tag in ("replace", "delete"):
            changed.update(range(i1 + 1, i2 + 1))
    return changed


def check_fix(code: str, path: str, source: str, *, all_fixable: bool) -> FixResult:
    found = lint(source, path)
    assert code in codes(found), "the input must show the finding"
    result = apply_fixes(source, found, unsafe=True)
    assert code in codes(result.fixed)
    assert sorted(result.fixed + result.skipped) == sorted(found)

    # (1) the output parses
    ast.parse(result.source)
    # (2) no finding of the code is left (beyond the ones skipped on purpose)
    again = lint(result.source, path)
    left = [v for v in again if v.code == code]
    if all_fixable:
        assert left == [], left
    else:
        assert len(left) == len([v for v in result.skipped if v.code == code])
    # (3) fixing the output again changes nothing
    assert apply_fixes(result.source, again, unsafe=True).source == result.source
    # (4) input lines outside the rewritten nodes and the imports are unchanged
    tree = ast.parse(source)
    allowed = _import_lines(tree)
    for violation in result.fixed:
        allowed |= _node_lines(tree, violation)
    outside = _changed_input_lines(source, result.source) - allowed
    assert not outside, f"lines changed outside the fixed nodes: {sorted(outside)}"
    return result


@pytest.mark.parametrize(("code", "path", "source"), list(_realistic()))
def test_fix_realistic_module(code: str, path: str, source: str) -> None:
    check_fix(code, path, source, all_fixable=True)


@pytest.mark.parametrize(("code", "path", "source"), list(_examples()))
def test_fix_rule_example(code: str, path: str, source: str) -> None:
    check_fix(code, path, source, all_fixable=False)


def test_realistic_cases_are_fixable_codes() -> None:
    # every fixable rule shows its fix in its own examples (tests/test_rule_examples.py); this
    # table adds larger modules for some of them
    assert set(CASES) <= SAFE_FIXES | UNSAFE_FIXES
    assert not SAFE_FIXES & UNSAFE_FIXES


def test_fix_sets_agree_with_the_rules() -> None:
    declared_safe = {r.code for r in all_rules() if r.fix is Fix.SAFE}
    declared_unsafe = {r.code for r in all_rules() if r.fix is Fix.UNSAFE}
    assert SAFE_FIXES == declared_safe  # noqa: SIM300  # the table first; a set, not a Yoda literal
    assert UNSAFE_FIXES == declared_unsafe  # noqa: SIM300
    # a rule with a fix plans it itself; one without does not pretend to
    for rule in all_rules():
        assert (type(rule).plan_fix is not Rule.plan_fix) == (rule.fix is not Fix.NONE), rule.code


# --- exact rewrites --------------------------------------------------------------------------------


def test_sml104_replaces_the_flag_and_adds_the_import_in_order() -> None:
    result = fix(*reversed(CASES["SML104"][0]), code="SML104")
    assert result.source == CASES["SML104"][0][1].replace(
        "from sentry.db.models import Model, cell_silo_model\n",
        "from sentry.backup.scopes import RelocationScope\nfrom sentry.db.models import Model, cell_silo_model\n",
    ).replace("    __include_in_export__ = False  # legacy\n", "    __relocation_scope__ = RelocationScope.Excluded  # legacy\n")


def test_sml104_deletes_the_flag_when_the_scope_is_set() -> None:
    path, source = CASES["SML104"][1]
    result = fix(source, path, code="SML104")
    assert result.source == source.replace("    __core__ = False\n", "")


def test_sml104_second_flag_of_a_class_is_deleted() -> None:
    source = (
        MODEL_IMPORTS
        + """

@cell_silo_model
class Widget(Model):
    __core__ = False
    __include_in_export__ = False
"""
    )
    result = fix(source, MODEL, code="SML104")
    assert codes(result.fixed) == ["SML104", "SML104"]
    assert result.source.endswith("class Widget(Model):\n    __relocation_scope__ = RelocationScope.Excluded\n")
    assert result.source.count("from sentry.backup.scopes import RelocationScope") == 1


def test_sml104_earlier_assignments_of_the_flag_go_with_the_last() -> None:
    source = (
        MODEL_IMPORTS
        + """

@cell_silo_model
class Widget(Model):
    # first decision
    __include_in_export__ = True
    label = models.CharField(max_length=64)
    # final decision
    __include_in_export__ = False  # legacy
"""
    )
    result = fix(source, MODEL, code="SML104")
    assert codes(result.fixed) == ["SML104"]
    assert result.source.endswith(
        "class Widget(Model):\n"
        "    # first decision\n"
        "    label = models.CharField(max_length=64)\n"
        "    # final decision\n"
        "    __relocation_scope__ = RelocationScope.Excluded  # legacy\n"
    )
    assert [v.code for v in lint(result.source, MODEL) if v.code == "SML104"] == []


def test_sml104_flag_read_in_the_class_body_is_skipped() -> None:
    source = (
        MODEL_IMPORTS
        + """

@cell_silo_model
class Widget(Model):
    __core__ = False
    exported = __core__
    __core__ = False
"""
    )
    result = fix(source, MODEL, code="SML104")
    assert result.source == source and codes(result.skipped) == ["SML104"]


def test_sml104_reuses_an_aliased_scope_import() -> None:
    source = (
        MODEL_IMPORTS.replace("import RelocationScope\n", "import RelocationScope as Scope\n")
        + """

@cell_silo_model
class Widget(Model):
    __include_in_export__ = False
"""
    )
    result = fix(source, MODEL, code="SML104")
    assert "    __relocation_scope__ = Scope.Excluded\n" in result.source
    assert result.source.count("sentry.backup.scopes") == 1


def test_sml104_comment_above_a_deleted_last_statement_is_kept() -> None:
    source = (
        MODEL_IMPORTS
        + """

@cell_silo_model
class Widget(Model):
    __relocation_scope__ = RelocationScope.Excluded
    # kept for the old exporter
    __core__ = False
"""
    )
    result = fix(source, MODEL, code="SML104")
    assert codes(result.fixed) == ["SML104"]
    assert result.source.endswith("    __relocation_scope__ = RelocationScope.Excluded\n    # kept for the old exporter\n")


def test_sml104_true_is_skipped() -> None:
    source = (
        MODEL_IMPORTS
        + """

@cell_silo_model
class Widget(Model):
    __include_in_export__ = True
"""
    )
    result = fix(source, MODEL, code="SML104")
    assert result.source == source and codes(result.skipped) == ["SML104"]


def test_sml106_renames_and_rewrites_the_imports() -> None:
    path, source = CASES["SML106"][0]
    result = fix(source, path, code="SML106")
    assert "from sentry.db.models.base import control_silo_model\n" in result.source
    assert "@cell_silo_model\nclass Widget" in result.source
    assert "@control_silo_model\nclass WidgetOwner" in result.source
    # the legacy name is gone from the parenthesized import; the other comment stays
    assert "region_silo_model" not in result.source
    assert "    FlexibleForeignKey,  # same-silo keys\n    Model,\n    cell_silo_model,\n    sane_repr,\n)" in result.source
    assert result.source.count("from sentry.db.models import") == 1


def test_sml106_keeps_an_old_import_that_carries_a_comment() -> None:
    source = """\
from sentry.backup.scopes import RelocationScope
from sentry.db.models import (
    Model,
    region_silo_model,  # noqa: F401 - re-exported
)


@region_silo_model
class Widget(Model):
    __relocation_scope__ = RelocationScope.Organization
"""
    result = fix(source, MODEL, code="SML106")
    assert "    Model,\n    cell_silo_model,\n    region_silo_model,  # noqa: F401 - re-exported\n)" in result.source
    assert "@cell_silo_model\n" in result.source


def test_sml106_keeps_the_old_import_while_it_is_used() -> None:
    source = """\
from sentry.backup.scopes import RelocationScope
from sentry.db.models import Model, region_silo_model


@region_silo_model
class Widget(Model):
    __relocation_scope__ = RelocationScope.Organization


legacy_decorator = region_silo_model
"""
    result = fix(source, MODEL, code="SML106")
    assert "from sentry.db.models import Model, cell_silo_model, region_silo_model\n" in result.source
    assert "@cell_silo_model\n" in result.source


def test_sml106_reuses_an_existing_import() -> None:
    source = """\
from sentry.backup.scopes import RelocationScope
from sentry.db.models import Model, cell_silo_model, region_silo_model


@region_silo_model
class Widget(Model):
    __relocation_scope__ = RelocationScope.Organization


@cell_silo_model
class Gadget(Model):
    __relocation_scope__ = RelocationScope.Organization
"""
    result = fix(source, MODEL, code="SML106")
    assert "from sentry.db.models import Model, cell_silo_model\n" in result.source
    assert result.source.count("cell_silo_model") == 3


def test_sml106_attribute_form() -> None:
    path, source = CASES["SML106"][1]
    result = fix(source, path, code="SML106")
    assert result.source == source.replace("@models.region_silo_only_model", "@models.cell_silo_model")


def test_sml130_and_sml136_rewrite_defaults() -> None:
    result = fix(CASES["SML130"][0][1], MODEL)
    assert "default=dict)" in result.source and "default=list, null=True)" in result.source
    assert "default=set)" in result.source
    result = fix(CASES["SML136"][0][1], MODEL)
    for callable_ in ("uuid.uuid4", "timezone.now", "datetime.now", "dict", "list"):
        assert f"(default={callable_})" in result.source


def test_sml130_and_sml136_skip_what_has_no_one_word_fix() -> None:
    source = """\
from uuid import uuid4

from django.db import models
from django.utils import timezone

from sentry.backup.scopes import RelocationScope
from sentry.db.models import Model, cell_silo_model


@cell_silo_model
class Widget(Model):
    __relocation_scope__ = RelocationScope.Organization

    tags = models.JSONField(default=["a"])
    flags = models.JSONField(default={"on": True})
    token = models.CharField(max_length=32, default=uuid4().hex)
    date_seen = models.DateTimeField(default=timezone.now(timezone.utc))
"""
    result = fix(source, MODEL)
    assert result.source == source
    assert sorted(codes(result.skipped)) == ["SML130", "SML130", "SML136", "SML136"]


def test_sml133_extends_the_parenthesized_import() -> None:
    path, source = CASES["SML133"][0]
    result = fix(source, path, code="SML133")
    assert result.source.count("from sentry.db.models import") == 1
    assert "from sentry.db.models import (\n    BoundedBigIntegerField,\n    FlexibleForeignKey,\n" in result.source
    assert "external_id = BoundedBigIntegerField(null=True)" in result.source
    assert "views_count = BoundedBigIntegerField(default=0)" in result.source


def test_sml133_bare_name_drops_the_unused_django_import() -> None:
    path, source = CASES["SML133"][1]
    result = fix(source, path, code="SML133")
    assert "from django.db.models import CharField\n" in result.source
    assert "from sentry.db.models import BoundedBigIntegerField, Model, cell_silo_model\n" in result.source


def test_sml133_other_integer_fields_are_skipped() -> None:
    source = (
        MODEL_IMPORTS
        + """

@cell_silo_model
class Widget(Model):
    __relocation_scope__ = RelocationScope.Organization

    views_count = models.PositiveIntegerField(default=0)
"""
    )
    result = fix(source, MODEL, code="SML133")
    assert result.source == source and codes(result.skipped) == ["SML133"]


def test_sml202_inserts_the_block_after_the_docstring() -> None:
    path, source = CASES["SML202"][0]
    result = fix(source, path, code="SML202")
    lines = result.source.splitlines()
    start = lines.index('    """Add a note to widgets."""')
    assert lines[start + 1] == ""
    block = []
    for line in lines[start + 2 :]:
        if not line.startswith("    #"):
            break
        block.append(line)
    assert 8 <= len(block) <= 10
    assert (
        block[-1]
        == "    # Once deployed, run these manually via: https://develop.sentry.dev/database-migrations/#migration-deployment"
    )
    after = lines[start + 2 + len(block) :]
    assert after[:4] == ["", "    is_post_deployment = False", "", "    dependencies = ["]


def test_sml203_renames_keeping_value_and_comments() -> None:
    path, source = CASES["SML203"][0]
    result = fix(source, path, code="SML203")
    assert result.source == source.replace("is_dangerous = True", "is_post_deployment = True")


def test_sml210_literal_defaults_become_db_defaults() -> None:
    path, source = CASES["SML210"][0]
    result = fix(source, path, code="SML210")
    assert "field=models.IntegerField(db_default=-1, null=True)," in result.source
    assert 'models.CharField(max_length=64, db_default="untitled"),  # shown in the UI' in result.source


@pytest.mark.parametrize("default", ["None", "timezone.now", "uuid4()", "SOME_CONSTANT", 'b"raw"', 'f"{x}"'])
def test_sml210_non_literal_defaults_are_skipped(default: str) -> None:
    source = f"""\
from django.db import migrations, models

from sentry.new_migrations.migrations import CheckedMigration


class Migration(CheckedMigration):
    is_post_deployment = False

    dependencies = [("sentry", "1000_previous")]

    operations = [
        migrations.AddField("widget", "value", models.TextField(null=True, default={default})),
    ]
"""
    found = [v for v in lint(source, MIGRATION) if v.code == "SML210"]
    result = apply_fixes(source, found)
    assert result.source == source
    assert result.fixed == []


def test_sml220_keeps_comments_inside_the_call() -> None:
    path, source = CASES["SML220"][0]
    result = fix(source, path, code="SML220")
    assert (
        "        SafeRemoveField(\n"
        '            model_name="widget",  # the model\n'
        "            # the column that goes away\n"
        '            name="note",\n'
        "            deletion_action=DeletionAction.MOVE_TO_PENDING,\n"
        "        ),\n"
    ) in result.source
    assert (
        'database_operations=[SafeRemoveField("widget", "label", deletion_action=DeletionAction.MOVE_TO_PENDING)],'
        in result.source
    )
    assert (
        "from sentry.new_migrations.migrations import CheckedMigration\n"
        "from sentry.new_migrations.monkey.fields import SafeRemoveField\n"
        "from sentry.new_migrations.monkey.state import DeletionAction\n"
    ) in result.source


def test_sml221_reuses_the_deletion_action_import() -> None:
    path, source = CASES["SML221"][0]
    result = fix(source, path, code="SML221")
    assert result.source.count("import DeletionAction") == 1
    assert (
        "        SafeDeleteModel(\n"
        '            name="Widget",  # no trailing comma\n'
        "            deletion_action=DeletionAction.MOVE_TO_PENDING\n"
        "        ),\n"
    ) in result.source


def test_sml240_keeps_comments_and_the_noop_argument() -> None:
    path, source = CASES["SML240"][0]
    result = fix(source, path, code="SML240")
    assert "        SafeRunSQL(\n            # keep the old rows\n" in result.source
    assert "reverse_sql=migrations.RunSQL.noop," in result.source
    assert "from sentry.new_migrations.monkey.special import SafeRunSQL\n" in result.source


def test_sml242_adds_or_replaces_the_reverse() -> None:
    path, source = CASES["SML242"][0]
    result = fix(source, path, code="SML242")
    assert codes(result.fixed) == ["SML242"] * 3
    assert (
        "            backfill,\n"
        '            hints={"tables": ["sentry_widget"]},  # the table it writes\n'
        "            reverse_code=migrations.RunPython.noop\n"
        "        ),\n"
    ) in result.source
    assert "migrations.RunPython(backfill, reverse_code=migrations.RunPython.noop, hints=" in result.source
    assert "migrations.RunPython(backfill, migrations.RunPython.noop, hints=" in result.source


def test_sml242_imports_migrations_when_the_module_does_not() -> None:
    path, source = CASES["SML242"][1]
    result = fix(source, path, code="SML242")
    assert "from django.db import migrations, models\n" in result.source
    assert 'RunPython(backfill, hints={"tables": ["sentry_widget"]}, reverse_code=migrations.RunPython.noop),' in result.source


def test_sml302_double_quotes() -> None:
    path, source = CASES["SML302"][0]
    result = fix(source, path, code="SML302")
    assert result.source == source.replace("'1000_previous'", '"1000_previous"').replace("'1001_widget'", '"1001_widget"')


def test_sml302_skips_text_with_quotes_and_missing_names() -> None:
    source = """\
from sentry.testutils.cases import TestMigrations


class FirstTest(TestMigrations):
    migrate_from = '1000_say_"hi"'
    migrate_to = "1001_widget"

    def test(self):
        pass


class SecondTest(TestMigrations):
    migrate_to = "1001_widget"

    def test(self):
        pass
"""
    result = fix(source, TEST, code="SML302")
    assert result.source == source and codes(result.skipped) == ["SML302", "SML302"]


def test_sml304_renames_the_hooks() -> None:
    path, source = CASES["SML304"][0]
    result = fix(source, path, code="SML304")
    assert "    def setup_initial_state(self):\n" in result.source
    assert "    # seeds the rows the migration rewrites\n    def setup_before_migration(self, apps):\n" in result.source


def test_sml304_skips_what_a_rename_would_break() -> None:
    source = """\
from sentry.testutils.cases import TestMigrations


class FirstTest(TestMigrations):
    migrate_from = "1000_previous"
    migrate_to = "1001_widget"

    def setup_before_migration(self):
        pass

    def test(self):
        pass


class SecondTest(TestMigrations):
    migrate_from = "1000_previous"
    migrate_to = "1001_widget"

    def setup_before_migration(self, apps):
        pass

    def setUpBeforeMigration(self, apps):
        pass

    def test(self):
        pass


class ThirdTest(TestMigrations):
    migrate_from = "1000_previous"
    migrate_to = "1001_widget"

    def setUpBeforeMigration(self):
        pass

    def test(self):
        pass
"""
    result = fix(source, TEST, code="SML304")
    assert result.source == source
    assert codes(result.skipped) == ["SML304"] * 3


def test_sml306_becomes_a_mark() -> None:
    path, source = CASES["SML306"][0]
    result = fix(source, path, code="SML306")
    assert result.source == source.replace("@pytest.skip(", "@pytest.mark.skip(")


# --- the fixer's promises --------------------------------------------------------------------------


@pytest.mark.parametrize("code", sorted(UNSAFE_FIXES))
def test_unsafe_fixes_need_the_flag(code: str) -> None:
    path, source = CASES[code][0]
    found = lint(source, path)
    result = apply_fixes(source, found)
    assert code not in codes(result.fixed)
    assert code in codes(result.skipped)
    assert result.source == source  # nothing else in these modules is fixable
    assert code in codes(apply_fixes(source, found, unsafe=True).fixed)


def test_a_file_with_a_syntax_error_is_returned_unchanged() -> None:
    path, source = CASES["SML130"][0]
    found = lint(source, path)
    broken = source.replace("class Widget(Model):", "class Widget(Model)")
    result = apply_fixes(broken, found, unsafe=True)
    assert result.source == broken
    assert result.fixed == [] and result.skipped == found


def test_an_existing_from_import_is_extended_not_duplicated() -> None:
    source = (
        MODEL_IMPORTS
        + """

@cell_silo_model
class Widget(Model):
    __include_in_export__ = False

    external_id = models.BigIntegerField(null=True)
"""
    )
    result = fix(source, MODEL)
    assert set(codes(result.fixed)) == {"SML104", "SML133"}
    assert result.source.count("from sentry.db.models import") == 1
    assert result.source.count("from sentry.backup.scopes import") == 1
    assert result.source.startswith(
        "from django.db import models\n\n"
        "from sentry.backup.scopes import RelocationScope\n"
        "from sentry.db.models import (\n"
        "    BoundedBigIntegerField,\n"
        "    FlexibleForeignKey,\n"
        "    Model,\n"
        "    cell_silo_model,\n"
        ")\n"
    )


def test_columns_are_utf8_byte_offsets() -> None:
    source = (
        MODEL_IMPORTS
        + """

@cell_silo_model
class Widget(Model):
    __relocation_scope__ = RelocationScope.Organization

    config = models.JSONField(verbose_name="réglages élargis", default={})
"""
    )
    found = lint(source, MODEL)
    (finding,) = [v for v in found if v.code == "SML130"]
    line = source.splitlines()[finding.line - 1]
    assert line.index("{}") != finding.col  # the byte offset is not the character offset
    result = apply_fixes(source, found)
    assert 'verbose_name="réglages élargis", default=dict)' in result.source


def test_a_finding_that_points_elsewhere_is_skipped() -> None:
    path, source = CASES["SML130"][0]
    found = [v for v in lint(source, path) if v.code == "SML130"]
    moved = [Violation(v.line, v.col + 1, v.code, v.message, v.symbol) for v in found]
    result = apply_fixes(source, moved)
    assert result.source == source and result.fixed == []


def test_a_name_the_module_binds_otherwise_is_not_imported() -> None:
    source = """\
from django.db import migrations

from sentry.new_migrations.migrations import CheckedMigration


def SafeRunSQL(*args, **kwargs):
    return migrations.RunSQL(*args, **kwargs)


class Migration(CheckedMigration):
    is_post_deployment = False

    dependencies = [("sentry", "1000_previous")]

    operations = [
        migrations.RunSQL("SELECT 1", hints={"tables": ["sentry_widget"]}),
    ]
"""
    result = fix(source, MIGRATION, code="SML240")
    assert result.source == source and codes(result.skipped) == ["SML240"]


def test_windows_line_endings_are_kept() -> None:
    path, source = CASES["SML104"][0]
    crlf = source.replace("\n", "\r\n")
    result = fix(crlf, path)
    assert "SML104" in codes(result.fixed)
    assert "\n" not in result.source.replace("\r\n", "")
    assert result.source.replace("\r\n", "\n") == fix(source, path).source


def test_codes_without_a_fix_are_skipped() -> None:
    source = (
        MODEL_IMPORTS
        + """

class Widget(Model):
    __relocation_scope__ = RelocationScope.Organization
"""
    )
    found = lint(source, MODEL)
    assert codes(found) == ["SML105"]
    result = apply_fixes(source, found, unsafe=True)
    assert result.source == source and result.skipped == found


def test_duplicate_findings_fix_once() -> None:
    path, source = CASES["SML203"][0]
    found = [v for v in lint(source, path) if v.code == "SML203"]
    result = apply_fixes(source, found + found)
    assert result.source == fix(source, path, code="SML203").source
    assert len(result.fixed) == 2


def test_an_import_line_left_empty_is_removed() -> None:
    source = """\
from django.db import migrations
from django.db.migrations import RemoveField

from sentry.new_migrations.migrations import CheckedMigration


class Migration(CheckedMigration):
    is_post_deployment = False

    dependencies = [("sentry", "1000_previous")]

    operations = [
        RemoveField("widget", "note"),
    ]
"""
    result = fix(source, MIGRATION, code="SML220")
    assert result.source.startswith(
        "from django.db import migrations\n\n"
        "from sentry.new_migrations.migrations import CheckedMigration\n"
        "from sentry.new_migrations.monkey.fields import SafeRemoveField\n"
        "from sentry.new_migrations.monkey.state import DeletionAction\n\n\n"
        "class Migration"
    )
    assert 'SafeRemoveField("widget", "note", deletion_action=DeletionAction.MOVE_TO_PENDING),' in result.source


def test_a_module_without_imports_gets_its_import_after_the_docstring() -> None:
    source = '"""Widgets."""\n\n\nclass Widget(Model):\n    __include_in_export__ = False\n'
    result = apply_fixes(source, [Violation(5, 4, "SML104", "legacy flag")])
    assert result.source == (
        '"""Widgets."""\n\n'
        "from sentry.backup.scopes import RelocationScope\n\n\n"
        "class Widget(Model):\n    __relocation_scope__ = RelocationScope.Excluded\n"
    )
