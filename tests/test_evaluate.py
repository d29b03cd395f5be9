"""The static evaluator of operation lists (``evaluate.py``) and what it changes downstream:
migration facts, the replay, SML240 and the CLI's warning for what the index cannot follow."""

from __future__ import annotations

import ast
import json
import shutil
import textwrap
import time
from pathlib import Path

import pytest

from marks import FIXTURES
from sentry_model_lint.cli import main
from sentry_model_lint.evaluate import MAX_ITEMS
from sentry_model_lint.migration_facts import DATABASE, STATE, TOP, MigrationFact, migration_fact
from sentry_model_lint.names import Resolver
from sentry_model_lint.project import ProjectIndex, reset_indexes

RUN_SQL = "django.db.migrations.RunSQL"
ADD_FIELD = "django.db.migrations.AddField"
REPLAY_SHAPES = FIXTURES / "projects" / "replay_shapes"


def fact(source: str) -> MigrationFact:
    tree = ast.parse(textwrap.dedent(source))
    resolver = Resolver("sentry.migrations.0002_x")
    resolver.bind_module(tree.body)
    cls = next(s for s in tree.body if isinstance(s, ast.ClassDef) and s.name == "Migration")
    return migration_fact(cls, resolver, tree.body)


def ops(source: str) -> list[tuple[str | None, str]]:
    migration = fact(source)
    assert migration.operations_known, migration.unknown
    return [(op.ref, op.path) for op in migration.operations]


def sql_of(migration: MigrationFact) -> list[object]:
    return [op.arg(0, "sql").const for op in migration.operations if op.ref == RUN_SQL]  # type: ignore[union-attr]


HEAD = "from django.db import migrations, models\n"


def test_plain_literal_list_is_unchanged() -> None:
    migration = fact(HEAD + "class Migration:\n    operations = [migrations.RunSQL('a'), migrations.RunSQL('b')]\n")
    assert migration.operations_known and migration.unknown is None
    assert [(op.index, op.path, op.side) for op in migration.operations] == [(0, "0", TOP), (1, "1", TOP)]
    assert (migration.operations[1].call.line, migration.operations[1].call.col) == (3, 42)


def test_plus_of_class_body_names_and_tuples() -> None:
    source = HEAD + textwrap.dedent(
        """\
        class Migration:
            database_operations = [migrations.RunSQL("a")]
            more = (migrations.RunSQL("b"),)
            operations = database_operations + list(more) + [migrations.RunSQL("c")]
        """
    )
    migration = fact(source)
    assert migration.operations_known
    assert sql_of(migration) == ["a", "b", "c"]
    # each operation points at the element that produced it
    assert [op.call.line for op in migration.operations] == [3, 4, 5]


def test_module_level_name_last_binding_before_use_wins() -> None:
    source = HEAD + textwrap.dedent(
        """\
        OPS = [migrations.RunSQL("old")]
        OPS = [migrations.RunSQL("new")]
        class Migration:
            operations = OPS
        OPS = [migrations.RunSQL("after the class")]
        """
    )
    assert sql_of(fact(source)) == ["new"]


def test_class_body_name_shadows_module_name_and_augmented_assignment() -> None:
    source = HEAD + textwrap.dedent(
        """\
        ops = [migrations.RunSQL("module")]
        class Migration:
            ops = [migrations.RunSQL("class")]
            ops += [migrations.RunSQL("more")]
            operations = ops
        """
    )
    assert sql_of(fact(source)) == ["class", "more"]


def test_starred_items_and_starred_comprehension() -> None:
    source = HEAD + textwrap.dedent(
        """\
        TABLES = ["sentry_a", "sentry_b"]
        class Migration:
            first = [migrations.RunSQL("x")]
            operations = [
                *first,
                *[migrations.RunSQL(f"DROP TABLE {t}", hints={"tables": [t]}) for t in TABLES],
                migrations.RunSQL("y"),
            ]
        """
    )
    migration = fact(source)
    assert migration.operations_known
    assert sql_of(migration) == ["x", "DROP TABLE sentry_a", "DROP TABLE sentry_b", "y"]
    produced = [op for op in migration.operations if op.call.line == 7]
    # at the comprehension's element expression, with the constant substituted
    assert {(op.call.line, op.call.col) for op in produced} == {(7, 10)}
    hints = produced[1].call.keyword("hints")
    assert hints is not None and hints.items[0].items[0].const == "sentry_b"
    assert [op.path for op in migration.operations] == ["0", "1", "2", "3"]


