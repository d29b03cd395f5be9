"""SML105-SML108: silo decorators and replicated models."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from sentry_model_lint.names import last_part
from sentry_model_lint.rules.base import Context, Example, Fix, Violation
from sentry_model_lint.rules.models.common import (
    ModelRule,
    example,
    model_symbol,
    silo_modes,
)
from sentry_model_lint.values import NAME
from sentry_model_lint.vocab import (
    REPLICATED_CONTROL,
    SILO_DECORATOR_MODES,
    SILO_MODULES,
)

if TYPE_CHECKING:
    from sentry_model_lint.fixes.edits import Edit
    from sentry_model_lint.fixes.view import FixView


class MissingSiloDecorator(ModelRule):
    code = "SML105"
    name = "missing-silo-decorator"
    message = "model `{model}` has no silo decorator: add {advice}"
    needs = ("silo-decorators",)
    summary = "Concrete Sentry model without a silo decorator."
    why = (
        "Every Sentry model lives in one silo; the decorator records it, guards queries made from "
        "the wrong silo, and Sentry's test suite fails for a model that has none."
    )
    instead = "`@cell_silo_model` for most data; `@control_silo_model` for data shared across organizations (auth, integrations, API tokens)."
    notes = "A decorator the linter cannot identify is assumed to place the model, so the rule stays silent. Classes under `if TYPE_CHECKING:` never exist at run time and are not models."
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
            if any(silo_modes(d) != frozenset() for d in info.cls.decorators):
                continue
            advice = ctx.capabilities.silo_advice()
            yield self.report(info.cls.line, info.cls.col, model_symbol(info.cls), model=info.cls.name, advice=advice)


class LegacySiloDecorator(ModelRule):
    code = "SML106"
    fix = Fix.SAFE
    fix_title = (
        "Rename the decorator, and its import, to the checkout's current name (`cell_silo_model` / `control_silo_model` today)"
    )
    needs = ("silo-decorators",)
    name = "legacy-silo-decorator"
    message = "{problem}: use `@{new}`"
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
        Example(
            """\
from sentry.backup.scopes import RelocationScope
from sentry.db.models import Model, region_silo_model


@region_silo_model  # expect: SML106
class Widget(Model):
    __relocation_scope__ = RelocationScope.Organization
""",
            fixed="""\
from sentry.backup.scopes import RelocationScope
from sentry.db.models import Model, cell_silo_model


@cell_silo_model
class Widget(Model):
    __relocation_scope__ = RelocationScope.Organization
""",
        ),
    )

    def check(self, ctx: Context) -> Iterator[Violation]:
        for cls in ctx.facts.classes:
            for decorator in cls.decorators:
                if decorator.kind != NAME or decorator.ref not in SILO_DECORATOR_MODES:
                    continue
                old = last_part(decorator.ref)
                new = ctx.capabilities.current_silo_name(old)
                if new is None:
                    continue
                if ctx.capabilities.assumed or old in ctx.capabilities.silo_decorators:
                    problem = f"`{decorator.text}` is a legacy silo name"
                else:  # a newer name, or one long gone: the checkout's sentry.db.models lacks it
                    problem = "this silo decorator is not one the checkout's `sentry.db.models` defines"
                yield self.report(decorator.line, decorator.col, f"{cls.name}@{old}", problem=problem, new=new)

    def plan_fix(self, view: FixView, violation: Violation) -> list[Edit] | None:
        import libcst as cst

        from sentry_model_lint.fixes import edits as e
        from sentry_model_lint.fixes.shapes import dotted, import_module

        node = view.outer_expression(violation)
        decorator = view.parent(node) if node is not None else None
        if node is None or not isinstance(decorator, cst.Decorator) or decorator.decorator is not node or node.lpar:
            return None
        current = view.capabilities.current_silo_name
        if isinstance(node, cst.Attribute) and dotted(node):
            new = current(node.attr.value)
            if new is None:
                return None
            if not view.once(self.code, node):
                return []
            return [e.Rename(view.at(node.attr), new)]
        new = current(node.value) if isinstance(node, cst.Name) else None
        if not isinstance(node, cst.Name) or new is None:
            return None
        old = node.value
        found = view.assignments(old, node)
        if len(found) != 1 or not view.top_import_from(found[0], SILO_MODULES, old):
            return None
        module = import_module(found[0].node)
        if not view.can_import(module, new, node, SILO_MODULES):
            return None
        if not view.once(self.code, node):
            return []
        return [e.AddImport(module, new), e.Rename(view.at(node), new), e.ReleaseImport(view.at(node), SILO_MODULES)]


class ReplicatedWithoutCategory(ModelRule):
    code = "SML107"
    needs = ("OutboxCategory",)
    name = "replicated-without-category"
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
                yield self.report(info.cls.line, info.cls.col, model_symbol(info.cls), model=info.cls.name)


class ReplicationSiloMismatch(ModelRule):
    code = "SML108"
    name = "replication-silo-mismatch"
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
                modes = silo_modes(decorator)
                if not modes or "?" in modes:
                    continue
                caps = ctx.capabilities
                cell_name = caps.cell_decorator or "cell_silo_model"
                # the silo's name in the checkout's era: "region" before the cell rename
                cell_silo = "cell" if cell_name == "cell_silo_model" else "region"
                if control and "CONTROL" not in modes:
                    advice, silo, base = (
                        f"use `@{caps.control_decorator or 'control_silo_model'}`",
                        cell_silo,
                        "ReplicatedControlModel",
                    )
                elif cell and "CELL" not in modes:
                    replicated = "ReplicatedCellModel" if caps.has("ReplicatedCellModel") else "ReplicatedRegionModel"
                    advice, silo, base = f"use `@{cell_name}`", "control", replicated
                else:
                    continue
                text = decorator.text if decorator.kind == NAME else "ModelSiloLimit(...)"
                yield self.report(
                    decorator.line,
                    decorator.col,
                    model_symbol(info.cls),
                    model=info.cls.name,
                    base=base,
                    decorator=f"@{text}",
                    silo=silo,
                    advice=advice,
                )
