"""SML1xx: rules for model files."""

from __future__ import annotations

from collections.abc import Iterator

from sentry_model_lint.facts import ClassFact, FieldFact
from sentry_model_lint.hierarchy import ModelInfo
from sentry_model_lint.names import (
    AUTH_USER_MODEL,
    HCFK_CASCADE_BEHAVIOR,
    HYBRID_CLOUD_FK,
    LEGACY_JSON_FIELDS,
    MODEL_SILO_LIMIT,
    PARANOID_MODEL,
    REPLICATED_CONTROL,
    SILO_DECORATOR_MODES,
    SILO_MODE,
    last_part,
    sentry,
)
from sentry_model_lint.rules.base import Context, Family, Fix, Rule, Violation, register
from sentry_model_lint.values import CALL, COMP, CONST, DICT, LAMBDA, LIST, NAME, SET, TUPLE, ATTR, Value

# --- shared vocabulary --------------------------------------------------------------------------

SCOPE_ATTR = "__relocation_scope__"
SCOPE_MEMBERS = frozenset({"Excluded", "User", "Organization", "Config", "Global"})
LEGACY_EXPORT_FLAGS = ("__include_in_export__", "__core__")

SILO_DECORATORS = SILO_DECORATOR_MODES
LEGACY_SILO_DECORATORS = {
    sentry("region_silo_model"): "cell_silo_model",
    sentry("region_silo_only_model"): "cell_silo_model",
    sentry("customer_silo_model"): "cell_silo_model",
    sentry("control_silo_only_model"): "control_silo_model",
}
#: decorators from these packages are known not to place a model in a silo
NON_SILO_PREFIXES = ("builtins.", "typing.", "typing_extensions.", "functools.", "dataclasses.", "abc.", "django.")

DJANGO_FK = "django.db.models.ForeignKey"
DJANGO_O2O = "django.db.models.OneToOneField"
FLEXIBLE_FK = sentry("FlexibleForeignKey")
FK_LIKE = frozenset({DJANGO_FK, DJANGO_O2O, FLEXIBLE_FK, sentry("OneToOneCascadeDeletes")})
HCFK_ON_DELETE = frozenset({"CASCADE", "SET_NULL", "DO_NOTHING"})

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
PG_IDENTIFIER_MAX_BYTES = 63

PLAIN_INT_FIELDS = frozenset(
    f"django.db.models.{n}"
    for n in ("IntegerField", "BigIntegerField", "PositiveIntegerField", "AutoField", "BigAutoField")
)
BOUNDED_REPLACEMENT = {
    "IntegerField": "BoundedIntegerField",
    "BigIntegerField": "BoundedBigIntegerField",
    "PositiveIntegerField": "BoundedPositiveIntegerField",
    "AutoField": "BoundedAutoField",
    "BigAutoField": "BoundedBigAutoField",
}

#: callables whose call in ``default=`` runs once, at import
EVALUATED_ONCE = frozenset(
    {
        "uuid.uuid1",
        "uuid.uuid4",
        "django.utils.timezone.now",
        "datetime.datetime.now",
        "datetime.datetime.utcnow",
        "datetime.datetime.today",
        "datetime.date.today",
        "time.time",
        "builtins.dict",
        "builtins.list",
    }
)

#: Meta options and the literal kinds that show the assignment was meant for Meta
META_OPTION_SHAPES: dict[str, frozenset[str]] = {
    **{k: frozenset({LIST, TUPLE}) for k in ("indexes", "constraints", "unique_together", "index_together", "ordering", "default_permissions")},
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
    "hash", "sha", "md5", "uuid", "guid", "slug", "key", "code", "token", "id", "ident", "digest",
    "checksum", "sign", "fingerprint", "secret", "version", "type", "status", "kind", "state",
    "mode", "ip", "hex", "color", "colour", "locale", "lang", "country", "currency", "platform",
    "provider", "region", "cell", "email", "phone", "url", "sku", "prefix", "suffix", "ext",
    "mime", "format", "encoding", "timezone", "tz", "unit", "level", "scope", "role", "external",
    "sdk", "os", "env", "release", "dist", "hostname", "host", "domain", "method", "source",
    "nonce", "logger", "flag", "condition", "operator", "op", "action", "channel",
)
#: parts that mark a formatted value wherever they sit in a name part (``grouphash``)
SHORT_TEXT_INFIXES = ("hash", "sha", "md5", "uuid", "guid", "slug", "token", "nonce", "digest", "checksum", "secret")
FREE_TEXT_MIN = 256

IMPORTS = """\
from django.db import models

from sentry.backup.scopes import RelocationScope
from sentry.db.models import (
    DefaultFieldsModel,
    FlexibleForeignKey,
    Model,
    cell_silo_model,
    control_silo_model,
)
from sentry.db.models.fields.hybrid_cloud_foreign_key import HybridCloudForeignKey
"""


def example(body: str) -> str:
    return IMPORTS + "\n\n" + body.strip("\n") + "\n"


# --- helpers ------------------------------------------------------------------------------------


def _scope_member(value: Value) -> str | None:
    """``Organization`` for ``RelocationScope.Organization`` (any module spelling), else None."""
    if value.kind != NAME or not value.ref:
        return None
    head, _, member = value.ref.rpartition(".")
    if last_part(head) != "RelocationScope":
        return None
    return member


