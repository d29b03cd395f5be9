"""SML120-SML123: `Meta` options, index and constraint names, identifier lengths."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol, cast

from sentry_model_lint.hierarchy import ModelInfo
from sentry_model_lint.names import last_part
from sentry_model_lint.rules.base import Context, Violation
from sentry_model_lint.rules.models.common import (
    ModelRule,
    example,
    model_symbol,
)
from sentry_model_lint.values import CALL, CONST, LIST, SET, TUPLE, Value
from sentry_model_lint.vocab import (
    identifier_too_long,
)

INDEX_CLASSES = frozenset(
    {
        "django.db.models.Index",
        "django.db.models.UniqueConstraint",
        "django.db.models.CheckConstraint",
        "django.contrib.postgres.constraints.ExclusionConstraint",
        *(
            f"django.contrib.postgres.indexes.{n}"
            for n in ("BloomIndex", "BrinIndex", "BTreeIndex", "GinIndex", "GistIndex", "HashIndex", "SpGistIndex")
        ),
    }
)


class _MetaOption(Protocol):
    """A ``Meta`` option's ``AttrFact`` whose value is known (not a bare annotation)."""

    @property
    def line(self) -> int: ...

    @property
    def col(self) -> int: ...

    @property
    def value(self) -> Value: ...


def _meta_option(info: ModelInfo, name: str) -> _MetaOption | None:
    meta = info.cls.meta
    if meta is None:
        return None
    attr = meta.options.get(name)
    if attr is None or attr.value is None:
        return None
    return cast(_MetaOption, attr)  # its value was checked just above


class UniqueTogether(ModelRule):
    code = "SML120"
    name = "unique-together"
    message = '`Meta.unique_together` on `{model}`: use `Meta.constraints = [models.UniqueConstraint(fields=[...], name="...")]`'
    summary = "`Meta.unique_together` instead of a named `UniqueConstraint`."
    why = (
        "`UniqueConstraint` has a name you choose and accepts `condition=Q(...)`, the only correct "
        'way to say "unique when this column is not null". Django documents `unique_together` as '
        "likely to be deprecated."
    )
    instead = '`constraints = [models.UniqueConstraint(fields=["organization", "name"], name="sentry_widget_org_name_uniq")]`'
    notes = "An empty `unique_together` (left after a constraint moved) is not reported."
    valid = (
        example(
            """
@cell_silo_model
class Widget(Model):
    __relocation_scope__ = RelocationScope.Organization

    organization = FlexibleForeignKey("sentry.Organization")
    name = models.CharField(max_length=256)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="sentry_widget_org_name_uniq"),
        ]
"""
        ),
    )
    invalid = (
        example(
            """
@cell_silo_model
class Widget(Model):
    __relocation_scope__ = RelocationScope.Organization

    organization = FlexibleForeignKey("sentry.Organization")
    name = models.CharField(max_length=256)

    class Meta:
        unique_together = (("organization", "name"),)  # expect: SML120
"""
        ),
    )

    def check(self, ctx: Context) -> Iterator[Violation]:
        for info in ctx.hierarchy.models():
            attr = _meta_option(info, "unique_together")
            if attr is None:
                continue
            value = attr.value
            if value.kind in (TUPLE, LIST, SET) and not value.items:
                continue
            if value.kind == CONST and value.const in (None, ""):
                continue
            yield self.report(attr.line, attr.col, model_symbol(info.cls, "Meta.unique_together"), model=info.cls.name)


class IndexTogether(ModelRule):
    code = "SML121"
    needs = ("django>=4.2",)
    name = "index-together"
    message = '`Meta.index_together` on `{model}` was removed in Django 5.1: use `Meta.indexes = [models.Index(fields=[...], name="...")]`'
    summary = "`Meta.index_together` (removed in Django 5.1)."
    why = "Django 5.1 removed `index_together`; a model that still sets it fails to load."
    notes = "On a checkout pinned below Django 4.2, where `index_together` is not yet deprecated, the rule is silent."
    instead = '`indexes = [models.Index(fields=["project", "status"], name="sentry_widget_proj_status_idx")]`'
    valid = (
        example(
            """
@cell_silo_model
class Widget(Model):
    __relocation_scope__ = RelocationScope.Organization

    class Meta:
        indexes = [models.Index(fields=["date_added"], name="sentry_widget_date_idx")]
"""
        ),
    )
    invalid = (
        example(
            """
@cell_silo_model
class Widget(Model):
    __relocation_scope__ = RelocationScope.Organization

    class Meta:
        index_together = (("project", "status"),)  # expect: SML121
"""
        ),
    )

    def check(self, ctx: Context) -> Iterator[Violation]:
        for info in ctx.hierarchy.models():
            attr = _meta_option(info, "index_together")
            if attr is not None:
                yield self.report(attr.line, attr.col, model_symbol(info.cls, "Meta.index_together"), model=info.cls.name)


