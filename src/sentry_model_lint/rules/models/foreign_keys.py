"""SML110-SML115: foreign keys, hybrid-cloud foreign keys and `on_delete`."""

from __future__ import annotations

from collections.abc import Iterator

from sentry_model_lint.facts import FieldFact
from sentry_model_lint.names import last_part
from sentry_model_lint.rules.base import Context, Violation
from sentry_model_lint.rules.models.common import (
    ModelRule,
    example,
    is_hcfk,
    model_fields,
    model_symbol,
)
from sentry_model_lint.values import CALL, CONST, DICT, LAMBDA, LIST, NAME, SET, TUPLE, Value
from sentry_model_lint.vocab import (
    AUTH_USER_MODEL,
    DJANGO_FK,
    DJANGO_O2O,
    FK_CLASSES,
    HCFK_CASCADE_BEHAVIOR,
)

HCFK_ON_DELETE = frozenset({"CASCADE", "SET_NULL", "DO_NOTHING"})


class PlainForeignKey(ModelRule):
    code = "SML110"
    name = "plain-foreign-key"
    message = "plain Django `{kind}` on `{model}.{field}`: {advice}"
    summary = "Plain Django `ForeignKey` / `OneToOneField` in a Sentry model."
    why = (
        "`FlexibleForeignKey` and `HybridCloudForeignKey` plug into Sentry's deletion framework "
        "and hybrid-cloud plumbing; a plain `ForeignKey` does not, and says nothing about whether "
        "the target lives in the same silo."
    )
    instead = '`FlexibleForeignKey("sentry.Project", on_delete=models.CASCADE)` (same silo) or `HybridCloudForeignKey("sentry.User", on_delete="CASCADE")` on a field named `*_id` (other silo).'
    notes = "Plain Django models (not based on Sentry's `Model`) are not checked, even when they carry a silo decorator: the decorator accepts any Django model, and Sentry's FK conventions apply to its `BaseModel` family. A silo-decorated class whose base cannot be found is still checked."
    valid = (
        example(
            """
@cell_silo_model
class Widget(Model):
    __relocation_scope__ = RelocationScope.Organization

    project = FlexibleForeignKey("sentry.Project", on_delete=models.CASCADE)
"""
        ),
    )
    invalid = (
        example(
            """
@cell_silo_model
class Widget(Model):
    __relocation_scope__ = RelocationScope.Organization

    project = models.ForeignKey("sentry.Project", on_delete=models.CASCADE)  # expect: SML110
"""
        ),
    )

    def check(self, ctx: Context) -> Iterator[Violation]:
        for info in ctx.hierarchy.models():
            if not info.sentry:
                continue
            for field in model_fields(info):
                if field.ref in (DJANGO_FK, DJANGO_O2O):
                    advice = "use `FlexibleForeignKey`"
                    if ctx.capabilities.has("HybridCloudForeignKey"):
                        advice += " for a target in the same silo, `HybridCloudForeignKey` across silos"
                    yield self.report(
                        field.call.line,
                        field.call.col,
                        model_symbol(info.cls, field.name),
                        kind=last_part(field.ref),
                        model=info.cls.name,
                        field=field.name,
                        advice=advice,
                    )


class HybridCloudOnDelete(ModelRule):
    code = "SML111"
    name = "hybrid-cloud-fk-on-delete"
    message = "`HybridCloudForeignKey` `{field}`: {problem}"
    summary = "`HybridCloudForeignKey` whose `on_delete` is missing, positional or not CASCADE / SET_NULL / DO_NOTHING."
    why = (
        "`HybridCloudForeignKey` takes `on_delete` as a required keyword and looks the string up "
        "(case-insensitively) in `CASCADE`, `SET_NULL`, `DO_NOTHING`; anything else fails when the "
        "model is imported. Django's `models.CASCADE` is a function, not one of these names."
    )
    instead = '`on_delete="CASCADE"`, `on_delete="SET_NULL"` (with `null=True`) or `on_delete="DO_NOTHING"`.'
    notes = "Lower-case strings are accepted, as Sentry upper-cases them. A value held in a variable is not checked."
    valid = (
        example(
            """
@cell_silo_model
class Widget(Model):
    __relocation_scope__ = RelocationScope.Organization

    user_id = HybridCloudForeignKey("sentry.User", on_delete="CASCADE")
"""
        ),
    )
    invalid = (
        example(
            """
@cell_silo_model
class Widget(Model):
    __relocation_scope__ = RelocationScope.Organization

    user_id = HybridCloudForeignKey("sentry.User", on_delete=models.CASCADE)  # expect: SML111
    owner_id = HybridCloudForeignKey("sentry.User")  # expect: SML111
"""
        ),
    )

    def check(self, ctx: Context) -> Iterator[Violation]:
        for info in ctx.hierarchy.models():
            for field in model_fields(info):
                if not is_hcfk(field):
                    continue
                symbol = model_symbol(info.cls, field.name)
                value = field.keyword("on_delete")
                if value is None:
                    if len(field.call.items) >= 2:
                        problem = 'pass `on_delete` as a keyword (`on_delete="CASCADE"`); it is keyword-only'
                    elif field.call.has_kwargs_spread or field.call.starred:
                        continue
                    else:
                        problem = '`on_delete` is required: add `on_delete="CASCADE"`, `"SET_NULL"` or `"DO_NOTHING"`'
                    yield self.report(field.call.line, field.call.col, symbol, field=field.name, problem=problem)
                    continue
                found = self._problem(value)
                if found is not None:
                    yield self.report(value.line, value.col, symbol, field=field.name, problem=found)

    @staticmethod
    def _problem(value: Value) -> str | None:
        if value.is_str:
            if str(value.const).upper() in HCFK_ON_DELETE:
                return None
            return f'`on_delete={value.const!r}` is not one of "CASCADE", "SET_NULL", "DO_NOTHING"'
        if value.kind == NAME:
            if value.ref and value.ref.startswith(HCFK_CASCADE_BEHAVIOR + "."):
                if last_part(value.ref) in HCFK_ON_DELETE:
                    return None
                return f'`{value.text}` is not a cascade behaviour: use "CASCADE", "SET_NULL" or "DO_NOTHING"'
            if value.ref and value.ref.startswith("django.db.models."):
                return f'`on_delete` takes a string, not `{value.text}`: use `on_delete="{last_part(value.ref)}"`'
            return None
        if value.kind in (CONST, CALL, LIST, TUPLE, DICT, SET, LAMBDA):
            return '`on_delete` must be a string: "CASCADE", "SET_NULL" or "DO_NOTHING"'
        return None