def _silo_modes(decorator: Value) -> frozenset[str] | None:
    """Silo modes a decorator places a model in; ``frozenset()`` if it is known not to be a silo
    decorator; None if it cannot be told (unknown decorator)."""
    ref = decorator.ref if decorator.kind == NAME else decorator.call_ref if decorator.kind == CALL else None
    if ref is None:
        return None
    if ref in SILO_DECORATORS:
        return SILO_DECORATORS[ref]
    if decorator.kind == CALL and ref == MODEL_SILO_LIMIT:
        modes = set()
        for arg in decorator.items:
            if arg.kind == NAME and arg.ref and arg.ref.startswith(SILO_MODE + "."):
                mode = last_part(arg.ref)
                modes.add("CELL" if mode == "REGION" else mode)
            else:
                modes.add("?")
        return frozenset(modes)
    if ref.startswith(NON_SILO_PREFIXES):
        return frozenset()
    return None


def _model_symbol(cls: ClassFact, member: str = "") -> str:
    return f"{cls.name}.{member}" if member else cls.name


def _fields(info: ModelInfo) -> Iterator[FieldFact]:
    yield from info.cls.fields


def _is_hcfk(field: FieldFact) -> bool:
    return field.ref == HYBRID_CLOUD_FK


def _default_value(field: FieldFact) -> Value | None:
    return field.keyword("default")


# --- relocation scope ---------------------------------------------------------------------------


@register
class MissingRelocationScope(Rule):
    code = "SML101"
    name = "missing-relocation-scope"
    family = Family.MODEL
    message = "model `{model}` has no `__relocation_scope__`: set `__relocation_scope__ = RelocationScope.Organization` (customer data) or `RelocationScope.Excluded`"
    summary = "Concrete Sentry model without `__relocation_scope__`."
    why = (
        "Sentry raises `ValueError` when a concrete model without `__relocation_scope__` is "
        "imported: every model must say whether it travels with an organization export. A scope "
        "set on an abstract parent or a mixin counts for its children."
    )
    instead = "Set `__relocation_scope__ = RelocationScope.Organization` for customer data, or `RelocationScope.Excluded` for operational data."
    notes = (
        "Abstract and proxy models are exempt, as are plain Django models. When a base class "
        "cannot be found (defined in a file the linter does not see), the rule stays silent. A "
        "model that still carries a legacy `__include_in_export__` / `__core__` flag is reported "
        "by SML104 instead."
    )
    valid = (
        example(
            """
@cell_silo_model
class Widget(DefaultFieldsModel):
    __relocation_scope__ = RelocationScope.Organization

    name = models.CharField(max_length=256)
"""
        ),
        example(
            """
class WidgetBase(Model):
    __relocation_scope__ = RelocationScope.Excluded

    class Meta:
        abstract = True


@cell_silo_model
class WidgetAvatar(WidgetBase):
    pass
"""
        ),
    )
    invalid = (
        example(
            """
@cell_silo_model
class Widget(DefaultFieldsModel):  # expect: SML101
    name = models.CharField(max_length=256)
"""
        ),
    )

    def check(self, ctx: Context) -> Iterator[Violation]:
        for info in ctx.hierarchy.models():
            if not (info.sentry and info.concrete) or info.uncertain:
                continue
            if any(info.find_attr(flag) is not None for flag in LEGACY_EXPORT_FLAGS):
                continue  # SML104 already asks for the scope in place of the legacy flag
            if info.find_attr(SCOPE_ATTR) is None:
                yield self.report(info.cls.line, info.cls.col, _model_symbol(info.cls), model=info.cls.name)


