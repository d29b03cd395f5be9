"""SML4xx: rules that need the project index (several files).

Each rule reports, for the file being linted, the findings that belong to it: a migration gets
the findings about its operations and its place in the history, a model file the findings about
its models, a test file those about its tests. The index computes each app's history once.
"""

from __future__ import annotations

from collections.abc import Iterator

from sentry_model_lint.migration_facts import OperationFact
from sentry_model_lint.project import ModelEntry, ProjectIndex
from sentry_model_lint.replay import AppHistory, FieldState, GraphProblem, Snapshot, field_state
from sentry_model_lint.rules.base import Context, Family, Rule, Violation
from sentry_model_lint.rules.migration_tests import migration_tests
from sentry_model_lint.settings_reader import lockfile_apps
from sentry_model_lint.values import CALL, CONST, NAME
from sentry_model_lint.vocab import (
    ALTER_FIELD,
    DELETE,
    FK_CLASSES,
    HYBRID_CLOUD_FK,
    MANY_TO_MANY,
    MOVE_TO_PENDING,
    RUN_PYTHON,
    RUN_PYTHON_NOOP,
    SAFE_DELETE_MODEL,
    SAFE_REMOVE_FIELD,
    sentry,
)

NOTE = "Needs the project index (on by default; `project-index = false` turns it off)."


class ProjectRule(Rule):
    """Rules whose examples are whole repositories under ``fixtures/projects/``."""

    family = Family.PROJECT
    notes = NOTE

    def check(self, ctx: Context) -> Iterator[Violation]:
        if ctx.project is None:
            return
        yield from self.check_project(ctx, ctx.project)

    def check_project(self, ctx: Context, project: ProjectIndex) -> Iterator[Violation]:
        raise NotImplementedError


class MigrationProjectRule(ProjectRule):
    def check_project(self, ctx: Context, project: ProjectIndex) -> Iterator[Violation]:
        info = ctx.facts.info
        migration = ctx.facts.migration
        if migration is None or info.is_squashed_name or migration.is_squash:
            return
        history = project.history_for(info.app_folder)
        if history is None or info.stem not in history.nodes:
            return
        yield from self.check_migration(ctx, history, info.stem)

    def check_migration(self, ctx: Context, history: AppHistory, name: str) -> Iterator[Violation]:
        raise NotImplementedError

    def at_op(self, ctx: Context, op: OperationFact, **fmt: object) -> Violation:
        return self.report(op.call.line, op.call.col, f"{ctx.facts.info.stem}:{op.path}", **fmt)

    @staticmethod
    def snapshots(ctx: Context, history: AppHistory, name: str, *refs: str) -> Iterator[Snapshot]:
        assert ctx.facts.migration is not None  # check_migration runs only for a migration
        for op in ctx.facts.migration.operations:
            if op.ref in refs:
                snapshot = history.snapshots.get((name, op.path))
                if snapshot is not None and not snapshot.uncertain:
                    yield snapshot


def _action(op: OperationFact) -> str | None:
    value = op.call.keyword("deletion_action")
    return value.ref if value is not None and value.kind == NAME else None


def _target(snapshot: Snapshot) -> str:
    op = snapshot.op
    if op.ref == SAFE_REMOVE_FIELD:
        model, name = op.arg(0, "model_name"), op.arg(1, "name")
        return f"{model.const if model is not None else '?'}.{name.const if name is not None else '?'}"
    name = op.arg(0, "name")
    return str(name.const) if name is not None and name.is_str else "?"


class DeleteWithoutPending(MigrationProjectRule):
    code = "SML401"
    needs = ("DeletionAction",)
    name = "delete-without-pending"
    message = "`{target}` {problem}"
    summary = "`DELETE` with no earlier `MOVE_TO_PENDING` in the app's history; `MOVE_TO_PENDING` twice."
    why = (
        "Sentry drops a column or table only after a deploy in which it was already pending "
        "(removed from Django's state, still in Postgres). A `DELETE` whose pending phase never "
        'shipped drops it under running code; Sentry refuses it ("must be in the pending '
        'deletion state"), as it refuses marking a target pending twice.'
    )
    instead = "A `MOVE_TO_PENDING` migration, deployed, then the `DELETE` migration."
    fixture = "sml401_deletion_without_pending"

    def check_migration(self, ctx: Context, history: AppHistory, name: str) -> Iterator[Violation]:
        for snap in self.snapshots(ctx, history, name, SAFE_REMOVE_FIELD, SAFE_DELETE_MODEL):
            action = _action(snap.op)
            field_op = snap.op.ref == SAFE_REMOVE_FIELD
            pending = snap.field_pending if field_op else snap.model_pending
            exists = snap.field is not None if field_op else snap.model is not None
            if action == DELETE and not pending and exists:
                problem = "is deleted but was never moved to pending: ship `deletion_action=DeletionAction.MOVE_TO_PENDING` in an earlier migration first"
            elif action == MOVE_TO_PENDING and pending:
                problem = "is already pending deletion: use `deletion_action=DeletionAction.DELETE` to delete it"
            else:
                continue
            yield self.at_op(ctx, snap.op, target=_target(snap), problem=problem)