class HybridCloudNameWithoutId(ModelRule):
    code = "SML112"
    name = "hybrid-cloud-fk-name"
    message = "`HybridCloudForeignKey` `{field}` holds only an id: name it `{field}_id`"
    summary = "`HybridCloudForeignKey` assigned to a name without the `_id` suffix."
    why = (
        "A `HybridCloudForeignKey` is an integer column with no ORM relation behind it; naming it "
        "`user_id` rather than `user` keeps readers from expecting `widget.user` to return an "
        "object."
    )
    instead = '`user_id = HybridCloudForeignKey("sentry.User", on_delete="CASCADE")`.'
    valid = (
        example(
            """
@cell_silo_model
class Widget(Model):
    __relocation_scope__ = RelocationScope.Organization

    user_id = HybridCloudForeignKey("sentry.User", on_delete="CASCADE")
"""
        ),
    )
    invalid = (
        example(
            """
@cell_silo_model
class Widget(Model):
    __relocation_scope__ = RelocationScope.Organization

    user = HybridCloudForeignKey("sentry.User", on_delete="CASCADE")  # expect: SML112
"""
        ),
    )

    def check(self, ctx: Context) -> Iterator[Violation]:
        for info in ctx.hierarchy.models():
            for field in model_fields(info):
                if is_hcfk(field) and not field.name.endswith("_id"):
                    yield self.report(field.call.line, field.call.col, model_symbol(info.cls, field.name), field=field.name)


class ForeignKeyNamedId(ModelRule):
    code = "SML113"
    name = "foreign-key-named-id"
    message = "foreign key `{field}` ends in `_id`, so its column becomes `{field}_id`: name the field `{stem}`"
    summary = "`FlexibleForeignKey` / `ForeignKey` assigned to a name ending in `_id`."
    why = (
        "Django adds `_id` to a foreign key's column: `project_id = FlexibleForeignKey(...)` makes "
        "a `project_id_id` column and a `project_id` attribute that returns an object."
    )
    instead = '`project = FlexibleForeignKey("sentry.Project")`; Django then gives you both `project` and `project_id`.'
    notes = "Fields that set `db_column=` are left alone."
    valid = (
        example(
            """
@cell_silo_model
class Widget(Model):
    __relocation_scope__ = RelocationScope.Organization

    project = FlexibleForeignKey("sentry.Project")
"""
        ),
    )
    invalid = (
        example(
            """
@cell_silo_model
class Widget(Model):
    __relocation_scope__ = RelocationScope.Organization

    project_id = FlexibleForeignKey("sentry.Project")  # expect: SML113
"""
        ),
    )

    def check(self, ctx: Context) -> Iterator[Violation]:
        for info in ctx.hierarchy.models():
            for field in model_fields(info):
                if field.ref in FK_CLASSES and field.name.endswith("_id") and field.keyword("db_column") is None:
                    if field.call.has_kwargs_spread:
                        continue
                    yield self.report(
                        field.call.line,
                        field.call.col,
                        model_symbol(info.cls, field.name),
                        field=field.name,
                        stem=field.name[: -len("_id")],
                    )