@register
class InvalidRelocationScope(Rule):
    code = "SML102"
    name = "invalid-relocation-scope"
    family = Family.MODEL
    message = "`__relocation_scope__` of `{model}` {problem}"
    summary = "`__relocation_scope__` that is not a `RelocationScope` member or a set of them."
    why = (
        "Sentry's export and import read `__relocation_scope__` as a `RelocationScope` member, or "
        "a `set` of members for models whose scope depends on the instance. `Excluded` must "
        "stand alone (Sentry raises if a set contains it), and models of the `getsentry` app "
        "must be `RelocationScope.Excluded`."
    )
    instead = "Use one member, `RelocationScope.Organization`, or a set such as `{RelocationScope.Global, RelocationScope.Config}` together with a `get_relocation_scope()` override."
    notes = "Members are matched by name (Excluded, User, Organization, Config, Global). A value the linter cannot resolve (a name that is not imported) is left alone."
    valid = (
        example(
            """
@control_silo_model
class Token(Model):
    __relocation_scope__ = {RelocationScope.Global, RelocationScope.Config}

    def get_relocation_scope(self) -> RelocationScope:
        return RelocationScope.Config
"""
        ),
    )
    invalid = (
        example(
            """
@control_silo_model
class Token(Model):
    __relocation_scope__ = {RelocationScope.Excluded, RelocationScope.Config}  # expect: SML102

    def get_relocation_scope(self) -> RelocationScope:
        return RelocationScope.Config


@cell_silo_model
class Note(Model):
    __relocation_scope__ = "Organization"  # expect: SML102
"""
        ),
    )

    def check(self, ctx: Context) -> Iterator[Violation]:
        getsentry_module = ctx.facts.info.module.split(".")[0] == "getsentry"
        for info in ctx.hierarchy.models():
            if not info.sentry:
                continue
            attr = info.cls.attrs.get(SCOPE_ATTR)
            if attr is None or attr.value is None:
                continue
            problem = self._problem(attr.value)
            if problem is None and attr.value.kind == NAME and _scope_member(attr.value) not in (None, "Excluded"):
                if self._app_label(info, getsentry_module) == "getsentry":
                    problem = "must be `RelocationScope.Excluded` in the `getsentry` app: Sentry refuses any other scope there"
            if problem is not None:
                yield self.report(attr.line, attr.col, _model_symbol(info.cls, SCOPE_ATTR), model=info.cls.name, problem=problem)

    @staticmethod
    def _app_label(info: ModelInfo, getsentry_module: bool) -> str | None:
        meta = info.cls.meta
        if meta is not None:
            label = meta.options.get("app_label")
            if label is not None and label.value is not None and label.value.is_str:
                return label.value.const
        return "getsentry" if getsentry_module else None

    @staticmethod
    def _problem(value: Value) -> str | None:
        if value.kind == NAME:
            if value.ref is None:
                return None  # not resolvable: leave it
            member = _scope_member(value)
            if member is None:
                return f"is `{value.text}`, not a `RelocationScope` member: use e.g. `RelocationScope.Organization`"
            if member not in SCOPE_MEMBERS:
                return f"names an unknown member `{member}`: use one of Excluded, User, Organization, Config, Global"
            return None
        if value.kind == SET:
            if not value.items:
                return "is an empty set: use one `RelocationScope` member"
            if value.starred:
                return None
            members = []
            for item in value.items:
                if item.kind == NAME and item.ref is None:
                    return None
                member = _scope_member(item)
                if member is None or member not in SCOPE_MEMBERS:
                    return "is a set with an item that is not a `RelocationScope` member"
                members.append(member)
            if "Excluded" in members:
                return "is a set containing `RelocationScope.Excluded`, which must stand alone: use `RelocationScope.Excluded` by itself"
            return None
        if value.kind == CALL and value.call_ref in ("builtins.set", "builtins.frozenset"):
            return f"is built with `{last_part(value.call_ref)}(...)`: write a set display `{{RelocationScope.A, RelocationScope.B}}` (a frozenset is not treated as a set of scopes)"
        if value.kind == CONST:
            return f"is the literal {value.const!r}: use a `RelocationScope` member such as `RelocationScope.Organization`"
        if value.kind in (DICT, LIST, TUPLE):
            return f"is a {value.kind}: use one `RelocationScope` member, or a set display of them"
        return None


@register
class SetScopeWithoutOverride(Rule):
    code = "SML103"
    name = "set-scope-without-override"
    family = Family.MODEL
    message = "model `{model}` has a set of relocation scopes but no `get_relocation_scope()` override: add one that picks the scope per instance"
    summary = "Set-valued `__relocation_scope__` without a `get_relocation_scope()` override."
    why = (
        "`BaseModel.get_relocation_scope()` raises when `__relocation_scope__` is a set: a model "
        "with several possible scopes must decide, per instance, which one applies."
    )
    instead = "Override `get_relocation_scope(self) -> RelocationScope` in the model (or a parent)."
    notes = "An override inherited from a parent in the same file counts. The rule stays silent when a base class cannot be found."
    valid = (
        example(
            """
@control_silo_model
class Token(Model):
    __relocation_scope__ = {RelocationScope.Global, RelocationScope.Config}

    def get_relocation_scope(self) -> RelocationScope:
        return RelocationScope.Global
"""
        ),
    )
    invalid = (
        example(
            """
@control_silo_model
class Token(Model):
    __relocation_scope__ = {RelocationScope.Global, RelocationScope.Config}  # expect: SML103
"""
        ),
    )

    def check(self, ctx: Context) -> Iterator[Violation]:
        for info in ctx.hierarchy.models():
            if not (info.sentry and info.concrete) or info.uncertain:
                continue
            found = info.find_attr(SCOPE_ATTR)
            if found is None:
                continue
            attr, owner = found
            if attr.value is None or attr.value.kind != SET:
                continue
            if info.has_method("get_relocation_scope"):
                continue
            if owner is info.cls:
                yield self.report(attr.line, attr.col, _model_symbol(info.cls, SCOPE_ATTR), model=info.cls.name)
            else:
                yield self.report(info.cls.line, info.cls.col, _model_symbol(info.cls), model=info.cls.name)


@register
class LegacyExportFlag(Rule):
    code = "SML104"
    fix = Fix.SAFE
    fix_title = "Replace the legacy flag with `__relocation_scope__ = RelocationScope.Excluded` (for `False`)"
    name = "legacy-export-flag"
    family = Family.MODEL
    message = "`{attr}` is the legacy export flag: replace it with `__relocation_scope__ = RelocationScope.{scope}`"
    summary = "Legacy `__include_in_export__` / `__core__` export flags."
    why = (
        "Sentry's export used `__core__` and then `__include_in_export__` before "
        "`__relocation_scope__`. The old flags are read by nothing today, so a model that still "
        "carries one has no real export decision."
    )
    instead = "`__relocation_scope__ = RelocationScope.Excluded` for `False`; choose the scope (usually `RelocationScope.Organization`) for `True`."
    valid = (
        example(
            """
@cell_silo_model
class Widget(Model):
    __relocation_scope__ = RelocationScope.Excluded
"""
        ),
    )
    invalid = (
        example(
            """
@cell_silo_model
class Widget(Model):
    __relocation_scope__ = RelocationScope.Excluded
    __include_in_export__ = False  # expect: SML104
"""
        ),
    )

    def check(self, ctx: Context) -> Iterator[Violation]:
        for info in ctx.hierarchy.models():
            if not info.sentry:
                continue
            for name in LEGACY_EXPORT_FLAGS:
                attr = info.cls.attrs.get(name)
                if attr is None or attr.value is None:
                    continue
                scope = "Excluded" if attr.value.kind == CONST and attr.value.const is False else "Organization"
                yield self.report(attr.line, attr.col, _model_symbol(info.cls, name), attr=name, scope=scope)


