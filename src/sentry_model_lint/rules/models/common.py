"""What the SML1xx model rules share: their base class, the example prelude and small helpers."""

from __future__ import annotations

from collections.abc import Iterator

from sentry_model_lint.facts import ClassFact, FieldFact
from sentry_model_lint.hierarchy import ModelInfo
from sentry_model_lint.names import last_part
from sentry_model_lint.rules.base import Family, Rule
from sentry_model_lint.values import CALL, NAME, Value
from sentry_model_lint.vocab import (
    HYBRID_CLOUD_FK,
    MODEL_SILO_LIMIT,
    SILO_DECORATOR_MODES,
    SILO_MODE,
)

#: decorators from these packages are known not to place a model in a silo
NON_SILO_PREFIXES = ("builtins.", "typing.", "typing_extensions.", "functools.", "dataclasses.", "abc.", "django.")

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
    """A complete model module for a rule's examples: the usual imports, then ``body``."""
    return IMPORTS + "\n\n" + body.strip("\n") + "\n"


class ModelRule(Rule):
    """A rule over the model classes of one module."""

    family = Family.MODEL


def scope_member(value: Value) -> str | None:
    """``Organization`` for ``RelocationScope.Organization`` (any module spelling), else None."""
    if value.kind != NAME or not value.ref:
        return None
    head, _, member = value.ref.rpartition(".")
    if last_part(head) != "RelocationScope":
        return None
    return member


def silo_modes(decorator: Value) -> frozenset[str] | None:
    """Silo modes a decorator places a model in; ``frozenset()`` if it is known not to be a silo
    decorator; None if it cannot be told (unknown decorator)."""
    ref = decorator.ref if decorator.kind == NAME else decorator.call_ref if decorator.kind == CALL else None
    if ref is None:
        return None
    if ref in SILO_DECORATOR_MODES:
        return SILO_DECORATOR_MODES[ref]
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


def model_symbol(cls: ClassFact, member: str = "") -> str:
    return f"{cls.name}.{member}" if member else cls.name


def model_fields(info: ModelInfo) -> Iterator[FieldFact]:
    yield from info.cls.fields


def is_hcfk(field: FieldFact) -> bool:
    return field.ref == HYBRID_CLOUD_FK


def default_value(field: FieldFact) -> Value | None:
    return field.keyword("default")