def _constrained_fk(field: FieldState) -> bool:
    if field.ref not in FK_CLASSES:
        return False
    constraint = field.kw("db_constraint")
    return not (constraint is not None and constraint.kind == CONST and constraint.const is False)


def _many_to_many(field: FieldState) -> bool:
    """A many-to-many field has no column (its rows live in the through table)."""
    return field.ref == MANY_TO_MANY or field.kind == "ManyToManyField"


class PendingNotReady(MigrationProjectRule):
    code = "SML402"
    needs = ("DeletionAction",)
    name = "pending-not-ready"
    message = "`{target}` cannot move to pending: {problem}"
    summary = "`MOVE_TO_PENDING` of a NOT NULL field without `db_default`, or of a field/model with a constrained foreign key."
    why = (
        "While a column is pending, deployed code no longer writes it: a NOT NULL column without "
        "a database default makes every insert fail, and a foreign-key constraint blocks deletes "
        "of the target. Sentry refuses both when the migration is applied."
    )
    instead = "An earlier migration that makes the field `null=True` (or gives it `db_default=`) and sets `db_constraint=False` on foreign keys."
    notes = NOTE + " A `ManyToManyField` has no column (its rows live in the through table), so NOT NULL does not apply to it."
    fixture = "sml402_pending_not_nullable"

    def check_migration(self, ctx: Context, history: AppHistory, name: str) -> Iterator[Violation]:
        for snap in self.snapshots(ctx, history, name, SAFE_REMOVE_FIELD, SAFE_DELETE_MODEL):
            if _action(snap.op) != MOVE_TO_PENDING:
                continue
            problems = []
            if snap.op.ref == SAFE_REMOVE_FIELD:
                field = snap.field
                if field is None or not field.certain:
                    continue
                if field.null is False and not field.has_db_default and not _many_to_many(field):
                    problems.append(
                        "it is NOT NULL without `db_default`; make it `null=True` (or add `db_default=`) in an earlier migration"
                    )
                if _constrained_fk(field):
                    problems.append(
                        "its foreign-key constraint is still in place; set `db_constraint=False` in an earlier migration"
                    )
            elif snap.model is not None:
                constrained = sorted(f.name for f in snap.model.fields.values() if f.certain and _constrained_fk(f))
                if constrained:
                    problems.append(
                        f"foreign keys {', '.join(constrained)} still have constraints; set `db_constraint=False` in an earlier migration"
                    )
            if problems:
                yield self.at_op(ctx, snap.op, target=_target(snap), problem="; ".join(problems))


class DeletedTableNotInRouter(MigrationProjectRule):
    code = "SML403"
    needs = ("SafeDeleteModel",)
    name = "deleted-table-not-in-router"
    message = 'table `{table}` of deleted model `{model}` is missing from `historical_silo_assignments` in `{router}`: add `"{table}": SiloMode.{mode}` (or its silo) there'
    summary = "`SafeDeleteModel` whose table is missing from the router's `historical_silo_assignments`."
    why = (
        "Once the model class is gone, Sentry's router finds the table's database only through "
        "`historical_silo_assignments`; without an entry, production silently skips the "
        "table-drop migration. The entry belongs in the same change as the pending phase."
    )
    instead = '`historical_silo_assignments = {..., "sentry_widget": SiloMode.CELL}` in `SiloRouter`.'
    fixture = "sml403_router_missing_table"

    def check_migration(self, ctx: Context, history: AppHistory, name: str) -> Iterator[Violation]:
        assert ctx.project is not None
        tables = ctx.project.router_tables(history.label)
        if tables is None:
            return
        for snap in self.snapshots(ctx, history, name, SAFE_DELETE_MODEL):
            model = snap.model or snap.pending_model
            model_name = _target(snap)
            if model is None:
                continue
            table = model.table or f"{history.label}_{model.name.lower()}"
            if table not in tables:
                from sentry_model_lint.project import DEFAULT_ROUTER, ROUTERS

                # SiloMode.REGION became SiloMode.CELL with the cell rename (2026)
                mode = "CELL" if ctx.capabilities.cell_decorator == "cell_silo_model" else "REGION"
                router = ROUTERS.get(history.label, DEFAULT_ROUTER)
                yield self.at_op(ctx, snap.op, table=table, model=model_name, router=router, mode=mode)