def test_comprehension_over_tuples_and_list_tuple_calls() -> None:
    source = HEAD + textwrap.dedent(
        """\
        class Migration:
            operations = list(
                migrations.AddField(model_name=m, name=f, field=models.IntegerField(null=True))
                for m, f in (("widget", "a"), ("gizmo", "b"))
            ) + tuple([migrations.RunSQL(str(n)) for n in (1, 2)]) + list() + tuple()
        """
    )
    migration = fact(source)
    assert migration.operations_known
    added = [(op.arg(0, "model_name").const, op.arg(1, "name").const) for op in migration.operations if op.ref == ADD_FIELD]  # type: ignore[union-attr]
    assert added == [("widget", "a"), ("gizmo", "b")]
    assert len(migration.operations) == 4


def test_comprehension_over_something_not_constant_is_unknown() -> None:
    for iterable in ("get_tables()", "[x.name for x in y]", "[make()]"):
        migration = fact(HEAD + f"class Migration:\n    operations = [migrations.RunSQL(t) for t in {iterable}]\n")
        assert not migration.operations_known
        assert migration.unknown and migration.unknown_line == 3
    filtered = fact(HEAD + "class Migration:\n    operations = [migrations.RunSQL(t) for t in ['a'] if t]\n")
    assert not filtered.operations_known and "filtered" in (filtered.unknown or "")


def test_shadowed_list_builtin_is_not_followed() -> None:
    source = HEAD + "def list(x):\n    return []\nclass Migration:\n    operations = list([migrations.RunSQL('a')])\n"
    assert not fact(source).operations_known


def test_if_else_branches_are_all_followed() -> None:
    same = HEAD + textwrap.dedent(
        """\
        import sys
        class Migration:
            if sys.version_info >= (3, 12):
                operations = [migrations.RunSQL("a")]
            else:
                operations = [migrations.RunSQL("a")]
        """
    )
    assert sql_of(fact(same)) == ["a"]
    # branches that differ: the operations of every branch are followed (a superset of what runs)
    differ = same.replace(
        'else:\n        operations = [migrations.RunSQL("a")]', 'else:\n        operations = [migrations.RunSQL("b")]'
    )
    migration = fact(differ)
    assert migration.operations_known and sql_of(migration) == ["a", "b"]
    # Sentry's test-only models: an ``if`` without ``else`` and no earlier binding (Django's
    # default is no operation)
    test_only = HEAD + textwrap.dedent(
        """\
        def is_test_db():
            return False
        class Migration:
            if is_test_db():
                operations = [migrations.RunSQL("t")]
        """
    )
    assert fact(test_only).operations_known and sql_of(fact(test_only)) == ["t"]
    # an ``if`` without ``else`` keeps the earlier binding on the other branch; shared elements once
    earlier = HEAD + textwrap.dedent(
        """\
        import sys
        ops = [migrations.RunSQL("a")]
        if sys.platform == "linux":
            ops = ops + [migrations.RunSQL("b")]
        class Migration:
            operations = ops
        """
    )
    assert fact(earlier).operations_known and sql_of(fact(earlier)) == ["a", "b"]
    # a branch that cannot be followed still makes the name uncertain
    opaque = same.replace('else:\n        operations = [migrations.RunSQL("a")]', "else:\n        operations = make_operations()")
    assert not fact(opaque).operations_known


def test_names_bound_in_loops_imports_or_mutated_are_uncertain() -> None:
    for setup in (
        "ops = []\nfor t in ['a']:\n    ops = ops + [migrations.RunSQL(t)]\n",
        "ops = []\nops.append(migrations.RunSQL('a'))\n",
        "from elsewhere import ops\n",
        "def ops():\n    pass\n",
        "try:\n    ops = [migrations.RunSQL('a')]\nexcept Exception:\n    ops = []\n",
        "a, ops = 1, [migrations.RunSQL('a')]\n",
    ):
        migration = fact(HEAD + setup + "class Migration:\n    operations = ops\n")
        assert not migration.operations_known, setup