def _meta_calls(info: ModelInfo, option: str) -> Iterator[Value]:
    attr = _meta_option(info, option)
    if attr is None or attr.value.kind not in (LIST, TUPLE):
        return
    for item in attr.value.items:
        if item.kind == CALL:
            yield item


class UnnamedIndex(ModelRule):
    code = "SML122"
    name = "unnamed-index"
    message = "`{kind}` in `{model}.Meta.{option}` has no `name=`: give it an explicit, descriptive name"
    summary = "`Index` / `UniqueConstraint` / `CheckConstraint` without an explicit `name=`."
    why = (
        "Generated index names are opaque, change when fields change, and end up in migrations "
        "that later need to find them. Sentry's guide asks for explicit, descriptive names."
    )
    instead = '`models.Index(fields=["project", "status"], name="sentry_widget_proj_status_idx")`'
    valid = (
        example(
            """
@cell_silo_model
class Widget(Model):
    __relocation_scope__ = RelocationScope.Organization

    class Meta:
        indexes = [models.Index(fields=["date_added"], name="sentry_widget_date_idx")]
"""
        ),
    )
    invalid = (
        example(
            """
@cell_silo_model
class Widget(Model):
    __relocation_scope__ = RelocationScope.Organization

    class Meta:
        indexes = [
            models.Index(fields=["date_added"]),  # expect: SML122
        ]
"""
        ),
    )

    def check(self, ctx: Context) -> Iterator[Violation]:
        for info in ctx.hierarchy.models():
            for option in ("indexes", "constraints"):
                for call in _meta_calls(info, option):
                    if call.call_ref not in INDEX_CLASSES:
                        continue
                    if call.keyword("name") is not None or call.has_kwargs_spread:
                        continue
                    yield self.report(
                        call.line,
                        call.col,
                        model_symbol(info.cls, f"Meta.{option}"),
                        kind=last_part(call.call_ref),
                        model=info.cls.name,
                        option=option,
                    )


class LongIdentifier(ModelRule):
    code = "SML123"
    name = "identifier-too-long"
    message = "{what} `{name}` is {size} bytes long; PostgreSQL identifiers are limited to 63 bytes: shorten it"
    summary = "Table, column, field, index or constraint name over PostgreSQL's 63-byte limit."
    why = (
        "PostgreSQL truncates identifiers to 63 bytes, so two long names can collide and a "
        "migration can refer to a name that does not exist; Sentry's migration checks refuse them."
    )
    instead = "A shorter name; keep an old long column with `db_column=` only if it already exists."
    valid = (
        example(
            """
@cell_silo_model
class Widget(Model):
    __relocation_scope__ = RelocationScope.Organization

    class Meta:
        db_table = "sentry_widget"
"""
        ),
    )
    invalid = (
        example(
            """
@cell_silo_model
class Widget(Model):
    __relocation_scope__ = RelocationScope.Organization

    class Meta:
        db_table = "sentry_widget_with_a_table_name_that_goes_on_and_on_for_far_too_long"  # expect: SML123
"""
        ),
    )

    def check(self, ctx: Context) -> Iterator[Violation]:
        for info in ctx.hierarchy.models():
            cls = info.cls
            table = _meta_option(info, "db_table")
            if table is not None and identifier_too_long(table.value.const if table.value.is_str else None):
                yield self._long(table.value, "table name", table.value.const, model_symbol(cls, "Meta.db_table"))
            for field in cls.fields:
                symbol = model_symbol(cls, field.name)
                column = field.keyword("db_column")
                if identifier_too_long(field.name):
                    yield self.report(
                        field.line, field.col, symbol, what="field name", name=field.name, size=len(field.name.encode())
                    )
                if column is not None and column.is_str and identifier_too_long(column.const):
                    yield self._long(column, "column name", column.const, symbol)
            for option in ("indexes", "constraints"):
                for call in _meta_calls(info, option):
                    name = call.keyword("name")
                    if name is not None and name.is_str and identifier_too_long(name.const):
                        yield self._long(
                            name,
                            "index name" if option == "indexes" else "constraint name",
                            name.const,
                            model_symbol(cls, f"Meta.{option}"),
                        )

    def _long(self, value: Value, what: str, name: str, symbol: str) -> Violation:
        return self.report(value.line, value.col, symbol, what=what, name=name, size=len(name.encode("utf-8")))