# --- silos and replication ----------------------------------------------------------------------


@register
class MissingSiloDecorator(Rule):
    code = "SML105"
    name = "missing-silo-decorator"
    family = Family.MODEL
    message = "model `{model}` has no silo decorator: add `@cell_silo_model` (the default) or `@control_silo_model`"
    summary = "Concrete Sentry model without a silo decorator."
    why = (
        "Every Sentry model lives in one silo; the decorator records it, guards queries made from "
        "the wrong silo, and Sentry's test suite fails for a model that has none."
    )
    instead = "`@cell_silo_model` for most data; `@control_silo_model` for data shared across organizations (auth, integrations, API tokens)."
    notes = "A decorator the linter cannot identify is assumed to place the model, so the rule stays silent."
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
class Widget(Model):  # expect: SML105
    __relocation_scope__ = RelocationScope.Organization
"""
        ),
    )

    def check(self, ctx: Context) -> Iterator[Violation]:
        for info in ctx.hierarchy.models():
            if not (info.sentry and info.concrete):
                continue
            if any(_silo_modes(d) != frozenset() for d in info.cls.decorators):
                continue
            yield self.report(info.cls.line, info.cls.col, _model_symbol(info.cls), model=info.cls.name)


@register
class LegacySiloDecorator(Rule):
    code = "SML106"
    fix = Fix.SAFE
    fix_title = "Rename the decorator, and its import, to `cell_silo_model` / `control_silo_model`"
    name = "legacy-silo-decorator"
    family = Family.MODEL
    message = "`{old}` is a legacy silo name: use `@{new}`"
    summary = "Legacy silo decorator name (`region_silo_model`, `*_only_model`)."
    why = (
        "Sentry renamed the region silo to the cell silo; `region_silo_model` and the older "
        "`*_only_model` names remain only as aliases while callers move, and new code must not use "
        "them."
    )
    instead = "`@cell_silo_model` (was `region_silo_model` / `region_silo_only_model`), `@control_silo_model` (was `control_silo_only_model`)."
    notes = "`control_silo_with_replication_model` is not reported: it also sets a read-only silo, so renaming it would change behaviour."
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
        """\
from sentry.backup.scopes import RelocationScope
from sentry.db.models import Model, region_silo_model


@region_silo_model  # expect: SML106
class Widget(Model):
    __relocation_scope__ = RelocationScope.Organization
""",
    )

    def check(self, ctx: Context) -> Iterator[Violation]:
        for cls in ctx.facts.classes:
            for decorator in cls.decorators:
                if decorator.kind == NAME and decorator.ref in LEGACY_SILO_DECORATORS:
                    yield self.report(
                        decorator.line,
                        decorator.col,
                        f"{cls.name}@{last_part(decorator.ref)}",
                        old=decorator.text,
                        new=LEGACY_SILO_DECORATORS[decorator.ref],
                    )


@register
class ReplicatedWithoutCategory(Rule):
    code = "SML107"
    name = "replicated-without-category"
    family = Family.MODEL
    message = "replicated model `{model}` has no outbox `category`: set `category = OutboxCategory.<NAME>`"
    summary = "Concrete replicated model without `category = OutboxCategory.X`."
    why = (
        "A `ReplicatedCellModel` / `ReplicatedControlModel` sends its changes to the other silo "
        "through outboxes of its `category`; without one, Sentry fails when the model is imported."
    )
    instead = "`category = OutboxCategory.MY_THING_UPDATE` in the class body."
    notes = "An annotation without a value (`category: OutboxCategory`) does not count; a value inherited from a parent in the same file does."
    valid = (
        example(
            """
from sentry.hybridcloud.outbox.base import ReplicatedControlModel
from sentry.hybridcloud.outbox.category import OutboxCategory


@control_silo_model
class Token(ReplicatedControlModel):
    __relocation_scope__ = RelocationScope.Excluded
    category = OutboxCategory.API_TOKEN_UPDATE
"""
        ),
    )
    invalid = (
        example(
            """
from sentry.hybridcloud.outbox.base import ReplicatedControlModel


@control_silo_model
class Token(ReplicatedControlModel):  # expect: SML107
    __relocation_scope__ = RelocationScope.Excluded
"""
        ),
    )

    def check(self, ctx: Context) -> Iterator[Violation]:
        for info in ctx.hierarchy.models():
            if not (info.replicated and info.concrete) or info.uncertain:
                continue
            if info.find_attr("category") is None:
                yield self.report(info.cls.line, info.cls.col, _model_symbol(info.cls), model=info.cls.name)


@register
class ReplicationSiloMismatch(Rule):
    code = "SML108"
    name = "replication-silo-mismatch"
    family = Family.MODEL
    message = "`{model}` is a `{base}` but `{decorator}` places it in the {silo} silo: {advice}"
    summary = "Replicated base class and silo decorator disagree."
    why = (
        "`ReplicatedControlModel` replicates control-silo rows to cells, `ReplicatedCellModel` "
        "cell rows to control. The base class says where the rows live; a decorator naming the "
        "other silo makes the outbox wiring point the wrong way."
    )
    instead = "`@control_silo_model` with `ReplicatedControlModel`; `@cell_silo_model` with `ReplicatedCellModel`."
    valid = (
        example(
            """