class LockfileMismatch(MigrationProjectRule):
    code = "SML404"
    name = "lockfile-mismatch"
    message = "`migrations_lockfile.txt` {problem}"
    summary = "`migrations_lockfile.txt` entry differs from the app's leaf migration, an app missing, or the format broken."
    why = (
        "The lockfile names each app's latest migration so that two branches adding migrations "
        "conflict in git instead of in production; `makemigrations --check` fails when it "
        "disagrees with the migration graph."
    )
    instead = "`bin/update-migration <name>` (or regenerate the lockfile) so that each app's line names its leaf migration."
    notes = (
        NOTE + " Reported on line 1 of the app's leaf migration. Sentry's makemigrations writes only the apps in"
        " `settings.MIGRATIONS_LOCKFILE_APP_WHITELIST` (read statically from `src/sentry/conf/server.py`, matched"
        ' against app labels, so 2023\'s `"sentry.replays"` matches no app; an empty tuple means every app): an'
        " app outside it is not checked. Without the setting (Sentry from mid-2025) only the apps already in the"
        " lockfile are checked; a whitelist that is not a literal turns the rule off; without a settings file every"
        " app with migrations is expected."
    )
    fixture = "sml404_lockfile_mismatch"

    def check_migration(self, ctx: Context, history: AppHistory, name: str) -> Iterator[Violation]:
        assert ctx.project is not None
        lock = ctx.project.lockfile
        if lock is None or history.leaf != name:
            return
        label = history.label
        if lockfile_apps(ctx.project.root).expects(label, label in lock.entries) is not True:
            return  # makemigrations does not write this app into the lockfile
        problem = None
        if label in lock.duplicates:
            problem = f"has {len(lock.duplicates[label])} entries for app `{label}` (lines {', '.join(map(str, lock.duplicates[label]))}): keep one, `{label}: {name}`"
        elif label not in lock.entries:
            broken = [n for n, text in lock.malformed if label in text]
            problem = f"has no entry for app `{label}`: add `{label}: {name}`"
            if broken:
                problem = f"line {broken[0]} is not `app: migration_name`: write `{label}: {name}`"
        else:
            recorded, line = lock.entries[label]
            if history.resolve(recorded) != name:
                problem = (
                    f"line {line} says `{label}: {recorded}` but the app's latest migration is `{name}`: update the lockfile"
                )
        if problem is None and lock.malformed and label == "sentry":
            number, text = lock.malformed[0]
            problem = f"line {number} is malformed ({text.strip()[:40]!r}): entries are `app: migration_name`"
        if problem is not None:
            yield self.report(1, 0, f"{name}:lockfile", problem=problem)


class MigrationGraph(MigrationProjectRule):
    code = "SML405"
    name = "migration-graph"
    message = "migration `{migration}` {problem}"
    summary = "An app's migration graph has several leaves, a duplicate number, a cycle, a missing dependency, or a same-app dependency that is not the previous migration."
    why = (
        "Sentry keeps each app's history linear: every migration depends on the one before it. "
        "Two leaves or a duplicate number come from two branches that both added a migration; "
        "Django refuses to migrate a graph with several leaves or a cycle, and a dependency on a "
        "missing migration breaks every environment."
    )
    instead = "Rebase and renumber with `bin/update-migration`, so the migration depends on the app's previous one."
    notes = (
        NOTE + " A merge migration (one depending on two or more migrations of its app, none an ancestor of another, as"
        " `makemigrations --merge` writes it) is how Django resolves a fork: once one joins the branches, their"
        " duplicate numbers, their leaves and the merge's own dependencies on them (and a branch migration following"
        " its own branch rather than the previous number) are not reported. Sentry 2023 has such merges"
        " (0508_merging_migrations, 0509_merging_migrations). A fork not yet merged is still reported."
    )
    fixture = "sml405_migration_graph"

    def check_migration(self, ctx: Context, history: AppHistory, name: str) -> Iterator[Violation]:
        migration = ctx.facts.migration
        assert migration is not None  # check_migration runs only for a migration
        merged = _merged_forks(history)
        for problem in history.problems:
            if problem.migration != name or _resolved_by_merge(history, problem, merged):
                continue
            if problem.value is not None:
                line, col = problem.value.line, problem.value.col
            else:
                line, col = migration.line, migration.col
            yield self.report(line, col, f"{name}:{problem.kind}", migration=name, problem=problem.message)


_MERGED_CACHE: dict[int, tuple[AppHistory, dict[str, frozenset[str]]]] = {}


