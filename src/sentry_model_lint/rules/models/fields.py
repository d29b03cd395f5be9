"""SML130-SML138: field classes and values (defaults, JSON, integers, text lengths, Meta options in the body)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from sentry_model_lint.names import last_part
from sentry_model_lint.rules.base import Context, Example, Fix, Violation
from sentry_model_lint.rules.models.common import (
    ModelRule,
    default_value,
    example,
    model_symbol,
)
from sentry_model_lint.values import ATTR, CALL, COMP, CONST, DICT, LAMBDA, LIST, SET, TUPLE, Value
from sentry_model_lint.vocab import (
    BOUNDED_MODULES,
    EVALUATED_ONCE,
    LEGACY_JSON_FIELDS,
    PARANOID_MODEL,
    SENTRY_DB_MODELS,
    sentry,
)

if TYPE_CHECKING:
    from sentry_model_lint.fixes.edits import Edit
    from sentry_model_lint.fixes.view import FixView

PLAIN_INT_FIELDS = frozenset(
    f"django.db.models.{n}" for n in ("IntegerField", "BigIntegerField", "PositiveIntegerField", "AutoField", "BigAutoField")
)

BOUNDED_REPLACEMENT = {
    "IntegerField": "BoundedIntegerField",
    "BigIntegerField": "BoundedBigIntegerField",
    "PositiveIntegerField": "BoundedPositiveIntegerField",
    "AutoField": "BoundedAutoField",
    "BigAutoField": "BoundedBigAutoField",
}

#: Meta options and the literal kinds that show the assignment was meant for Meta
META_OPTION_SHAPES: dict[str, frozenset[str]] = {
    **{
        k: frozenset({LIST, TUPLE})
        for k in ("indexes", "constraints", "unique_together", "index_together", "ordering", "default_permissions")
    },
    **{
        k: frozenset({"str"})
        for k in (
            "db_table",
            "app_label",
            "get_latest_by",
            "verbose_name_plural",
            "default_related_name",
            "db_table_comment",
            "order_with_respect_to",
            "base_manager_name",
            "default_manager_name",
            "db_tablespace",
            "required_db_vendor",
        )
    },
    **{k: frozenset({"bool"}) for k in ("abstract", "proxy", "managed", "select_on_save")},
}

CHAR_FIELDS = frozenset({"django.db.models.CharField", sentry("CharField")})

#: name parts that show a short CharField has a real length (SML135 stays silent)
SHORT_TEXT_STEMS = (
    "hash",
    "sha",
    "md5",
    "uuid",
    "guid",
    "slug",
    "key",
    "code",
    "token",
    "id",
    "ident",
    "digest",
    "checksum",
    "sign",
    "fingerprint",
    "secret",
    "version",
    "type",
    "status",
    "kind",
    "state",
    "mode",
    "ip",
    "hex",
    "color",
    "colour",
    "locale",
    "lang",
    "country",
    "currency",
    "platform",
    "provider",
    "region",
    "cell",
    "email",
    "phone",
    "url",
    "sku",
    "prefix",
    "suffix",
    "ext",
    "mime",
    "format",
    "encoding",
    "timezone",
    "tz",
    "unit",
    "level",
    "scope",
    "role",
    "external",
    "sdk",
    "os",
    "env",
    "release",
    "dist",
    "hostname",
    "host",
    "domain",
    "method",
    "source",
    "nonce",
    "logger",
    "flag",
    "condition",
    "operator",
    "op",
    "action",
    "channel",
)

#: parts that mark a formatted value wherever they sit in a name part (``grouphash``)
SHORT_TEXT_INFIXES = ("hash", "sha", "md5", "uuid", "guid", "slug", "token", "nonce", "digest", "checksum", "secret")

FREE_TEXT_MIN = 256


#: the last name of the zero-argument callables SML136 fixes (the rule resolved the import)
EVALUATED_ONCE_NAMES = frozenset(name.rpartition(".")[2] for name in EVALUATED_ONCE)


class MutableDefault(ModelRule):
    code = "SML130"
    fix = Fix.SAFE
    fix_title = "`default={}` -> `default=dict`, `[]` -> `list`, `set()` -> `set`"
    name = "mutable-default"
    message = "`{field}` has a mutable `default={text}`{problem}: {advice}"
    summary = "Mutable literal `default=` (`{}`, `[]`, `set()`, non-empty literals too)."
    why = (
        "A literal default is one object created at import and shared by every instance: mutating "
        "one row's value changes the default for all later rows."
    )
    instead = "A callable: `default=dict`, `default=list`, or a module-level function returning a fresh value."
    notes = (
        "Sentry's legacy `sentry.db.models.fields.jsonfield.JSONField` (and `LegacyTextJSONField`) "
        "deep-copies a literal default for each row, so the sharing bug does not happen there. The "
        "rule still reports it, with a message that says so: Sentry's guide asks for callable "
        "defaults on every field, and the literal becomes one object shared by every row as soon as "
        "the field changes class (moving to Django's JSON field is what SML131 asks for). The fix "
        "is the same and keeps the behaviour. Classes under `if TYPE_CHECKING:` are not models."
    )
    valid = (
        example(
            """