def test_self_reference_and_unbound_names_are_uncertain() -> None:
    for source in (
        "class Migration:\n    operations = operations + []\n",
        "a = b\nb = a\nclass Migration:\n    operations = a\n",
        "class Migration:\n    operations = ops\n",
        "class Migration:\n    operations = get_operations()\n",
        "class Migration:\n    pass\n",
    ):
        migration = fact(HEAD + source)
        assert not migration.operations_known
        assert migration.unknown


def test_hostile_inputs_stay_bounded() -> None:
    started = time.monotonic()
    # deep nesting of ``+``
    deep = HEAD + "class Migration:\n    operations = " + " + ".join(["[]"] * 500) + "\n"
    assert not fact(deep).operations_known
    # doubling a name 40 times: 2**40 items, or as many evaluation steps
    doubling = HEAD + "ops = [migrations.RunSQL('a')]\n" + "ops = ops + ops\n" * 40 + "class Migration:\n    operations = ops\n"
    assert not fact(doubling).operations_known
    # a huge comprehension product
    many = "[" + ", ".join(str(n) for n in range(200)) + "]"
    huge = (
        HEAD + f"class Migration:\n    operations = [migrations.RunSQL(str(a)) for a in {many} for b in {many} for c in {many}]\n"
    )
    migration = fact(huge)
    assert not migration.operations_known and str(MAX_ITEMS) in (migration.unknown or "")
    # a chain of names, each built from the previous one
    chain = (
        HEAD
        + "o0 = []\n"
        + "".join(f"o{n} = o{n - 1} + []\n" for n in range(1, 3000))
        + "class Migration:\n    operations = o2999\n"
    )
    assert not fact(chain).operations_known
    assert time.monotonic() - started < 30


def test_separate_database_and_state_names_are_followed() -> None:
    source = HEAD + textwrap.dedent(
        """\
        state_operations = [migrations.AddField(model_name="widget", name="color", field=models.IntegerField(null=True))]
        class Migration:
            database_operations = [migrations.RunSQL("ALTER TABLE sentry_widget ADD COLUMN color integer NULL")]
            operations = [
                migrations.SeparateDatabaseAndState(
                    database_operations=database_operations,
                    state_operations=state_operations,
                )
            ]
        """
    )
    migration = fact(source)
    assert migration.operations_known
    assert [(op.path, op.side) for op in migration.operations] == [
        ("0", TOP),
        ("0.database_operations.0", DATABASE),
        ("0.state_operations.0", STATE),
    ]


def test_separate_database_and_state_not_followable_is_not_silent() -> None:
    source = HEAD + textwrap.dedent(
        """\
        class Migration:
            operations = [
                migrations.RunSQL("a"),
                migrations.SeparateDatabaseAndState(state_operations=build_state()),
            ]
        """
    )
    migration = fact(source)
    assert not migration.operations_known
    assert migration.unknown == "`state_operations=build_state()`" and migration.unknown_line == 5
    # the operations it can read are still there for the per-migration rules
    assert [op.path for op in migration.operations] == ["0", "1"]


def test_facts_with_evaluated_operations_survive_the_json_codec() -> None:
    from sentry_model_lint.serialize import decode, encode

    migration = fact(HEAD + "class Migration:\n    operations = [migrations.RunSQL(t) for t in ['a', 'b']]\n")
    again = decode(MigrationFact, json.loads(json.dumps(encode(migration))))
    assert again == migration


# --- the project index and the CLI ----------------------------------------------------------------


def test_replay_follows_state_operations_bound_in_the_class_body() -> None:
    index = ProjectIndex(str(REPLAY_SHAPES), use_cache=False)
    history = index.history_for("sentry")
    assert history is not None and history.uncertain is False
    widget = history.models["widget"]
    assert set(widget.fields) == {"id", "name", "color"} and not widget.uncertain
    assert index.warnings == []