def _merged_forks(history: AppHistory) -> dict[str, frozenset[str]]:
    """Merge migrations of the app -> the migrations on the branches they join.

    A merge migration depends on two or more migrations of its app none of which is an ancestor
    of another (the leaves of a fork, as `makemigrations --merge` writes it). Its branches are the
    ancestors of some of those dependencies that are not ancestors of all of them."""
    cached = _MERGED_CACHE.get(id(history))
    if cached is not None and cached[0] is history:
        return cached[1]
    parents: dict[str, set[str]] = {}
    for node in history.nodes.values():
        parents[node.name] = {
            history.aliases.get(dep, dep)
            for app, dep, _ in node.deps
            if app == history.label and not dep.startswith("__") and history.aliases.get(dep, dep) in history.nodes
        } - {node.name}

    def ancestors(start: str) -> set[str]:
        seen = {start}
        stack = [start]
        while stack:
            for parent in parents.get(stack.pop(), ()):
                if parent not in seen:
                    seen.add(parent)
                    stack.append(parent)
        return seen

    merged: dict[str, frozenset[str]] = {}
    for name, deps in parents.items():
        if len(deps) < 2:
            continue
        lines = [ancestors(dep) for dep in sorted(deps)]
        if any(dep in line and dep != other for dep in deps for line, other in zip(lines, sorted(deps), strict=True)):
            continue  # one dependency is an ancestor of another: not a fork
        if name in set().union(*lines):
            continue  # a cycle, reported as such
        merged[name] = frozenset(set[str]().union(*lines) - lines[0].intersection(*lines[1:]))
    if len(_MERGED_CACHE) > 64:
        _MERGED_CACHE.clear()
    _MERGED_CACHE[id(history)] = (history, merged)
    return merged


def _resolved_by_merge(history: AppHistory, problem: GraphProblem, merged: dict[str, frozenset[str]]) -> bool:
    """Whether a later merge migration resolves the fork behind ``problem``."""
    name = problem.migration
    if problem.kind == "duplicate":
        number = history.nodes[name].number if name in history.nodes else None
        twins = {n for n, node in history.nodes.items() if node.number == number}
        return any(twins <= branches for branches in merged.values())
    if problem.kind == "not-previous":
        if name in merged:
            return True  # a merge depends on each branch's last migration by design
        previous = history.previous(name)
        return any(name in branches and previous in branches for branches in merged.values())
    if problem.kind == "leaves":
        return any(name in branches for branches in merged.values())
    return False


def _is_tested(project: ProjectIndex, app: str, migration: str) -> bool:
    """Whether a migration test of the project has ``migrate_to`` = ``migration`` in ``app``."""
    for _, facts, _cls in project.tests_naming(migration):
        for view in migration_tests(facts):
            label = view.attr("app")
            label_value = getattr(label, "value", None)
            test_app = str(label_value.const) if label_value is not None and label_value.is_str else "sentry"
            target = getattr(view.attr("migrate_to"), "value", None)
            if test_app == app and target is not None and target.is_str and target.const == migration:
                return True
    return False


class BackfillWithoutTest(MigrationProjectRule):
    code = "SML407"
    new_work_only = True  # a test cannot be added for a migration that shipped long ago
    name = "backfill-without-test"
    message = '`RunPython` in `{migration}` changes data but no migration test has `migrate_to = "{migration}"`: add one under `tests/sentry/migrations/`'
    summary = "A migration with a non-noop `RunPython` that no `TestMigrations` names in `migrate_to`."
    why = "Sentry's guide: a migration that backfills or transforms data is logic, and it must have a test (`TestMigrations`, one test method, seeded with the historical models)."
    instead = "`tests/sentry/migrations/test_<number>_<name>.py` with `migrate_from` = the previous migration and `migrate_to` = this one."
    fixture = "sml407_run_python_without_test"

    def check_migration(self, ctx: Context, history: AppHistory, name: str) -> Iterator[Violation]:
        assert ctx.project is not None
        assert ctx.facts.migration is not None  # check_migration runs only for a migration
        ops = [op for op in ctx.facts.migration.operations if op.ref == RUN_PYTHON and op.runs_on_database]
        ops = [
            op
            for op in ops
            if not ((code := op.arg(0, "code")) is not None and code.kind == NAME and code.ref == RUN_PYTHON_NOOP)
        ]
        if not ops or _is_tested(ctx.project, history.label, name):
            return
        yield self.at_op(ctx, ops[0], migration=name)


