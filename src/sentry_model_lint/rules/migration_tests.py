"""SML3xx: rules for migration tests (``TestMigrations`` subclasses)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sentry_model_lint.facts import AttrFact, ModuleFacts
from sentry_model_lint.migration_facts import FunctionFact, TestClassFact
from sentry_model_lint.rules.base import Context, Example, Family, Fix, Rule, Violation
from sentry_model_lint.values import CALL, LIST, NAME, TUPLE, Value
from sentry_model_lint.vocab import TEST_MIGRATIONS

if TYPE_CHECKING:
    from sentry_model_lint.fixes.edits import Edit
    from sentry_model_lint.fixes.view import FixView

SKIP_MARKERS = frozenset({"pytest.mark.skip", "pytest.mark.skipif", "unittest.skip", "unittest.skipIf", "unittest.skipUnless"})
#: normalised misspellings (lower case, no underscores) -> the hook meant
MISSPELLED_HOOKS = {
    "setupbeforemigration": "setup_before_migration",
    "setupbeforemigrations": "setup_before_migration",
    "setupbeforemigrate": "setup_before_migration",
    "setupbeforemigrating": "setup_before_migration",
    "beforemigration": "setup_before_migration",
    "setupinitialstate": "setup_initial_state",
    "setupinitialstates": "setup_initial_state",
    "setupinitalstate": "setup_initial_state",
}

PRELUDE = """\
from sentry.testutils.cases import TestMigrations
"""


def example(body: str, imports: str = "") -> str:
    return PRELUDE + imports + "\n\n" + body.strip("\n") + "\n"


GOOD_TEST = """
class BackfillWidgetNoteTest(TestMigrations):
    app = "sentry"
    migrate_from = "1000_previous"
    migrate_to = "1001_backfill_widget_note"

    def setup_before_migration(self, apps):
        Widget = apps.get_model("sentry", "Widget")
        self.widget = Widget.objects.create(note=None)

    def test(self):
        self.widget.refresh_from_db()
        assert self.widget.note == ""
"""


@dataclass(frozen=True)
class TestView:
    """A migration test class with what it inherits from parents in the same file."""

    cls: TestClassFact
    lineage: tuple[TestClassFact, ...]  # the class first, then in-file parents
    is_base: bool  # another migration test of the file derives from it
    skipped: bool

    def attr(self, name: str) -> AttrFact | FunctionFact | None:
        for cls in self.lineage:
            if name in cls.attrs:
                return cls.attrs[name]
            if name in cls.methods:
                return cls.methods[name]
        return None

    def test_methods(self) -> list[str]:
        names: list[str] = []
        for cls in self.lineage:
            names += [m for m in cls.methods if m.startswith("test") and m not in names]
        return names


def _is_skip(value: Value) -> bool:
    if value.kind == NAME:
        return value.ref in SKIP_MARKERS
    if value.kind == CALL:
        return value.call_ref in SKIP_MARKERS
    if value.kind in (LIST, TUPLE):
        return any(_is_skip(item) for item in value.items)
    return False


def migration_tests(facts: ModuleFacts) -> list[TestView]:
    """The file's migration tests (computed per rule; cheap: a file holds a few classes)."""
    classes = {c.qualname: c for c in facts.test_classes}
    reaching: dict[str, bool] = {}

    def reaches(cls: TestClassFact, stack: frozenset[str] = frozenset()) -> bool:
        if cls.qualname in reaching:
            return reaching[cls.qualname]
        result = False
        for base in cls.bases:
            if base.kind != NAME:
                continue
            if base.ref == TEST_MIGRATIONS:
                result = True
            parent = classes.get(base.ref or "")
            if parent is not None and parent.qualname not in stack and reaches(parent, stack | {cls.qualname}):
                result = True
        reaching[cls.qualname] = result
        return result

    def lineage(cls: TestClassFact) -> tuple[TestClassFact, ...]:
        out = [cls]
        for item in out:
            for base in item.bases:
                parent = classes.get(base.ref or "") if base.kind == NAME else None
                if parent is not None and all(parent is not seen for seen in out):
                    out.append(parent)
        return tuple(out)

    tests = [c for c in facts.test_classes if reaches(c)]
    bases = {b.ref for c in tests for b in c.bases if b.kind == NAME and b.ref in classes}
    module_mark = facts.module_attrs.get("pytestmark")
    module_skipped = module_mark is not None and module_mark.value is not None and _is_skip(module_mark.value)
    views = []
    for cls in tests:
        line = lineage(cls)
        skipped = module_skipped or any(
            any(_is_skip(d) for d in c.decorators)
            or (
                c.attrs.get("pytestmark") is not None
                and c.attrs["pytestmark"].value is not None
                and _is_skip(c.attrs["pytestmark"].value)
            )
            for c in line
        )
        views.append(TestView(cls, line, cls.qualname in bases, skipped))
    return views