@cell_silo_model
class Widget(Model):
    __relocation_scope__ = RelocationScope.Organization

    config = models.JSONField(default=dict)
"""
        ),
    )
    invalid = (
        Example(
            example(
                """
@cell_silo_model
class Widget(Model):
    __relocation_scope__ = RelocationScope.Organization

    config = models.JSONField(default={})  # expect: SML130
    tags = models.JSONField(default=["a"])  # expect: SML130
"""
            ),
            fixed=example(
                """
@cell_silo_model
class Widget(Model):
    __relocation_scope__ = RelocationScope.Organization

    config = models.JSONField(default=dict)
    tags = models.JSONField(default=["a"])
"""
            ),
        ),
    )

    def check(self, ctx: Context) -> Iterator[Violation]:
        for info in ctx.hierarchy.models():
            for field in info.cls.fields:
                value = default_value(field)
                if value is None:
                    continue
                found = self._mutable(value)
                if found is not None:
                    text, advice = found
                    if field.ref in LEGACY_JSON_FIELDS:  # it deep-copies the literal for each row
                        problem = (
                            " (this legacy field copies it for each row, but Sentry's guide asks for a "
                            "callable, and the literal is shared by every row once the field changes class)"
                        )
                    else:
                        problem = " shared by every row"
                    yield self.report(
                        value.line,
                        value.col,
                        model_symbol(info.cls, field.name),
                        field=field.name,
                        text=text,
                        problem=problem,
                        advice=advice,
                    )

    @staticmethod
    def _mutable(value: Value) -> tuple[str, str] | None:
        if value.kind == DICT:
            return (
                ("{}", "use `default=dict`")
                if not value.items
                else ("{...}", "use a module-level function that returns a new dict")
            )
        if value.kind == LIST:
            return (
                ("[]", "use `default=list`")
                if not value.items
                else ("[...]", "use a module-level function that returns a new list")
            )
        if value.kind == SET:
            return "{...}", "use a module-level function that returns a new set"
        if value.kind == COMP and value.text in ("list", "set", "dict"):
            return f"<{value.text} comprehension>", "use a module-level function that builds it"
        if value.kind == CALL and value.call_ref == "builtins.set":
            if not value.items and not value.keywords:
                return "set()", "use `default=set`"
            return "set(...)", "use a module-level function that returns a new set"
        return None

    def plan_fix(self, view: FixView, violation: Violation) -> list[Edit] | None:
        import libcst as cst

        from sentry_model_lint.fixes import edits as e
        from sentry_model_lint.fixes.shapes import has_comment

        node = view.default_value(violation)
        if node is None or has_comment(node):
            return None
        if isinstance(node, cst.Dict) and not node.elements:
            name = "dict"
        elif isinstance(node, cst.List) and not node.elements:
            name = "list"
        elif isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == "set" and not node.args:
            name = "set"
        else:
            return None  # a non-empty literal has no one-word replacement
        if view.assignments(name, node):
            return None  # the builtin is shadowed here
        if not view.once(self.code, node):
            return []
        return [e.ReplaceExpression(view.at(node), name)]


class LegacyJSONField(ModelRule):
    code = "SML131"
    needs = ("django>=3.1",)
    name = "legacy-json-field"
    message = "`{field}` uses the legacy text-backed `{kind}`: use Django's `models.JSONField()` (jsonb) for new columns"
    summary = "Legacy text-backed `sentry.db.models.fields.jsonfield.JSONField` / `LegacyTextJSONField`."
    why = "Sentry's own `JSONField` stores JSON as text; it exists only to keep old columns working. New columns should be `jsonb`, which Postgres can index and query."
    instead = "`models.JSONField(default=dict)`."
    notes = "Only new uses should change; an existing column moves with a migration (`to_jsonb`)."
    valid = (
        example(
            """