from sentry.hybridcloud.outbox.base import ReplicatedControlModel
from sentry.hybridcloud.outbox.category import OutboxCategory


@control_silo_model
class Token(ReplicatedControlModel):
    __relocation_scope__ = RelocationScope.Excluded
    category = OutboxCategory.API_TOKEN_UPDATE
"""
        ),
    )
    invalid = (
        example(
            """
from sentry.hybridcloud.outbox.base import ReplicatedControlModel
from sentry.hybridcloud.outbox.category import OutboxCategory


@cell_silo_model  # expect: SML108
class Token(ReplicatedControlModel):
    __relocation_scope__ = RelocationScope.Excluded
    category = OutboxCategory.API_TOKEN_UPDATE
"""
        ),
    )

    def check(self, ctx: Context) -> Iterator[Violation]:
        for info in ctx.hierarchy.models():
            if not info.replicated:
                continue
            control = REPLICATED_CONTROL in info.replicated
            cell = bool(info.replicated - {REPLICATED_CONTROL})
            if control and cell:
                continue
            for decorator in info.cls.decorators:
                modes = _silo_modes(decorator)
                if not modes or "?" in modes:
                    continue
                if control and "CONTROL" not in modes:
                    advice, silo, base = "use `@control_silo_model`", "cell", "ReplicatedControlModel"
                elif cell and "CELL" not in modes:
                    advice, silo, base = "use `@cell_silo_model`", "control", "ReplicatedCellModel"
                else:
                    continue
                text = decorator.text if decorator.kind == NAME else "ModelSiloLimit(...)"
                yield self.report(
                    decorator.line,
                    decorator.col,
                    _model_symbol(info.cls),
                    model=info.cls.name,
                    base=base,
                    decorator=f"@{text}",
                    silo=silo,
                    advice=advice,
                )


# --- foreign keys -------------------------------------------------------------------------------


@register
class PlainForeignKey(Rule):
    code = "SML110"
    name = "plain-foreign-key"
    family = Family.MODEL
    message = "plain Django `{kind}` on `{model}.{field}`: use `FlexibleForeignKey` for a target in the same silo, `HybridCloudForeignKey` across silos"
    summary = "Plain Django `ForeignKey` / `OneToOneField` in a Sentry model."
    why = (
        "`FlexibleForeignKey` and `HybridCloudForeignKey` plug into Sentry's deletion framework "
        "and hybrid-cloud plumbing; a plain `ForeignKey` does not, and says nothing about whether "
        "the target lives in the same silo."
    )
    instead = "`FlexibleForeignKey(\"sentry.Project\", on_delete=models.CASCADE)` (same silo) or `HybridCloudForeignKey(\"sentry.User\", on_delete=\"CASCADE\")` on a field named `*_id` (other silo)."
    notes = "Plain Django models (not based on Sentry's `Model`) are not checked."
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
            for field in _fields(info):
                if field.ref in (DJANGO_FK, DJANGO_O2O):
                    yield self.report(
                        field.call.line,
                        field.call.col,
                        _model_symbol(info.cls, field.name),
                        kind=last_part(field.ref),
                        model=info.cls.name,
                        field=field.name,
                    )


@register
class HybridCloudOnDelete(Rule):
    code = "SML111"
    name = "hybrid-cloud-fk-on-delete"
    family = Family.MODEL
    message = "`HybridCloudForeignKey` `{field}`: {problem}"
    summary = "`HybridCloudForeignKey` whose `on_delete` is missing, positional or not CASCADE / SET_NULL / DO_NOTHING."
    why = (
        "`HybridCloudForeignKey` takes `on_delete` as a required keyword and looks the string up "
        "(case-insensitively) in `CASCADE`, `SET_NULL`, `DO_NOTHING`; anything else fails when the "
        "model is imported. Django's `models.CASCADE` is a function, not one of these names."
    )
    instead = "`on_delete=\"CASCADE\"`, `on_delete=\"SET_NULL\"` (with `null=True`) or `on_delete=\"DO_NOTHING\"`."
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
            for field in _fields(info):
                if not _is_hcfk(field):
                    continue
                symbol = _model_symbol(info.cls, field.name)
                value = field.keyword("on_delete")
                if value is None:
                    if len(field.call.items) >= 2:
                        problem = "pass `on_delete` as a keyword (`on_delete=\"CASCADE\"`); it is keyword-only"
                    elif field.call.has_kwargs_spread or field.call.starred:
                        continue
                    else:
                        problem = "`on_delete` is required: add `on_delete=\"CASCADE\"`, `\"SET_NULL\"` or `\"DO_NOTHING\"`"
                    yield self.report(field.call.line, field.call.col, symbol, field=field.name, problem=problem)
                    continue
                problem = self._problem(value)
                if problem is not None:
                    yield self.report(value.line, value.col, symbol, field=field.name, problem=problem)

    @staticmethod
    def _problem(value: Value) -> str | None:
        if value.is_str:
            if str(value.const).upper() in HCFK_ON_DELETE:
                return None
            return f"`on_delete={value.const!r}` is not one of \"CASCADE\", \"SET_NULL\", \"DO_NOTHING\""
        if value.kind == NAME:
            if value.ref and value.ref.startswith(HCFK_CASCADE_BEHAVIOR + "."):
                if last_part(value.ref) in HCFK_ON_DELETE:
                    return None
                return f"`{value.text}` is not a cascade behaviour: use \"CASCADE\", \"SET_NULL\" or \"DO_NOTHING\""
            if value.ref and value.ref.startswith("django.db.models."):
                return f"`on_delete` takes a string, not `{value.text}`: use `on_delete=\"{last_part(value.ref)}\"`"
            return None
        if value.kind in (CONST, CALL, LIST, TUPLE, DICT, SET, LAMBDA):
            return "`on_delete` must be a string: \"CASCADE\", \"SET_NULL\" or \"DO_NOTHING\""
        return None


@register
class HybridCloudNameWithoutId(Rule):
    code = "SML112"
    name = "hybrid-cloud-fk-name"
    family = Family.MODEL
    message = "`HybridCloudForeignKey` `{field}` holds only an id: name it `{field}_id`"
    summary = "`HybridCloudForeignKey` assigned to a name without the `_id` suffix."
    why = (
        "A `HybridCloudForeignKey` is an integer column with no ORM relation behind it; naming it "
        "`user_id` rather than `user` keeps readers from expecting `widget.user` to return an "
        "object."
    )
    instead = "`user_id = HybridCloudForeignKey(\"sentry.User\", on_delete=\"CASCADE\")`."
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
            for field in _fields(info):
                if _is_hcfk(field) and not field.name.endswith("_id"):
                    yield self.report(field.call.line, field.call.col, _model_symbol(info.cls, field.name), field=field.name)


@register
class ForeignKeyNamedId(Rule):
    code = "SML113"
    name = "foreign-key-named-id"
    family = Family.MODEL
    message = "foreign key `{field}` ends in `_id`, so its column becomes `{field}_id`: name the field `{stem}`"
    summary = "`FlexibleForeignKey` / `ForeignKey` assigned to a name ending in `_id`."
    why = (
        "Django adds `_id` to a foreign key's column: `project_id = FlexibleForeignKey(...)` makes "
        "a `project_id_id` column and a `project_id` attribute that returns an object."
    )
    instead = "`project = FlexibleForeignKey(\"sentry.Project\")`; Django then gives you both `project` and `project_id`."
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
            for field in _fields(info):
                if field.ref in FK_LIKE and field.name.endswith("_id") and field.keyword("db_column") is None:
                    if field.call.has_kwargs_spread:
                        continue
                    yield self.report(
                        field.call.line,
                        field.call.col,
                        _model_symbol(info.cls, field.name),
                        field=field.name,
                        stem=field.name[: -len("_id")],
                    )


@register
class SetNullWithoutNull(Rule):
    code = "SML114"
    name = "set-null-without-null"
    family = Family.MODEL
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
            for field in _fields(info):
                if not (field.ref in FK_LIKE or _is_hcfk(field)):
                    continue
                on_delete = field.keyword("on_delete")
                if on_delete is None or not self._is_set_null(on_delete):
                    continue
                if field.call.has_kwargs_spread:
                    continue
                null = field.keyword("null")
                if null is not None and (null.is_true or null.kind != CONST):
                    continue
                yield self.report(on_delete.line, on_delete.col, _model_symbol(info.cls, field.name), field=field.name)

    @staticmethod
    def _is_set_null(value: Value) -> bool:
        if value.is_str:
            return str(value.const).upper() == "SET_NULL"
        if value.kind == NAME and value.ref:
            return value.ref == "django.db.models.SET_NULL" or value.ref == f"{HCFK_CASCADE_BEHAVIOR}.SET_NULL"
        return False


@register
class HybridCloudTarget(Rule):
    code = "SML115"
    name = "hybrid-cloud-fk-target"
    family = Family.MODEL
    message = "`HybridCloudForeignKey` `{field}`: {problem}"
    summary = "`HybridCloudForeignKey` whose target is not an `\"app.Model\"` string or `settings.AUTH_USER_MODEL`."
    why = "The target of a `HybridCloudForeignKey` is split on `.` into an app label and a model name; anything else fails an assertion when the model is imported."
    instead = "`HybridCloudForeignKey(\"sentry.Organization\", on_delete=\"CASCADE\")` or `HybridCloudForeignKey(settings.AUTH_USER_MODEL, ...)`."
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
            for field in _fields(info):
                if not _is_hcfk(field):
                    continue
                target = field.call.items[0] if field.call.items else field.keyword("foreign_model")
                problem = self._problem(target, field)
                if problem is not None:
                    yield self.report(field.call.line, field.call.col, _model_symbol(info.cls, field.name), field=field.name, problem=problem)

    @staticmethod
    def _problem(target: Value | None, field: FieldFact) -> str | None:
        if target is None:
            if field.call.starred or field.call.has_kwargs_spread:
                return None
            return "the target model is missing: pass `\"app.Model\"` as the first argument"
        if target.is_str:
            parts = str(target.const).split(".")
            if len(parts) == 2 and all(parts):
                return None
            return f"target {target.const!r} must be `\"<app_label>.<ModelName>\"`, e.g. \"sentry.User\""
        if target.kind == NAME:
            if target.ref is None or target.ref == AUTH_USER_MODEL:
                return None
            tail = last_part(target.ref)
            if tail[:1].isupper() and not tail.isupper() and "_" not in tail:
                return f"pass the target as a string `\"<app_label>.{tail}\"`, not the class `{target.text}`"
            return None
        if target.kind in (CONST, CALL, LIST, TUPLE, DICT, SET):
            return "the target must be a string `\"app.Model\"` or `settings.AUTH_USER_MODEL`"
        return None


# --- Meta ---------------------------------------------------------------------------------------


def _meta_option(info: ModelInfo, name: str):
    meta = info.cls.meta
    if meta is None:
        return None
    attr = meta.options.get(name)
    if attr is None or attr.value is None:
        return None
    return attr


@register
class UniqueTogether(Rule):
    code = "SML120"
    name = "unique-together"
    family = Family.MODEL
    message = "`Meta.unique_together` on `{model}`: use `Meta.constraints = [models.UniqueConstraint(fields=[...], name=\"...\")]`"
    summary = "`Meta.unique_together` instead of a named `UniqueConstraint`."
    why = (
        "`UniqueConstraint` has a name you choose and accepts `condition=Q(...)`, the only correct "
        "way to say \"unique when this column is not null\". Django documents `unique_together` as "
        "likely to be deprecated."
    )
    instead = "`constraints = [models.UniqueConstraint(fields=[\"organization\", \"name\"], name=\"sentry_widget_org_name_uniq\")]`"
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
            yield self.report(attr.line, attr.col, _model_symbol(info.cls, "Meta.unique_together"), model=info.cls.name)


@register
class IndexTogether(Rule):
    code = "SML121"
    name = "index-together"
    family = Family.MODEL
    message = "`Meta.index_together` on `{model}` was removed in Django 5.1: use `Meta.indexes = [models.Index(fields=[...], name=\"...\")]`"
    summary = "`Meta.index_together` (removed in Django 5.1)."
    why = "Django 5.1 removed `index_together`; a model that still sets it fails to load."
    instead = "`indexes = [models.Index(fields=[\"project\", \"status\"], name=\"sentry_widget_proj_status_idx\")]`"
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
                yield self.report(attr.line, attr.col, _model_symbol(info.cls, "Meta.index_together"), model=info.cls.name)


def _meta_calls(info: ModelInfo, option: str) -> Iterator[Value]:
    attr = _meta_option(info, option)
    if attr is None or attr.value.kind not in (LIST, TUPLE):
        return
    for item in attr.value.items:
        if item.kind == CALL:
            yield item


@register
class UnnamedIndex(Rule):
    code = "SML122"
    name = "unnamed-index"
    family = Family.MODEL
    message = "`{kind}` in `{model}.Meta.{option}` has no `name=`: give it an explicit, descriptive name"
    summary = "`Index` / `UniqueConstraint` / `CheckConstraint` without an explicit `name=`."
    why = (
        "Generated index names are opaque, change when fields change, and end up in migrations "
        "that later need to find them. Sentry's guide asks for explicit, descriptive names."
    )
    instead = "`models.Index(fields=[\"project\", \"status\"], name=\"sentry_widget_proj_status_idx\")`"
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
                        _model_symbol(info.cls, f"Meta.{option}"),
                        kind=last_part(call.call_ref),
                        model=info.cls.name,
                        option=option,
                    )


def _too_long(text: object) -> bool:
    return isinstance(text, str) and len(text.encode("utf-8")) > PG_IDENTIFIER_MAX_BYTES


@register
class LongIdentifier(Rule):
    code = "SML123"
    name = "identifier-too-long"
    family = Family.MODEL
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
            if table is not None and _too_long(table.value.const if table.value.is_str else None):
                yield self._long(table.value, "table name", table.value.const, _model_symbol(cls, "Meta.db_table"))
            for field in cls.fields:
                symbol = _model_symbol(cls, field.name)
                column = field.keyword("db_column")
                if _too_long(field.name):
                    yield self.report(field.line, field.col, symbol, what="field name", name=field.name, size=len(field.name.encode()))
                if column is not None and column.is_str and _too_long(column.const):
                    yield self._long(column, "column name", column.const, symbol)
            for option in ("indexes", "constraints"):
                for call in _meta_calls(info, option):
                    name = call.keyword("name")
                    if name is not None and name.is_str and _too_long(name.const):
                        yield self._long(name, "index name" if option == "indexes" else "constraint name", name.const, _model_symbol(cls, f"Meta.{option}"))

    def _long(self, value: Value, what: str, name: str, symbol: str) -> Violation:
        return self.report(value.line, value.col, symbol, what=what, name=name, size=len(name.encode("utf-8")))


# --- field values -------------------------------------------------------------------------------


@register
class MutableDefault(Rule):
    code = "SML130"
    fix = Fix.SAFE
    fix_title = "`default={}` -> `default=dict`, `[]` -> `list`, `set()` -> `set`"
    name = "mutable-default"
    family = Family.MODEL
    message = "`{field}` has a mutable `default={text}` shared by every row: {advice}"
    summary = "Mutable literal `default=` (`{}`, `[]`, `set()`, non-empty literals too)."
    why = (
        "A literal default is one object created at import and shared by every instance: mutating "
        "one row's value changes the default for all later rows."
    )
    instead = "A callable: `default=dict`, `default=list`, or a module-level function returning a fresh value."
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
        example(
            """