class MigrationTestRule(Rule):
    """A rule over the ``TestMigrations`` classes of one module."""

    family = Family.MIGRATION_TEST
    example_path = "tests/sentry/migrations/test_1001_backfill_widget_note.py"

    def report_class(self, klass: TestClassFact, **fmt: object) -> Violation:
        return self.report(klass.line, klass.col, klass.name, **fmt)


class OneTestMethod(MigrationTestRule):
    code = "SML301"
    name = "one-test-per-migration-test"
    message = (
        "migration test `{cls}` {problem}: write exactly one `test_*` method and seed every case in `setup_before_migration`"
    )
    summary = "A `TestMigrations` class with more than one `test_*` method, or none."
    why = (
        "`TestMigrations.setUp` migrates the database down, seeds it and migrates it up again "
        "for every test method: each extra method repeats that whole cycle and adds no coverage. "
        "A class with no test method runs the migration and checks nothing."
    )
    instead = "One `test_*` method that asserts every case seeded in `setup_before_migration`."
    notes = "Classes marked `@pytest.mark.skip` (or skipif, or a skipping `pytestmark`) and base classes that another test of the file derives from are not checked."
    valid = (example(GOOD_TEST),)
    invalid = (
        example(
            """
class BackfillWidgetNoteTest(TestMigrations):  # expect: SML301
    migrate_from = "1000_previous"
    migrate_to = "1001_backfill_widget_note"

    def test_empty_note(self):
        pass

    def test_kept_note(self):
        pass
"""
        ),
    )

    def check(self, ctx: Context) -> Iterator[Violation]:
        for view in migration_tests(ctx.facts):
            if view.is_base or view.skipped:
                continue
            count = len(view.test_methods())
            if count == 1:
                continue
            problem = "has no test method" if count == 0 else f"has {count} test methods"
            yield self.report_class(view.cls, cls=view.cls.name, problem=problem)