class MigrationTestTargets(ProjectRule):
    code = "SML408"
    name = "migration-test-targets"
    message = "migration test `{cls}`: {problem}"
    summary = "Migration test whose `migrate_to` does not exist in its app, or whose `migrate_from` is not the previous migration of `migrate_to`."
    why = "`TestMigrations` migrates to `migrate_from`, seeds, then migrates to `migrate_to`: a missing name fails the test, and a `migrate_from` further back runs other migrations in between and tests something else."
    instead = "`migrate_to` = the migration under test, `migrate_from` = the migration just before it in the same app."
    notes = (
        NOTE + " The migration before `migrate_to` is the one `migrate_to` declares in its `dependencies` (in its own app),"
        " not the previous file by number; for a merge migration any of its parents is accepted. A `migrate_to`"
        " without a same-app dependency is not checked."
    )
    fixture = "sml408_migration_test_target"

    def check_project(self, ctx: Context, project: ProjectIndex) -> Iterator[Violation]:
        for view in migration_tests(ctx.facts):
            if view.is_base:
                continue
            app_attr = view.attr("app")
            app = "sentry"
            if app_attr is not None:
                value = getattr(app_attr, "value", None)
                if value is None or not value.is_str:
                    continue
                app = str(value.const)
            history = project.history_for(app)
            if history is None:
                continue
            to_attr, from_attr = view.attr("migrate_to"), view.attr("migrate_from")
            to_value = getattr(to_attr, "value", None)
            if to_attr is None or to_value is None or not to_value.is_str:
                continue
            target = history.resolve(str(to_value.const))
            if target is None:
                yield self.report(
                    to_attr.line,
                    to_attr.col,
                    f"{view.cls.name}.migrate_to",
                    cls=view.cls.name,
                    problem=f'`migrate_to = "{to_value.const}"` does not exist in app `{app}`',
                )
                continue
            from_value = getattr(from_attr, "value", None)
            if from_attr is None or from_value is None or not from_value.is_str:
                continue
            expected = _declared_parents(history, target)
            if expected and history.resolve(str(from_value.const)) not in expected:
                use = " or ".join(f'`"{name}"`' for name in expected)
                yield self.report(
                    from_attr.line,
                    from_attr.col,
                    f"{view.cls.name}.migrate_from",
                    cls=view.cls.name,
                    problem=f'`migrate_from = "{from_value.const}"` is not the migration before `{target}` (its dependency): use {use}',
                )


def _declared_parents(history: AppHistory, name: str) -> list[str]:
    """The same-app migrations ``name`` declares in its ``dependencies`` (that exist)."""
    node = history.nodes.get(name)
    if node is None:
        return []
    out: list[str] = []
    for app, dep, _ in node.deps:
        target = history.resolve(dep) if app == history.label and not dep.startswith("__") else None
        if target is not None and target != name and target not in out:
            out.append(target)
    return sorted(out)


# --- model files ----------------------------------------------------------------------------------


class ModelProjectRule(ProjectRule):
    def check_project(self, ctx: Context, project: ProjectIndex) -> Iterator[Violation]:
        for entry in project.model_entries(ctx.facts.info.path, ctx.facts):
            yield from self.check_model(ctx, project, entry)

    def check_model(self, ctx: Context, project: ProjectIndex, entry: ModelEntry) -> Iterator[Violation]:
        raise NotImplementedError


class CrossSiloForeignKey(ModelProjectRule):
    code = "SML406"
    name = "cross-silo-foreign-key"
    message = "`{model}.{field}` is a `{kind}` to `{target}`, which lives in the {target_silo} silo while `{model}` is in the {silo} silo: {advice}"
    summary = "`FlexibleForeignKey` to a model in the other silo; `HybridCloudForeignKey` to a model in the same silo."
    why = (
        "A database foreign key only works inside one silo's database: across silos the row is "
        "in another database, so the key must be a `HybridCloudForeignKey` (an id, cascaded by "
        "outboxes). Within a silo a real constraint is better, and Sentry's tests reject "
        "hybrid-cloud keys that do not cross silos."
    )
    instead = (
        '`FlexibleForeignKey` within a silo; `HybridCloudForeignKey("app.Model", on_delete=...)` on a `*_id` field across silos.'
    )
    notes = (
        NOTE
        + " A `HybridCloudForeignKey` to a model with global ids (`@snowflake_id_model`, such as Organization and Project) is accepted within a silo, as Sentry accepts it. Models with several silos, or whose silo is unknown, are skipped."
    )
    fixture = "sml406_cross_silo_foreign_key"

    def check_model(self, ctx: Context, project: ProjectIndex, entry: ModelEntry) -> Iterator[Violation]:
        if entry.silo is None or len(entry.silo) != 1:
            return
        for field in entry.cls.fields:
            if field.ref == sentry("FlexibleForeignKey"):
                cross_wanted, kind = False, "FlexibleForeignKey"
            elif field.ref == HYBRID_CLOUD_FK:
                cross_wanted, kind = True, "HybridCloudForeignKey"
            else:
                continue
            target_value = (
                field.call.items[0] if field.call.items else field.keyword("to" if not cross_wanted else "foreign_model")
            )
            if target_value is None:
                continue
            target = project.target_of(target_value, entry.app)
            if target is None or target.silo is None or len(target.silo) != 1:
                continue
            crosses = target.silo != entry.silo
            if crosses == cross_wanted:
                continue
            if cross_wanted and target.global_ids:
                continue  # Sentry accepts hybrid-cloud keys to models with global (snowflake) ids
            advice = (
                "use `HybridCloudForeignKey` on a `*_id` field"
                if crosses
                else "use `FlexibleForeignKey`: both models share a database"
            )
            yield self.report(
                field.call.line,
                field.call.col,
                f"{entry.cls.name}.{field.name}",
                model=entry.cls.name,
                field=field.name,
                kind=kind,
                target=target.name,
                target_silo=next(iter(target.silo)).lower(),
                silo=next(iter(entry.silo)).lower(),
                advice=advice,
            )