@cell_silo_model
class Widget(Model):
    __relocation_scope__ = RelocationScope.Organization

    config = models.JSONField(default={})  # expect: SML130
    tags = models.JSONField(default=["a"])  # expect: SML130
"""
        ),
    )

    def check(self, ctx: Context) -> Iterator[Violation]:
        for info in ctx.hierarchy.models():
            for field in info.cls.fields:
                value = _default_value(field)
                if value is None:
                    continue
                found = self._mutable(value)
                if found is not None:
                    text, advice = found
                    yield self.report(value.line, value.col, _model_symbol(info.cls, field.name), field=field.name, text=text, advice=advice)

    @staticmethod
    def _mutable(value: Value) -> tuple[str, str] | None:
        if value.kind == DICT:
            return ("{}", "use `default=dict`") if not value.items else ("{...}", "use a module-level function that returns a new dict")
        if value.kind == LIST:
            return ("[]", "use `default=list`") if not value.items else ("[...]", "use a module-level function that returns a new list")
        if value.kind == SET:
            return "{...}", "use a module-level function that returns a new set"
        if value.kind == COMP and value.text in ("list", "set", "dict"):
            return f"<{value.text} comprehension>", "use a module-level function that builds it"
        if value.kind == CALL and value.call_ref == "builtins.set":
            if not value.items and not value.keywords:
                return "set()", "use `default=set`"
            return "set(...)", "use a module-level function that returns a new set"
        return None


@register
class LegacyJSONField(Rule):
    code = "SML131"
    name = "legacy-json-field"
    family = Family.MODEL
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
                    yield self.report(field.call.line, field.call.col, _model_symbol(info.cls, field.name), field=field.name, kind=field.call.func.text)


@register
class DefaultFieldsModelExistingOnNewModel(Rule):
    code = "SML132"
    name = "default-fields-model-existing"
    family = Family.MODEL
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
            yield self.report(entry.cls.line, entry.cls.col, _model_symbol(entry.cls), model=entry.cls.name)


def _count_or_id_name(name: str) -> bool:
    return (
        name == "id"
        or name.endswith("_id")
        or name == "count"
        or name.endswith("_count")
        or name.startswith(("num_", "count_", "times_"))
    )


@register
class UnboundedInteger(Rule):
    code = "SML133"
    fix = Fix.SAFE
    fix_title = "`BigIntegerField` -> `BoundedBigIntegerField` (import added)"
    name = "unbounded-integer"
    family = Family.MODEL
    message = "`{field}` is a plain `{kind}`: use `{bounded}` from `sentry.db.models` for keys, ids and counts"
    summary = "Plain `IntegerField`/`BigIntegerField`/`PositiveIntegerField`/`AutoField`/`BigAutoField` for a primary key, an `*_id` or a count."
    why = "Sentry's `Bounded*` fields check the value range before writing, catching overflows that would otherwise corrupt the column or downstream consumers."
    instead = "`BoundedBigAutoField` for primary keys, `BoundedBigIntegerField` / `BoundedPositiveIntegerField` for ids and counts."
    notes = "Counts are recognised by name: `count`, `*_count`, `num_*`, `count_*`, `times_*`."
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
        example(
            """