class MigrateFromTo(MigrationTestRule):
    code = "SML302"
    fix = Fix.SAFE
    fix_title = "Write the migration names with double quotes"
    name = "migrate-from-to-literals"
    message = "migration test `{cls}`: {problem}"
    summary = "`migrate_from` / `migrate_to` missing, or not class-level double-quoted string literals."
    why = (
        "`TestMigrations` needs both names to know which migrations to run, and Sentry's "
        '`bin/update-migration` renumbers tests by matching `migrate_to = "..."` with double '
        "quotes: a property, a computed value or single quotes are missed and the test silently "
        "points at the wrong migration after a rebase."
    )
    instead = '`migrate_from = "1000_previous"` and `migrate_to = "1001_this_migration"` as plain class attributes.'
    valid = (example(GOOD_TEST),)
    invalid = (
        Example(
            example(
                """
class BackfillWidgetNoteTest(TestMigrations):
    migrate_from = "1000_previous"
    migrate_to = '1001_backfill_widget_note'  # expect: SML302

    def test(self):
        pass
"""
            ),
            fixed="""\
from sentry.testutils.cases import TestMigrations


class BackfillWidgetNoteTest(TestMigrations):
    migrate_from = "1000_previous"
    migrate_to = "1001_backfill_widget_note"

    def test(self):
        pass
""",
        ),
    )

    def check(self, ctx: Context) -> Iterator[Violation]:
        for view in migration_tests(ctx.facts):
            if view.is_base:
                continue
            missing = []
            for name in ("migrate_from", "migrate_to"):
                found = view.attr(name)
                if found is None:
                    missing.append(name)
                    continue
                owner = next(c for c in view.lineage if name in c.attrs or name in c.methods)
                if owner is not view.cls:
                    continue  # reported on the parent that defines it, if at all
                problem = self._problem(view.cls, name, found)
                if problem is not None:
                    yield self.report(found.line, found.col, f"{view.cls.name}.{name}", cls=view.cls.name, problem=problem)
            if missing:
                names = " and ".join(f"`{n}`" for n in missing)
                yield self.report_class(
                    view.cls,
                    cls=view.cls.name,
                    problem=f"{names} {'is' if len(missing) == 1 else 'are'} missing: set {'it' if len(missing) == 1 else 'them'} to the migration names as double-quoted strings",
                )

    @staticmethod
    def _problem(cls: TestClassFact, name: str, found: AttrFact | FunctionFact) -> str | None:
        if isinstance(found, FunctionFact):
            return f'`{name}` is a method: make it a class attribute `{name} = "<migration name>"`'
        value = found.value
        if value is None:
            return f'`{name}` has no value: set it to `"<migration name>"`'
        if not value.is_str:
            return f'`{name}` must be a string literal such as `"1001_my_migration"`'
        quote = cls.quotes.get(name, "")
        if quote and quote != '"':
            return f'write `{name} = "{value.const}"` with double quotes (bin/update-migration only matches those)'
        return None

    def plan_fix(self, view: FixView, violation: Violation) -> list[Edit] | None:
        import libcst as cst

        from sentry_model_lint.fixes import edits as e

        stmt = view.find(violation, (cst.Assign, cst.AnnAssign))
        if stmt is None or stmt.value is None:
            return None
        targets = [t.target for t in stmt.targets] if isinstance(stmt, cst.Assign) else [stmt.target]
        if len(targets) != 1 or not (isinstance(targets[0], cst.Name) and targets[0].value in ("migrate_from", "migrate_to")):
            return None
        value = stmt.value
        if not isinstance(value, cst.SimpleString) or value.prefix or value.quote != "'":
            return None  # not a plain single-quoted string (a raw, bytes or triple-quoted one)
        inner = value.value[1:-1]
        if '"' in inner or "\\" in inner:
            return None
        if not view.once(self.code, value):
            return []
        return [e.ReplaceExpression(view.at(value), f'"{inner}"')]