class SetNullWithoutNull(ModelRule):
    code = "SML114"
    name = "set-null-without-null"
    message = "`{field}` uses `on_delete` SET_NULL but is not nullable: add `null=True`"
    summary = "`on_delete` SET_NULL on a foreign key without `null=True`."
    why = "Deleting the target sets the column to NULL; on a NOT NULL column that fails at delete time (or, for a hybrid-cloud key, in the asynchronous cascade)."
    instead = "Add `null=True`, or choose `CASCADE` / `DO_NOTHING`."
    valid = (
        example(
            """
@cell_silo_model
class Widget(Model):
    __relocation_scope__ = RelocationScope.Organization

    user_id = HybridCloudForeignKey("sentry.User", null=True, on_delete="SET_NULL")
    team = FlexibleForeignKey("sentry.Team", null=True, on_delete=models.SET_NULL)
"""
        ),
    )
    invalid = (
        example(
            """
@cell_silo_model
class Widget(Model):
    __relocation_scope__ = RelocationScope.Organization

    user_id = HybridCloudForeignKey("sentry.User", on_delete="SET_NULL")  # expect: SML114
    team = FlexibleForeignKey("sentry.Team", on_delete=models.SET_NULL)  # expect: SML114
"""
        ),
    )

    def check(self, ctx: Context) -> Iterator[Violation]:
        for info in ctx.hierarchy.models():
            for field in model_fields(info):
                if not (field.ref in FK_CLASSES or is_hcfk(field)):
                    continue
                on_delete = field.keyword("on_delete")
                if on_delete is None or not self._is_set_null(on_delete):
                    continue
                if field.call.has_kwargs_spread:
                    continue
                null = field.keyword("null")
                if null is not None and (null.is_true or null.kind != CONST):
                    continue
                yield self.report(on_delete.line, on_delete.col, model_symbol(info.cls, field.name), field=field.name)

    @staticmethod
    def _is_set_null(value: Value) -> bool:
        if value.is_str:
            return str(value.const).upper() == "SET_NULL"
        if value.kind == NAME and value.ref:
            return value.ref == "django.db.models.SET_NULL" or value.ref == f"{HCFK_CASCADE_BEHAVIOR}.SET_NULL"
        return False


class HybridCloudTarget(ModelRule):
    code = "SML115"
    name = "hybrid-cloud-fk-target"
    message = "`HybridCloudForeignKey` `{field}`: {problem}"
    summary = '`HybridCloudForeignKey` whose target is not an `"app.Model"` string or `settings.AUTH_USER_MODEL`.'
    why = "The target of a `HybridCloudForeignKey` is split on `.` into an app label and a model name; anything else fails an assertion when the model is imported."
    instead = '`HybridCloudForeignKey("sentry.Organization", on_delete="CASCADE")` or `HybridCloudForeignKey(settings.AUTH_USER_MODEL, ...)`.'
    notes = "A target held in a variable is not checked."
    valid = (
        example(
            """
from django.conf import settings


@cell_silo_model
class Widget(Model):
    __relocation_scope__ = RelocationScope.Organization

    user_id = HybridCloudForeignKey(settings.AUTH_USER_MODEL, on_delete="CASCADE")
    organization_id = HybridCloudForeignKey("sentry.Organization", on_delete="CASCADE")
"""
        ),
    )
    invalid = (
        example(
            """
@cell_silo_model
class Widget(Model):
    __relocation_scope__ = RelocationScope.Organization

    user_id = HybridCloudForeignKey("User", on_delete="CASCADE")  # expect: SML115
"""
        ),
    )

    def check(self, ctx: Context) -> Iterator[Violation]:
        for info in ctx.hierarchy.models():
            for field in model_fields(info):
                if not is_hcfk(field):
                    continue
                target = field.call.items[0] if field.call.items else field.keyword("foreign_model")
                problem = self._problem(target, field)
                if problem is not None:
                    yield self.report(
                        field.call.line, field.call.col, model_symbol(info.cls, field.name), field=field.name, problem=problem
                    )

    @staticmethod
    def _problem(target: Value | None, field: FieldFact) -> str | None:
        if target is None:
            if field.call.starred or field.call.has_kwargs_spread:
                return None
            return 'the target model is missing: pass `"app.Model"` as the first argument'
        if target.is_str:
            parts = str(target.const).split(".")
            if len(parts) == 2 and all(parts):
                return None
            return f'target {target.const!r} must be `"<app_label>.<ModelName>"`, e.g. "sentry.User"'
        if target.kind == NAME:
            if target.ref is None or target.ref == AUTH_USER_MODEL:
                return None
            tail = last_part(target.ref)
            if tail[:1].isupper() and not tail.isupper() and "_" not in tail:
                return f'pass the target as a string `"<app_label>.{tail}"`, not the class `{target.text}`'
            return None
        if target.kind in (CONST, CALL, LIST, TUPLE, DICT, SET):
            return 'the target must be a string `"app.Model"` or `settings.AUTH_USER_MODEL`'
        return None