@cell_silo_model
class Widget(Model):
    __relocation_scope__ = RelocationScope.Organization

    data = models.JSONField(default=dict)
"""
        ),
    )
    invalid = (
        example(
            """
from sentry.db.models.fields.jsonfield import LegacyTextJSONField


@cell_silo_model
class Widget(Model):
    __relocation_scope__ = RelocationScope.Organization

    data = LegacyTextJSONField(default=dict)  # expect: SML131
"""
        ),
    )

    def check(self, ctx: Context) -> Iterator[Violation]:
        for info in ctx.hierarchy.models():
            if not info.sentry:
                continue
            for field in info.cls.fields:
                if field.ref in LEGACY_JSON_FIELDS:
                    assert field.call.func is not None  # a resolved field ref is the callee's
                    yield self.report(
                        field.call.line,
                        field.call.col,
                        model_symbol(info.cls, field.name),
                        field=field.name,
                        kind=field.call.func.text,
                    )


class DefaultFieldsModelExistingOnNewModel(ModelRule):
    code = "SML132"
    needs = ("DefaultFieldsModelExisting",)
    name = "default-fields-model-existing"
    message = "`{model}` is a new model based on `DefaultFieldsModelExisting`: use `DefaultFieldsModel`"
    summary = "`DefaultFieldsModelExisting` on a model that has no `CreateModel` in its app's history (needs the project index)."
    why = (
        "`DefaultFieldsModelExisting` keeps `date_added` nullable for tables created before the "
        "field existed; its docstring says not to use it for new models, which should get "
        "`DefaultFieldsModel`."
    )
    instead = "`class Widget(DefaultFieldsModel)`."
    notes = (
        "Telling a new model from an old one needs the app's migration history, which the project "
        "index provides; with the index off, this rule says nothing."
    )
    valid = (
        example(
            """
@cell_silo_model
class Widget(DefaultFieldsModel):
    __relocation_scope__ = RelocationScope.Organization
"""
        ),
    )
    invalid = ()

    def check(self, ctx: Context) -> Iterator[Violation]:
        project = ctx.project
        if project is None:
            return
        for entry in project.model_entries(ctx.facts.info.path, ctx.facts):
            if not entry.info.concrete or sentry("DefaultFieldsModelExisting") not in entry.info.direct_terminals:
                continue
            history = project.history_for(entry.app)
            if history is None or history.uncertain:
                continue
            key = entry.cls.name.lower()
            if key in history.created or key in history.pending_models:
                continue
            yield self.report(entry.cls.line, entry.cls.col, model_symbol(entry.cls), model=entry.cls.name)


def _count_or_id_name(name: str) -> bool:
    return (
        name == "id"
        or name.endswith("_id")
        or name == "count"
        or name.endswith("_count")
        or name.startswith(("num_", "count_", "times_"))
    )


class UnboundedInteger(ModelRule):
    code = "SML133"
    needs = ("BoundedBigIntegerField",)
    fix = Fix.SAFE
    fix_title = "`BigIntegerField` -> `BoundedBigIntegerField` (import added)"
    name = "unbounded-integer"
    message = "`{field}` is a plain `{kind}`: use `{bounded}` from `sentry.db.models` for keys, ids and counts"
    summary = "Plain `IntegerField`/`BigIntegerField`/`PositiveIntegerField`/`AutoField`/`BigAutoField` for a primary key, an `*_id` or a count."
    why = "Sentry's `Bounded*` fields check the value range before writing, catching overflows that would otherwise corrupt the column or downstream consumers."
    instead = (
        "`BoundedBigAutoField` for primary keys, `BoundedBigIntegerField` / `BoundedPositiveIntegerField` for ids and counts."
    )
    notes = "Counts are recognised by name: `count`, `*_count`, `num_*`, `count_*`, `times_*`. Plain Django models are not checked, even with a silo decorator (it accepts any Django model); a silo-decorated class whose base cannot be found is."
    valid = (
        example(
            """