class LiveModelsBeforeMigration(MigrationTestRule):
    code = "SML303"
    name = "live-model-before-migration"
    message = "`setup_before_migration` of `{cls}` {problem}"
    summary = "`setup_before_migration` uses live model classes imported from `*.models*` instead of `apps.get_model`."
    why = (
        "`setup_before_migration` runs with the database rolled back to `migrate_from`; the live "
        "model describes today's schema and fails (or writes the wrong columns) once the model "
        "has moved on. The `apps` argument holds the historical models."
    )
    instead = '`Widget = apps.get_model("sentry", "Widget")` inside `setup_before_migration(self, apps)`.'
    notes = (
        "`setup_initial_state` runs before the rollback and may use live models and factories."
        " `setup_before_migration` runs after `app` is migrated back to `migrate_from`, so only the live models"
        " of the app under test (`app`, default sentry) describe the wrong schema: live models of other apps,"
        " whose tables the test does not roll back, are not reported (a `sentry.<pkg>.models` package without"
        " migrations of its own belongs to app sentry; without the project index, an app folder outside Sentry's"
        " known apps is skipped). Factories (`self.create_project(...)` and every other `self.create_*`) also write"
        " through today's models: they are reported when the app under test is sentry, whose models Sentry's"
        " factories write; for other apps they are not (which app a factory writes cannot be told from the test)."
    )
    valid = (
        example(GOOD_TEST),
        example(
            """
class BackfillDetectorTest(TestMigrations):
    app = "workflow_engine"
    migrate_from = "0010_previous"
    migrate_to = "0011_backfill_detector"

    def setup_before_migration(self, apps):
        # the sentry app is not rolled back: its live model matches its tables
        self.organization = Organization.objects.create(name="org")

    def test(self):
        pass
""",
            imports="from sentry.models.organization import Organization\n",
        ),
    )
    invalid = (
        example(
            """
class BackfillWidgetNoteTest(TestMigrations):
    migrate_from = "1000_previous"
    migrate_to = "1001_backfill_widget_note"

    def setup_before_migration(self, apps):
        self.widget = Widget.objects.create(note=None)  # expect: SML303

    def test(self):
        pass
""",
            imports="from sentry.models.widget import Widget\n",
        ),
        example(
            """
class BackfillDetectorTest(TestMigrations):
    app = "workflow_engine"
    migrate_from = "0010_previous"
    migrate_to = "0011_backfill_detector"

    def setup_before_migration(self, apps):
        self.organization = Organization.objects.create(name="org")
        self.detector = Detector.objects.create(name="d")  # expect: SML303

    def test(self):
        pass
""",
            imports="from sentry.models.organization import Organization\nfrom sentry.workflow_engine.models import Detector\n",
        ),
    )

    def check(self, ctx: Context) -> Iterator[Violation]:
        apps: set[str] | None = None
        for view in migration_tests(ctx.facts):
            hook = view.cls.methods.get("setup_before_migration")
            if hook is None:
                continue
            if apps is None and ctx.project is not None:
                apps = set(ctx.project.app_names)  # read only where a hook needs it
            label = view.attr("app")
            label_value = getattr(label, "value", None)
            if label is not None and (label_value is None or not label_value.is_str):
                continue  # the app under test is not a literal
            app = str(label_value.const) if label_value is not None else "sentry"
            symbol = f"{view.cls.name}.setup_before_migration"
            for use in hook.model_uses:
                if live_model_app(use.ref, apps) != app:
                    continue  # another app's tables are not rolled back (or the app is unknown)
                problem = (
                    f'uses the live model `{use.text}`: use `apps.get_model("<app>", "{use.text}")`, '
                    "which matches the schema at `migrate_from`"
                )
                yield self.report(use.line, use.col, symbol, cls=view.cls.name, problem=problem)
            if app != "sentry":
                continue  # Sentry's factories write the sentry app's models, whose tables are not rolled back here
            for call in hook.factory_calls:
                problem = (
                    f"calls the factory `{call.text}(...)`, which writes through today's models: create the rows with "
                    '`apps.get_model("sentry", ...)`, or call the factory in `setup_initial_state` (it runs before the rollback)'
                )
                yield self.report(call.line, call.col, symbol, cls=view.cls.name, problem=problem)


#: app labels of Sentry apps with their own migrations (used when there is no project index)
KNOWN_APPS = frozenset(
    {
        "discover",
        "explore",
        "feedback",
        "flags",
        "hybridcloud",
        "insights",
        "monitors",
        "nodestore",
        "notifications",
        "preprod",
        "remote_subscriptions",
        "replays",
        "sentry",
        "social_auth",
        "tempest",
        "uptime",
        "workflow_engine",
    }
)


def live_model_app(ref: str, apps: set[str] | None) -> str | None:
    """App label of a live model from its dotted path; None when it cannot be told.

    ``sentry.models.x.Widget`` is in app ``sentry``; ``sentry.workflow_engine.models.Detector`` in
    ``workflow_engine`` when that folder has migrations; a ``sentry.<pkg>.models`` package without
    migrations of its own (``sentry.integrations``, ``sentry.users``) belongs to app ``sentry``."""
    parts = ref.split(".")
    index = next((i for i, p in enumerate(parts) if p == "models" or p.startswith("models_")), None)
    if index is None or index == 0:
        return None
    folder = parts[index - 1]
    if folder == "sentry" and index == 1:
        return "sentry"
    if apps is not None:
        if folder in apps:
            return folder
        return "sentry" if parts[0] == "sentry" else None
    return folder if folder in KNOWN_APPS else None