def test_sml412_stays_silent_on_the_field_the_replay_follows(capsys: pytest.CaptureFixture[str]) -> None:
    reset_indexes()
    assert main(["check", "--no-cache", "--select", "SML412", str(REPLAY_SHAPES)]) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and "warning" not in captured.err


def test_cli_names_an_unfollowable_migration_once_on_stderr(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(REPLAY_SHAPES, repo, ignore=shutil.ignore_patterns(".sentry_model_lint_cache"))
    migration = repo / "src/sentry/migrations/0002_widget_color.py"
    text = migration.read_text()
    migration.write_text(text.replace("state_operations=state_operations,", "state_operations=build_state(),"))
    line = next(n for n, t in enumerate(migration.read_text().splitlines(), 1) if "build_state()" in t)
    reset_indexes()
    code = main(["check", "--no-cache", "--select", "SML410,SML412", "--format", "json", str(repo)])
    captured = capsys.readouterr()
    assert code == 0  # unchanged: a warning is not a finding
    assert json.loads(captured.out) == [] and "warning" not in captured.out
    warnings = [w for w in captured.err.splitlines() if "cannot follow" in w]
    assert len(warnings) == 1, captured.err
    assert warnings[0].endswith(
        f"0002_widget_color.py:{line}: warning: cannot follow `state_operations=build_state()`"
        " (app sentry is not fully checked by SML410/SML412)"
    )
    index = ProjectIndex(str(repo), use_cache=False)
    history = index.history_for("sentry")
    assert history is not None and history.uncertain is True
    assert len(index.warnings) == 1


def test_locals_of_a_function_do_not_shadow_module_names() -> None:
    source = HEAD + textwrap.dedent(
        """\
        ops = [migrations.RunSQL("a")]
        def forwards(apps, schema_editor):
            ops = []
            for ops in []:
                pass
        class Migration:
            operations = ops
        """
    )
    assert sql_of(fact(source)) == ["a"]


def test_name_element_bound_to_a_call_stands_for_it() -> None:
    source = HEAD + "class Migration:\n    drop = migrations.RunSQL('DROP TABLE x')\n    operations = [drop]\n"
    migration = fact(source)
    assert sql_of(migration) == ["DROP TABLE x"] and migration.operations[0].call.line == 3


def test_a_migration_without_operations_has_none() -> None:
    """Django's ``Migration.operations`` defaults to no operation (a real 2020 Sentry migration
    left its RunPython as a bare expression); a base the linter does not know stays uncertain."""
    bare = HEAD + textwrap.dedent(
        """\
        class Migration(migrations.Migration):
            dependencies = [("sentry", "0113_previous")]
            migrations.RunPython(code=print, reverse_code=migrations.RunPython.noop)
        """
    )
    assert fact(bare).operations_known and fact(bare).operations == ()
    custom = bare.replace("class Migration(migrations.Migration):", "class Migration(SomeBase):")
    assert not fact(custom).operations_known


def test_simple_helper_functions_are_followed() -> None:
    """Sentry's 2023 migrations build operations in helpers without parameters."""
    source = HEAD + textwrap.dedent(
        """\
        def apikey_migrations():
            database_operations = [migrations.RunSQL("a")]
            state_operations = [migrations.RunSQL("s")]
            return database_operations + [
                migrations.SeparateDatabaseAndState(state_operations=state_operations)
            ]
        def helper(x):
            return [migrations.RunSQL(x)]
        class Migration(migrations.Migration):
            operations = [*apikey_migrations(), migrations.RunSQL("b")]
        """
    )
    migration = fact(source)
    assert migration.operations_known
    assert sql_of(migration) == ["a", "s", "b"]
    # a helper with parameters (or any other statement in its body) is not followed
    with_params = source.replace("*apikey_migrations()", '*helper("x")')
    assert not fact(with_params).operations_known
    recursive = HEAD + "def loop():\n    return loop()\nclass Migration(migrations.Migration):\n    operations = loop()\n"
    assert not fact(recursive).operations_known