from sentry.db.models import BoundedBigIntegerField


@cell_silo_model
class Widget(Model):
    __relocation_scope__ = RelocationScope.Organization

    external_id = BoundedBigIntegerField()
    priority = models.IntegerField()
"""
        ),
    )
    invalid = (
        Example(
            example(
                """
@cell_silo_model
class Widget(Model):
    __relocation_scope__ = RelocationScope.Organization

    external_id = models.BigIntegerField()  # expect: SML133
    event_count = models.PositiveIntegerField(default=0)  # expect: SML133
"""
            ),
            fixed="""\
from django.db import models

from sentry.backup.scopes import RelocationScope
from sentry.db.models import (
    BoundedBigIntegerField,
    DefaultFieldsModel,
    FlexibleForeignKey,
    Model,
    cell_silo_model,
    control_silo_model,
)
from sentry.db.models.fields.hybrid_cloud_foreign_key import HybridCloudForeignKey


@cell_silo_model
class Widget(Model):
    __relocation_scope__ = RelocationScope.Organization

    external_id = BoundedBigIntegerField()
    event_count = models.PositiveIntegerField(default=0)
""",
        ),
    )

    def check(self, ctx: Context) -> Iterator[Violation]:
        for info in ctx.hierarchy.models():
            if not info.sentry:
                continue
            for field in info.cls.fields:
                if field.ref not in PLAIN_INT_FIELDS:
                    continue
                pk = field.keyword("primary_key")
                if not ((pk is not None and pk.is_true) or _count_or_id_name(field.name)):
                    continue
                kind = last_part(field.ref)
                yield self.report(
                    field.call.line,
                    field.call.col,
                    model_symbol(info.cls, field.name),
                    field=field.name,
                    kind=kind,
                    bounded=BOUNDED_REPLACEMENT[kind],
                )

    def plan_fix(self, view: FixView, violation: Violation) -> list[Edit] | None:
        import libcst as cst

        from sentry_model_lint.fixes import edits as e
        from sentry_model_lint.fixes.shapes import callee_name, dotted

        call = view.outer_expression(violation)
        if not isinstance(call, cst.Call) or call.func.lpar or callee_name(call.func) != "BigIntegerField":
            return None
        if not dotted(call.func):
            return None
        if not view.can_import(SENTRY_DB_MODELS, "BoundedBigIntegerField", call, BOUNDED_MODULES):
            return None
        if not view.once(self.code, call):
            return []
        edits: list[Edit] = [
            e.AddImport(SENTRY_DB_MODELS, "BoundedBigIntegerField"),
            e.ReplaceCallee(view.at(call), "BoundedBigIntegerField"),
        ]
        if isinstance(call.func, cst.Name):
            edits.append(e.ReleaseImport(view.at(call.func)))
        return edits


class ParanoidModelBase(ModelRule):
    code = "SML134"
    name = "paranoid-model"
    default_on = False
    message = (
        "`{model}` is based on `ParanoidModel`: prefer an explicit `status` field (`ObjectStatus`) that business logic respects"
    )
    summary = "`ParanoidModel` base (prefer an explicit `status` field)."
    why = "`ParanoidModel` hides soft-deleted rows behind a custom manager and overrides `delete()`; Sentry's guide calls it heavyweight and asks for an explicit status instead."
    instead = "`status = BoundedPositiveIntegerField(default=ObjectStatus.ACTIVE)` and queries that filter on it."
    valid = (
        example(
            """
@cell_silo_model
class Widget(Model):
    __relocation_scope__ = RelocationScope.Organization
"""
        ),
    )
    invalid = (
        example(
            """
from sentry.db.models.paranoia import ParanoidModel


@cell_silo_model
class Widget(ParanoidModel):  # expect: SML134
    __relocation_scope__ = RelocationScope.Organization