class MisspelledHook(MigrationTestRule):
    code = "SML304"
    fix = Fix.SAFE
    fix_title = "Rename the method to the hook it meant"
    name = "misspelled-migration-hook"
    message = "`{name}` is never called by `TestMigrations`: {advice}"
    summary = "Misspelled hook that is never called (`setUpBeforeMigration`, `setup_before_migrations`, `setup_before_migration` without `apps`, ...)."
    why = "`TestMigrations` calls exactly `setup_initial_state(self)` and `setup_before_migration(self, apps)`; any other spelling is an ordinary method that never runs, so the test seeds nothing and passes vacuously."
    instead = "`def setup_before_migration(self, apps):` or `def setup_initial_state(self):`."
    valid = (example(GOOD_TEST),)
    invalid = (
        Example(
            example(
                """
class BackfillWidgetNoteTest(TestMigrations):
    migrate_from = "1000_previous"
    migrate_to = "1001_backfill_widget_note"

    def setUpBeforeMigration(self, apps):  # expect: SML304
        pass

    def test(self):
        pass
"""
            ),
            fixed="""\
from sentry.testutils.cases import TestMigrations


class BackfillWidgetNoteTest(TestMigrations):
    migrate_from = "1000_previous"
    migrate_to = "1001_backfill_widget_note"

    def setup_before_migration(self, apps):
        pass

    def test(self):
        pass
""",
        ),
    )

    def check(self, ctx: Context) -> Iterator[Violation]:
        for view in migration_tests(ctx.facts):
            for method in view.cls.methods.values():
                advice = self._advice(method)
                if advice is not None:
                    yield self.report(method.line, method.col, f"{view.cls.name}.{method.name}", name=method.name, advice=advice)

    @staticmethod
    def _advice(method: FunctionFact) -> str | None:
        normal = method.name.lower().replace("_", "")
        meant = MISSPELLED_HOOKS.get(normal)
        if meant is not None and method.name != meant:
            signature = "(self, apps)" if meant == "setup_before_migration" else "(self)"
            return f"rename it `{meant}{signature}`"
        if method.name == "setup_before_migration" and len(method.params) < 2 and not method.has_varargs:
            return "it must take the historical registry: `def setup_before_migration(self, apps):`"
        return None

    def plan_fix(self, view: FixView, violation: Violation) -> list[Edit] | None:
        import libcst as cst

        from sentry_model_lint.fixes import edits as e
        from sentry_model_lint.fixes.shapes import target_names

        func = view.find(violation, cst.FunctionDef)
        if func is None or func.decorators or func.asynchronous is not None:
            return None
        old = func.name.value
        meant = MISSPELLED_HOOKS.get(old.lower().replace("_", ""))
        if meant is None or meant == old:
            return None  # `setup_before_migration` without `apps`: the body needs a human
        found = view.enclosing_class(func)
        if found is None or any(meant in target_names(s) for s in found[1].body):
            return None
        if view.name_count(old) != 1 or view.in_strings(old):
            return None  # called or named elsewhere: renaming would break that use
        params = func.params
        positional = [*params.posonly_params, *params.params]
        wanted = 2 if meant == "setup_before_migration" else 1
        takes = len(positional) >= wanted or isinstance(params.star_arg, cst.Param)
        if not takes or any(p.default is None for p in positional[wanted:]):
            return None  # TestMigrations could not call it with its arguments
        if any(p.default is None for p in params.kwonly_params):
            return None
        if not view.once(self.code, func):
            return []
        return [e.Rename(view.at(func.name), meant)]


def _under_tests_migrations(relparts: tuple[str, ...]) -> bool:
    dirs = relparts[:-1]
    if "tests" not in dirs:
        return False
    return "migrations" in dirs[dirs.index("tests") + 1 :]