@cell_silo_model
class Widget(Model):
    __relocation_scope__ = RelocationScope.Organization

    external_id = models.BigIntegerField()  # expect: SML133
    event_count = models.PositiveIntegerField(default=0)  # expect: SML133
"""
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
                    _model_symbol(info.cls, field.name),
                    field=field.name,
                    kind=kind,
                    bounded=BOUNDED_REPLACEMENT[kind],
                )


@register
class ParanoidModelBase(Rule):
    code = "SML134"
    name = "paranoid-model"
    family = Family.MODEL
    default_on = False
    message = "`{model}` is based on `ParanoidModel`: prefer an explicit `status` field (`ObjectStatus`) that business logic respects"
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
                yield self.report(info.cls.line, info.cls.col, _model_symbol(info.cls), model=info.cls.name)


def _free_text_name(name: str) -> bool:
    parts = [p for p in name.lower().split("_") if p]
    if not parts:
        return False
    return not any(p.startswith(SHORT_TEXT_STEMS) or any(i in p for i in SHORT_TEXT_INFIXES) for p in parts)


@register
class ShortCharField(Rule):
    code = "SML135"
    name = "short-char-field"
    family = Family.MODEL
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
                    yield self.report(field.call.line, field.call.col, _model_symbol(info.cls, field.name), field=field.name, length=length.const)


@register
class DefaultEvaluatedOnce(Rule):
    code = "SML136"
    fix = Fix.SAFE
    fix_title = "Drop the call parentheses: `default=uuid4()` -> `default=uuid4`"
    name = "default-evaluated-at-import"
    family = Family.MODEL
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
    )

    def check(self, ctx: Context) -> Iterator[Violation]:
        for info in ctx.hierarchy.models():
            for field in info.cls.fields:
                value = _default_value(field)
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
                    text, advice = f"{func_text}(...)" + ("" if call is value else f".{value.const}"), "use a module-level function that returns a fresh value"
                yield self.report(value.line, value.col, _model_symbol(info.cls, field.name), field=field.name, text=text, advice=advice)


@register
class LambdaDefault(Rule):
    code = "SML137"
    name = "lambda-default"
    family = Family.MODEL
    message = "`{field}` has `default=lambda ...`, which migrations cannot serialize: use a module-level function"
    summary = "`default=lambda: ...` (migrations cannot serialize a lambda)."
    why = "`makemigrations` writes the default into the migration file by reference; a lambda has no importable name, so the command fails."
    instead = "A named module-level function: `def default_config(): return {\"enabled\": True}` and `default=default_config`."
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
                value = _default_value(field)
                if value is not None and value.kind == LAMBDA:
                    yield self.report(value.line, value.col, _model_symbol(info.cls, field.name), field=field.name)


@register
class MetaOptionInBody(Rule):
    code = "SML138"
    name = "meta-option-in-body"
    family = Family.MODEL
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
                    yield self.report(attr.line, attr.col, _model_symbol(info.cls, name), option=name, model=info.cls.name)

    @staticmethod
    def _shape(value: Value) -> str:
        if value.kind == CONST:
            if isinstance(value.const, bool):
                return "bool"
            if isinstance(value.const, str):
                return "str"
            return "const"
        return value.kind