"""
        ),
    )

    def check(self, ctx: Context) -> Iterator[Violation]:
        for info in ctx.hierarchy.models():
            if PARANOID_MODEL in info.direct_terminals:
                yield self.report(info.cls.line, info.cls.col, model_symbol(info.cls), model=info.cls.name)


def _free_text_name(name: str) -> bool:
    parts = [p for p in name.lower().split("_") if p]
    if not parts:
        return False
    return not any(p.startswith(SHORT_TEXT_STEMS) or any(i in p for i in SHORT_TEXT_INFIXES) for p in parts)


class ShortCharField(ModelRule):
    code = "SML135"
    name = "short-char-field"
    default_on = False
    message = "`{field}` looks like free text but has `max_length={length}`: use `max_length=256` (or a `TextField`)"
    summary = "`CharField(max_length=N)` with N < 256 on a free-text-looking name."
    why = "Postgres stores `varchar(64)` and `varchar(256)` alike; a small limit on free text only adds a future migration. Pick a small value only when the column has a real format (hash, UUID, slug, code)."
    instead = "`models.CharField(max_length=256)`, or `models.TextField()` for long free text."
    notes = "Names containing a part such as hash, sha, uuid, slug, key, code, token, id, version, type, status are treated as formatted values and skipped, and so are fields with `choices=` (an enumeration)."
    valid = (
        example(
            """
@cell_silo_model
class Widget(Model):
    __relocation_scope__ = RelocationScope.Organization

    name = models.CharField(max_length=256)
    sha = models.CharField(max_length=40)
"""
        ),
    )
    invalid = (
        example(
            """
@cell_silo_model
class Widget(Model):
    __relocation_scope__ = RelocationScope.Organization

    title = models.CharField(max_length=64)  # expect: SML135
"""
        ),
    )

    def check(self, ctx: Context) -> Iterator[Violation]:
        for info in ctx.hierarchy.models():
            if not info.sentry:
                continue
            for field in info.cls.fields:
                if field.ref not in CHAR_FIELDS:
                    continue
                length = field.keyword("max_length")
                if length is None or not length.is_const(int) or length.const >= FREE_TEXT_MIN:
                    continue
                if field.keyword("choices") is not None:
                    continue  # an enumeration, not free text
                if _free_text_name(field.name):
                    yield self.report(
                        field.call.line, field.call.col, model_symbol(info.cls, field.name), field=field.name, length=length.const
                    )


class DefaultEvaluatedOnce(ModelRule):
    code = "SML136"
    fix = Fix.SAFE
    fix_title = "Drop the call parentheses: `default=uuid4()` -> `default=uuid4`"
    name = "default-evaluated-at-import"
    message = "`{field}` has `default={text}`, evaluated once at import so every row gets the same value: {advice}"
    summary = "A default evaluated once at import (`default=uuid4()`, `timezone.now()`, `dict()`)."
    why = "Django calls a callable default for every new row, but a call written in the field runs once, when the module is imported: every row then shares one timestamp, one UUID or one dict."
    instead = "Pass the callable itself: `default=uuid4`, `default=timezone.now`, `default=dict`."
    valid = (
        example(
            """
from uuid import uuid4

from django.utils import timezone


@cell_silo_model
class Widget(Model):
    __relocation_scope__ = RelocationScope.Organization

    guid = models.UUIDField(default=uuid4)
    date_seen = models.DateTimeField(default=timezone.now)
"""
        ),
    )
    invalid = (
        Example(
            example(
                """
from uuid import uuid4

from django.utils import timezone


@cell_silo_model
class Widget(Model):
    __relocation_scope__ = RelocationScope.Organization

    guid = models.UUIDField(default=uuid4())  # expect: SML136
    date_seen = models.DateTimeField(default=timezone.now())  # expect: SML136
"""
            ),
            fixed=example(
                """
from uuid import uuid4

from django.utils import timezone


@cell_silo_model
class Widget(Model):
    __relocation_scope__ = RelocationScope.Organization

    guid = models.UUIDField(default=uuid4)
    date_seen = models.DateTimeField(default=timezone.now)