class MigrationTestOutsideFolder(MigrationTestRule):
    code = "SML305"
    name = "migration-test-location"
    message = "migration test `{cls}` lives outside a `tests/**/migrations/` folder: move it to `tests/sentry/migrations/` (or the app's `tests/sentry/<app>/migrations/`)"
    summary = "`TestMigrations` subclass outside a `tests/**/migrations/` folder."
    why = "Sentry collects and runs migration tests (with `--migrations`) from the migrations test folders, and `bin/update-migration` renames them there; a migration test elsewhere is skipped or left behind when its migration is renumbered."
    instead = "`tests/sentry/migrations/test_<number>_<name>.py`."
    example_path = "tests/sentry/models/test_widget.py"
    valid = (Example(example(GOOD_TEST), path="tests/sentry/migrations/test_1001_backfill_widget_note.py"),)
    invalid = (
        example(
            """
class BackfillWidgetNoteTest(TestMigrations):  # expect: SML305
    migrate_from = "1000_previous"
    migrate_to = "1001_backfill_widget_note"

    def test(self):
        pass
"""
        ),
    )

    def check(self, ctx: Context) -> Iterator[Violation]:
        if _under_tests_migrations(ctx.facts.info.relparts):
            return
        for view in migration_tests(ctx.facts):
            yield self.report_class(view.cls, cls=view.cls.name)


class PytestSkipDecorator(MigrationTestRule):
    code = "SML306"
    fix = Fix.SAFE
    fix_title = "`@pytest.skip(...)` -> `@pytest.mark.skip(...)`"
    name = "pytest-skip-decorator"
    message = "`@pytest.skip(...)` on class `{cls}` runs at import and skips (or breaks) the whole module: use `@pytest.mark.skip(reason=...)`"
    summary = "`@pytest.skip(...)` used as a class decorator."
    why = "`pytest.skip()` is a function that raises immediately: as a decorator it runs while the module is imported, skipping every test of the file (or erroring outside a test run) instead of marking one class."
    instead = '`@pytest.mark.skip(reason="...")`.'
    valid = (example('import pytest\n\n\n@pytest.mark.skip(reason="flaky")' + GOOD_TEST),)
    invalid = (
        Example(
            example('import pytest\n\n\n@pytest.skip("flaky")  # expect: SML306' + GOOD_TEST),
            fixed="""\
from sentry.testutils.cases import TestMigrations


import pytest


@pytest.mark.skip("flaky")
class BackfillWidgetNoteTest(TestMigrations):
    app = "sentry"
    migrate_from = "1000_previous"
    migrate_to = "1001_backfill_widget_note"

    def setup_before_migration(self, apps):
        Widget = apps.get_model("sentry", "Widget")
        self.widget = Widget.objects.create(note=None)

    def test(self):
        self.widget.refresh_from_db()
        assert self.widget.note == ""
""",
        ),
    )

    def check(self, ctx: Context) -> Iterator[Violation]:
        for cls in ctx.facts.classes:
            for decorator in cls.decorators:
                if decorator.kind == CALL and decorator.call_ref == "pytest.skip":
                    yield self.report(decorator.line, decorator.col, f"{cls.name}@pytest.skip", cls=cls.name)

    def plan_fix(self, view: FixView, violation: Violation) -> list[Edit] | None:
        import libcst as cst
        from libcst.metadata import ImportAssignment

        from sentry_model_lint.fixes import edits as e
        from sentry_model_lint.fixes.shapes import alias_name, code, has_star, positional

        call = view.outer_expression(violation)
        decorator = view.parent(call) if call is not None else None
        if not isinstance(call, cst.Call) or not isinstance(decorator, cst.Decorator) or decorator.decorator is not call:
            return None
        func = call.func
        if not (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.attr.value == "skip"):
            return None
        if func.lpar or func.value.lpar or has_star(call) or len(positional(call)) > 1:
            return None
        if any(a.keyword is not None and a.keyword.value != "reason" for a in call.args):
            return None  # msg=, allow_module_level=: not arguments of the mark
        pytest_name = func.value.value
        found = view.assignments(pytest_name, call)
        if not (
            len(found) == 1
            and isinstance(found[0], ImportAssignment)
            and isinstance(found[0].node, cst.Import)
            and any(alias_name(a) == "pytest" for a in found[0].node.names)
        ):
            return None
        if not view.once(self.code, call):
            return []
        base = code(func.value)
        return [e.ReplaceCallee(view.at(call), f"{base}.mark{code(func)[len(base) :]}")]