class ModelNotExported(ModelProjectRule):
    code = "SML409"
    name = "model-not-exported"
    message = "model `{model}` is missing from `{package}/__init__.py`, which re-exports the app's other models: add `from .{module} import {model}`"
    summary = "A concrete model missing from its app's `models/__init__.py` where that file re-exports the app's other models."
    why = "Callers import models from the package (`from sentry.workflow_engine.models import Detector`); an app whose `__init__.py` re-exports its models should export every one, and Sentry's guide asks to add new models there."
    instead = "`from .widget import Widget` (and the name in `__all__`, if the file has one)."
    notes = (
        NOTE + " A model in a nested package (`models/<sub>/thing.py`) counts as exported when `models/__init__.py` or"
        " `models/<sub>/__init__.py` imports it or star-imports its module or package."
    )
    fixture = "sml409_model_not_exported"

    def check_model(self, ctx: Context, project: ProjectIndex, entry: ModelEntry) -> Iterator[Violation]:
        info = ctx.facts.info
        parts = info.module.split(".")
        if not entry.info.concrete or info.is_package or len(parts) < 2:
            return
        # the app's models package: the nearest `models` folder above the module
        top_index = max((i for i, part in enumerate(parts[:-1]) if part == "models"), default=None)
        if top_index is None:
            return
        package = ".".join(parts[: top_index + 1])
        init = project.module_facts(package)
        if init is None:
            return
        # the packages from the module's own up to the models package (`models/<sub>/__init__.py` too)
        chain = [".".join(parts[:i]) for i in range(len(parts) - 1, top_index, -1)]
        for name in chain:
            facts = init if name == package else project.module_facts(name)
            if facts is None:
                continue
            exported = {n for n, target in facts.bindings.items() if target and not target.startswith(".")}
            if entry.cls.name in exported or any(star == info.module or star in chain for star in facts.star_imports):
                return
        siblings = [
            name
            for name, target in init.bindings.items()
            if target.startswith(package + ".")
            and target.rpartition(".")[2][:1].isupper()
            and target.rpartition(".")[0] != package
        ]
        if not siblings and not init.star_imports:
            return  # the package does not re-export its models
        yield self.report(
            entry.cls.line,
            entry.cls.col,
            entry.cls.name,
            model=entry.cls.name,
            package=package.replace(".", "/"),
            module=".".join(parts[top_index + 1 :]),
        )


class UnknownOutboxCategory(ModelProjectRule):
    code = "SML411"
    needs = ("OutboxCategory",)
    name = "unknown-outbox-category"
    message = (
        "`OutboxCategory.{member}` is not a member of `OutboxCategory`: add it to the enum (`{where}`) or use an existing one"
    )
    summary = "`OutboxCategory.X` that is not a member of the `OutboxCategory` enum in the repository."
    why = "A replicated model's category is looked up when the model is imported; a name the enum does not define fails at import time."
    instead = "A member defined in `class OutboxCategory(IntEnum)`."
    fixture = "sml411_unknown_outbox_category"

    def check_model(self, ctx: Context, project: ProjectIndex, entry: ModelEntry) -> Iterator[Violation]:
        attr = entry.cls.attrs.get("category")
        if attr is None or attr.value is None or attr.value.kind != NAME or not attr.value.ref:
            return
        head, _, member = attr.value.ref.rpartition(".")
        if not head.endswith("OutboxCategory"):
            return
        members = project.outbox_members
        if members is None or member in members:
            return
        where = ctx.capabilities.sources.get("OutboxCategory", "src/sentry/hybridcloud/outbox/category.py")
        yield self.report(attr.line, attr.col, f"{entry.cls.name}.category", member=member, where=where)


AUTH_BASE_USER = frozenset({"django.contrib.auth.base_user.AbstractBaseUser", "django.contrib.auth.models.AbstractBaseUser"})


