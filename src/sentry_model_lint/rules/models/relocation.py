"""SML101-SML104: relocation scopes and the legacy export flags."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from sentry_model_lint.hierarchy import ModelInfo
from sentry_model_lint.names import last_part
from sentry_model_lint.rules.base import Context, Example, Fix, Violation
from sentry_model_lint.rules.models.common import (
    ModelRule,
    example,
    model_symbol,
    scope_member,
)
from sentry_model_lint.values import CALL, CONST, DICT, LIST, NAME, SET, TUPLE, Value
from sentry_model_lint.vocab import (
    LEGACY_EXPORT_FLAGS,
    SCOPE_ATTR,
    SCOPE_MEMBERS,
    SCOPES_MODULE,
)

if TYPE_CHECKING:
    from sentry_model_lint.fixes.edits import Edit
    from sentry_model_lint.fixes.view import FixView


class MissingRelocationScope(ModelRule):
    code = "SML101"
    needs = ("RelocationScope",)
    name = "missing-relocation-scope"
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
        "by SML104 instead. A silo decorator does not make a plain `django.db.models.Model` "
        "subclass a Sentry model (Sentry checks the scope on the `BaseModel` family only); it "
        "counts only when a base cannot be found. Classes under `if TYPE_CHECKING:` never exist "
        "at run time and are not models."
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
                yield self.report(info.cls.line, info.cls.col, model_symbol(info.cls), model=info.cls.name)


class InvalidRelocationScope(ModelRule):
    code = "SML102"
    needs = ("RelocationScope",)
    name = "invalid-relocation-scope"
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
            if (
                problem is None
                and attr.value.kind == NAME
                and scope_member(attr.value) not in (None, "Excluded")
                and self._app_label(info, getsentry_module) == "getsentry"
            ):
                problem = "must be `RelocationScope.Excluded` in the `getsentry` app: Sentry refuses any other scope there"
            if problem is not None:
                yield self.report(attr.line, attr.col, model_symbol(info.cls, SCOPE_ATTR), model=info.cls.name, problem=problem)

    @staticmethod
    def _app_label(info: ModelInfo, getsentry_module: bool) -> str | None:
        meta = info.cls.meta
        if meta is not None:
            label = meta.options.get("app_label")
            if label is not None and label.value is not None and label.value.is_str:
                return str(label.value.const)
        return "getsentry" if getsentry_module else None

    @staticmethod
    def _problem(value: Value) -> str | None:
        if value.kind == NAME:
            if value.ref is None:
                return None  # not resolvable: leave it
            member = scope_member(value)
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
                member = scope_member(item)
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


class SetScopeWithoutOverride(ModelRule):
    code = "SML103"
    needs = ("RelocationScope",)
    name = "set-scope-without-override"
    message = "model `{model}` has a set of relocation scopes but no `get_relocation_scope()` override: add one that picks the scope per instance"
    summary = "Set-valued `__relocation_scope__` without a `get_relocation_scope()` override."
    why = (
        "`BaseModel.get_relocation_scope()` raises when `__relocation_scope__` is a set: a model "
        "with several possible scopes must decide, per instance, which one applies."
    )
    instead = "Override `get_relocation_scope(self) -> RelocationScope` in the model (or a parent)."
    notes = (
        "An override inherited from a parent in the same file counts. The rule stays silent when a base class cannot be found."
    )
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
                yield self.report(attr.line, attr.col, model_symbol(info.cls, SCOPE_ATTR), model=info.cls.name)
            else:
                yield self.report(info.cls.line, info.cls.col, model_symbol(info.cls), model=info.cls.name)


class LegacyExportFlag(ModelRule):
    code = "SML104"
    needs = ("RelocationScope",)
    fix = Fix.SAFE
    fix_title = "Replace the legacy flag with `__relocation_scope__ = RelocationScope.Excluded` (for `False`)"
    name = "legacy-export-flag"
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
        Example(
            example(
                """
@cell_silo_model
class Widget(Model):
    __relocation_scope__ = RelocationScope.Excluded
    __include_in_export__ = False  # expect: SML104
"""
            ),
            fixed=example(
                """
@cell_silo_model
class Widget(Model):
    __relocation_scope__ = RelocationScope.Excluded
"""
            ),
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
                yield self.report(attr.line, attr.col, model_symbol(info.cls, name), attr=name, scope=scope)

    def plan_fix(self, view: FixView, violation: Violation) -> list[Edit] | None:
        import libcst as cst
        import libcst.matchers as m

        from sentry_model_lint.fixes import edits as e
        from sentry_model_lint.fixes.shapes import single_assignment, target_names

        assign = view.find(violation, cst.Assign)
        if assign is None or len(assign.targets) != 1:
            return None
        target = assign.targets[0].target
        if not (isinstance(target, cst.Name) and target.value in LEGACY_EXPORT_FLAGS):
            return None
        if not (isinstance(assign.value, cst.Name) and assign.value.value == "False"):
            return None  # `= True` needs a human to choose the scope
        line = view.parent(assign)
        if not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1:
            return None
        found = view.enclosing_class(line)
        if found is None:
            return None
        cls, block = found
        position = next(i for i, s in enumerate(block.body) if s is line)
        # earlier assignments of the same flag are dead stores the rule does not report (the last
        # one wins): they go too, or the flag would come back after the fix
        earlier = [i for i, s in enumerate(block.body[:position]) if target.value in target_names(s)]
        if any(single_assignment(block.body[i]) != target.value for i in earlier):
            return None  # bound some other way (a def, a chained assignment): leave it to a human
        if len(m.findall(block, m.Name(target.value))) != len(earlier) + 1:
            return None  # the class body reads the flag
        # a class gets one scope: the first flag fixed becomes it, later ones just go
        scoped = ("scope", id(cls))
        has_scope = view.claimed(scoped) or any(SCOPE_ATTR in target_names(s) for s in block.body)
        scope_name = None
        if not has_scope:
            scope_name = view.bound_import(SCOPES_MODULE, "RelocationScope", assign)
            if scope_name is None and not view.can_import(SCOPES_MODULE, "RelocationScope", assign):
                return None
        if not view.once(self.code, line):
            return []
        edits: list[Edit] = [e.RemoveStatement(view.at(block), i) for i in earlier]
        if has_scope:
            return [*edits, e.RemoveStatement(view.at(block), position)]
        view.claim(scoped)
        if scope_name is None:
            scope_name = "RelocationScope"
            edits.append(e.AddImport(SCOPES_MODULE, scope_name))
        return [*edits, e.ReassignTo(view.at(assign), SCOPE_ATTR, f"{scope_name}.Excluded")]