"""
            ),
        ),
    )

    def check(self, ctx: Context) -> Iterator[Violation]:
        for info in ctx.hierarchy.models():
            for field in info.cls.fields:
                value = default_value(field)
                if value is None:
                    continue
                call = value.items[0] if value.kind == ATTR and value.items else value
                if call.kind != CALL or call.call_ref not in EVALUATED_ONCE:
                    continue
                func_text = call.func.text if call.func is not None else "..."
                bare = not call.items and not call.keywords and call is value
                if bare:
                    text, advice = f"{func_text}()", f"pass `default={func_text}` without the parentheses"
                else:
                    text, advice = (
                        f"{func_text}(...)" + ("" if call is value else f".{value.const}"),
                        "use a module-level function that returns a fresh value",
                    )
                yield self.report(
                    value.line, value.col, model_symbol(info.cls, field.name), field=field.name, text=text, advice=advice
                )

    def plan_fix(self, view: FixView, violation: Violation) -> list[Edit] | None:
        import libcst as cst

        from sentry_model_lint.fixes import edits as e
        from sentry_model_lint.fixes.shapes import callee_name, code, dotted, has_comment

        call = view.default_value(violation)
        if not isinstance(call, cst.Call) or call.args or has_comment(call):
            return None  # arguments, or `uuid4().hex` (an attribute, not the call)
        func = call.func
        if not dotted(func) or callee_name(func) not in EVALUATED_ONCE_NAMES:
            return None
        if isinstance(func, cst.Name) and func.value in ("dict", "list") and view.assignments(func.value, call):
            return None
        if not view.once(self.code, call):
            return []
        return [e.ReplaceExpression(view.at(call), code(func))]


class LambdaDefault(ModelRule):
    code = "SML137"
    name = "lambda-default"
    message = "`{field}` has `default=lambda ...`, which migrations cannot serialize: use a module-level function"
    summary = "`default=lambda: ...` (migrations cannot serialize a lambda)."
    why = "`makemigrations` writes the default into the migration file by reference; a lambda has no importable name, so the command fails."
    instead = 'A named module-level function: `def default_config(): return {"enabled": True}` and `default=default_config`.'
    valid = (
        example(
            """
def default_config():
    return {"enabled": True}


@cell_silo_model
class Widget(Model):
    __relocation_scope__ = RelocationScope.Organization

    config = models.JSONField(default=default_config)
"""
        ),
    )
    invalid = (
        example(
            """
@cell_silo_model
class Widget(Model):
    __relocation_scope__ = RelocationScope.Organization

    config = models.JSONField(default=lambda: {"enabled": True})  # expect: SML137
"""
        ),
    )

    def check(self, ctx: Context) -> Iterator[Violation]:
        for info in ctx.hierarchy.models():
            for field in info.cls.fields:
                value = default_value(field)
                if value is not None and value.kind == LAMBDA:
                    yield self.report(value.line, value.col, model_symbol(info.cls, field.name), field=field.name)


class MetaOptionInBody(ModelRule):
    code = "SML138"
    name = "meta-option-in-body"
    message = "`{option}` is set in the body of `{model}`, where Django ignores it: move it into `class Meta`"
    summary = "A Meta option (`indexes`, `db_table`, `ordering`, ...) assigned in the model body instead of `class Meta`."
    why = "Django reads options such as `db_table`, `indexes` and `constraints` only from the inner `class Meta`; in the class body they are plain attributes, silently ignored."
    instead = "Move the assignment into `class Meta:`."
    notes = "Only literal values of the option's shape are reported (a list for `indexes`, a string for `db_table`, ...), so fields and attributes that share a name stay silent. `verbose_name` and `permissions` are not checked."
    valid = (
        example(
            """
@cell_silo_model
class Widget(Model):
    __relocation_scope__ = RelocationScope.Organization

    ordering = models.IntegerField(default=0)

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

    db_table = "sentry_widget"  # expect: SML138
"""
        ),
    )

    def check(self, ctx: Context) -> Iterator[Violation]:
        for info in ctx.hierarchy.models():
            for name, attr in info.cls.attrs.items():
                shapes = META_OPTION_SHAPES.get(name)
                if shapes is None or attr.value is None:
                    continue
                if self._shape(attr.value) in shapes:
                    yield self.report(attr.line, attr.col, model_symbol(info.cls, name), option=name, model=info.cls.name)

    @staticmethod
    def _shape(value: Value) -> str:
        if value.kind == CONST:
            if isinstance(value.const, bool):
                return "bool"
            if isinstance(value.const, str):
                return "str"
            return "const"
        return value.kind