def _declared_fields(entry: ModelEntry) -> dict[str, tuple[int, int]] | None:
    """Fields the model has (own and inherited), with where to report them; None if unknown."""
    if entry.info.uncertain:
        return None
    here = (entry.cls.line, entry.cls.col)
    fields: dict[str, tuple[int, int]] = {}
    for cls in reversed(list(entry.info.lineage())):
        for field in cls.fields:
            fields[field.name] = (field.line, field.col) if cls is entry.cls else here
        for name, line, col in cls.other_fields:  # bit fields: `class flags(TypedClassBitField)`, typed_dict_bitfield
            fields[name] = (line, col) if cls is entry.cls else here
    bases = {b.ref for cls in entry.info.lineage() for b in cls.bases if b.kind == NAME and b.ref}
    implicit = {"id"}
    if bases & AUTH_BASE_USER:
        implicit |= {"password", "last_login"}  # Django's AbstractBaseUser declares them
    if bases & {sentry("DefaultFieldsModel"), sentry("DefaultFieldsModelExisting")}:
        implicit |= {"date_added", "date_updated"}
    if sentry("ParanoidModel") in bases:
        implicit.add("date_deleted")
    for name in implicit:
        fields.setdefault(name, here)
    return fields


class ModelStateDrift(ModelProjectRule):
    code = "SML412"
    name = "model-migration-drift"
    default_on = False
    message = "{problem}"
    summary = "A model field absent from the replayed migration state, or a model with no `CreateModel` (a migration is missing)."
    why = "Model code and migrations must describe the same schema: a field the migrations never add is a missing migration, and a field still pending deletion must not be used by code."
    instead = "`sentry django makemigrations <app>` and commit the migration."
    notes = (
        NOTE + " Off by default: a model is compared with its app's history field by field, which is only as exact as the replay."
        " The model's fields include bit fields declared as a nested `class flags(TypedClassBitField)` (named after the"
        " class) or `typed_dict_bitfield(...)` (also from a mixin), and `password`/`last_login` from Django's"
        " `AbstractBaseUser`."
    )
    fixture = "sml412_model_missing_from_state"

    def check_model(self, ctx: Context, project: ProjectIndex, entry: ModelEntry) -> Iterator[Violation]:
        if not entry.info.concrete or not entry.info.sentry or entry.app is None:
            return
        history = project.history_for(entry.app)
        if history is None or history.uncertain:
            return
        key = entry.cls.name.lower()
        state = history.models.get(key)
        if state is None:
            if key not in history.created and key not in history.pending_models:
                yield self.report(
                    entry.cls.line,
                    entry.cls.col,
                    entry.cls.name,
                    problem=f"model `{entry.cls.name}` has no `CreateModel` in the history of app `{entry.app}`: generate its migration",
                )
            return
        if state.uncertain or entry.cls.is_proxy:
            return
        declared = _declared_fields(entry)
        if declared is None:
            return
        for name, (line, col) in declared.items():
            if name in state.fields:
                continue
            pending = (key, name) in history.pending_fields
            problem = (
                f"`{entry.cls.name}.{name}` is pending deletion in the migrations but the model still declares it: remove it from the model"
                if pending
                else f"`{entry.cls.name}.{name}` is not in the migration history of app `{entry.app}`: generate the migration that adds it"
            )
            yield self.report(line, col, f"{entry.cls.name}.{name}", problem=problem)


def _db_type(field: FieldState) -> str | None:
    kind = field.kind
    return DB_TYPES.get(kind)


DB_TYPES = {
    **dict.fromkeys(
        (
            "CharField",
            "SlugField",
            "EmailField",
            "URLField",
            "CICharField",
            "CIEmailField",
            "SentrySlugField",
            "SentryOrgSlugField",
            "EncryptedCharField",
        ),
        "varchar",
    ),
    **dict.fromkeys(
        (
            "TextField",
            "CITextField",
            "EncryptedTextField",
            "LegacyTextJSONField",
            "GzippedDictField",
            "NodeField",
            "PickledObjectField",
            "EncryptedPickledObjectField",
            "EncryptedJsonField",
        ),
        "text",
    ),
    **dict.fromkeys(
        ("IntegerField", "BoundedIntegerField", "PositiveIntegerField", "BoundedPositiveIntegerField", "WrappingU32IntegerField"),
        "integer",
    ),
    **dict.fromkeys(
        (
            "BigIntegerField",
            "BoundedBigIntegerField",
            "PositiveBigIntegerField",
            "BoundedPositiveBigIntegerField",
            "HybridCloudForeignKey",
            "ForeignKey",
            "FlexibleForeignKey",
            "OneToOneField",
            "OneToOneCascadeDeletes",
        ),
        "bigint",
    ),
    **dict.fromkeys(("SmallIntegerField", "PositiveSmallIntegerField"), "smallint"),
    **dict.fromkeys(("AutoField", "BoundedAutoField"), "serial"),
    **dict.fromkeys(("BigAutoField", "BoundedBigAutoField"), "bigserial"),
    "BooleanField": "boolean",
    "NullBooleanField": "boolean",
    "DateTimeField": "timestamptz",
    "DateField": "date",
    "TimeField": "time",
    "DurationField": "interval",
    "DecimalField": "numeric",
    "FloatField": "double",
    "UUIDField": "uuid",
    "BinaryField": "bytea",
}
SAFE_TYPE_CHANGES = {("varchar", "text")}


def _true(field: FieldState, key: str) -> bool:
    value = field.kw(key)
    return value is not None and value.kind == CONST and value.const is True


def _index_of(field: FieldState) -> str | None:
    """The index the field's column carries by its own declaration (Meta indexes are not seen)."""
    if field.ref in FK_CLASSES or field.kind in ("ForeignKey", "FlexibleForeignKey", "OneToOneField"):
        flag = field.kw("db_index")
        if not (flag is not None and flag.kind == CONST and flag.const is False):
            return "a foreign-key index"
    for key, what in (("primary_key", "a primary key"), ("unique", "a unique index"), ("db_index", "an index")):
        if _true(field, key):
            return what
    return None


def _array_problem(old: FieldState, new: FieldState) -> str | None:
    """An ``ArrayField`` whose element type changes rewrites the table."""
    old_base, new_base = old.kw("base_field"), new.kw("base_field")
    if old_base is None or new_base is None or old_base.kind != CALL or new_base.kind != CALL:
        return None  # a positional or computed base field is not compared
    old_el, new_el = field_state(old.name, old_base), field_state(new.name, new_base)
    old_type, new_type = _db_type(old_el), _db_type(new_el)
    if old_type is None or new_type is None or old_type == new_type:
        return None
    return f"changes the array's element type from {old_type} ({old_el.kind}) to {new_type} ({new_el.kind}), which rewrites the table"


class UnsafeAlterField(MigrationProjectRule):
    code = "SML410"
    name = "unsafe-alter-field"
    message = "`AlterField` on `{target}` {problem}: Sentry refuses column type changes that rewrite the table; add a new column, backfill, and switch over"
    summary = "`AlterField` that changes a column type unsafely against the replayed state (field class change, `max_length` narrowed, Decimal -> Float)."
    why = "Changing a column's type (or narrowing a varchar) makes Postgres rewrite or scan the whole table under an exclusive lock; Sentry's schema editor refuses it."
    instead = "A new column with the new type, a backfill, and a later removal of the old column (with the pending phase)."
    notes = (
        NOTE + " CharField -> TextField is accepted unless the column carries its own index (`db_index=True`, `unique=True`,"
        " a primary or foreign key): Django then drops and recreates the column's indexes, so Sentry refuses it even"
        " though the type only widens; indexes declared in `Meta` are not seen. An `ArrayField` whose `base_field=`"
        " changes its column type rewrites the table (a positional base field is not compared). A wider"
        " `max_length` is accepted."
    )
    fixture = "sml410_unsafe_alter_field"

    def check_migration(self, ctx: Context, history: AppHistory, name: str) -> Iterator[Violation]:
        for snap in self.snapshots(ctx, history, name, ALTER_FIELD):
            if not snap.op.runs_on_database or snap.field is None or not snap.field.certain:
                continue
            new_call = snap.op.arg(2, "field")
            if new_call is None or new_call.kind != CALL:
                continue
            new = field_state(snap.field.name, new_call)
            problem = self._problem(snap.field, new)
            if problem is not None:
                model = snap.op.arg(0, "model_name")
                target = f"{model.const if model is not None else '?'}.{snap.field.name}"
                yield self.at_op(ctx, snap.op, target=target, problem=problem)

    @staticmethod
    def _problem(old: FieldState, new: FieldState) -> str | None:
        if old.kind == new.kind == "ArrayField":
            return _array_problem(old, new)
        old_type, new_type = _db_type(old), _db_type(new)
        if old_type is None or new_type is None:
            return None
        if old_type != new_type:
            if (old_type, new_type) in SAFE_TYPE_CHANGES:
                index = _index_of(old)
                if index is None:
                    return None
                return f"changes the type of a column with {index} from {old_type} ({old.kind}) to {new_type} ({new.kind}), which rebuilds the index"
            return f"changes the column from {old_type} ({old.kind}) to {new_type} ({new.kind})"
        if old_type == "varchar":
            old_len, new_len = old.kw("max_length"), new.kw("max_length")
            if (
                old_len is not None
                and new_len is not None
                and old_len.is_const(int)
                and new_len.is_const(int)
                and new_len.const < old_len.const
            ):
                return f"narrows `max_length` from {old_len.const} to {new_len.const}"
        if old_type == "numeric":
            for key in ("max_digits", "decimal_places"):
                a, b = old.kw(key), new.kw(key)
                if a is not None and b is not None and a.is_const(int) and b.is_const(int) and b.const < a.const:
                    return f"narrows `{key}` from {a.const} to {b.const}"
        return None


__all__ = ["ModelEntry"]
