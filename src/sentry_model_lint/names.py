"""Name resolution: turn the names a module uses into canonical dotted paths, through its imports.

Nothing is imported or executed. A module's bindings come from its top-level statements (imports,
class and function definitions, assignments), in order, so the last binding of a name wins as it
would at run time. Known Sentry and Django modules are described by tables below, so that
`from sentry.db.models import *` binds the names that module really re-exports and every spelling
of a class (`sentry.db.models.base.Model`, `sentry.db.models.Model`) maps to one canonical path.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Iterable, Mapping

from sentry_model_lint.vocab import (
    BASE_EXPORTS,
    HYBRID_CLOUD_FK,
    OUTBOX_CATEGORY,
    SENTRY_DB_MODELS,
    SENTRY_DB_MODELS_EXPORTS,
    SILO_MODE,
    sentry,
)

#: Sub-modules of ``sentry.db.models`` whose public names are the same objects as the re-exports.
_SENTRY_DB_MODELS_SUBMODULES = (
    "sentry.db.models.base",
    "sentry.db.models.fields",
    "sentry.db.models.fields.foreignkey",
    "sentry.db.models.fields.bounded",
    "sentry.db.models.fields.array",
    "sentry.db.models.fields.citext",
    "sentry.db.models.fields.encrypted",
    "sentry.db.models.fields.gzippeddict",
    "sentry.db.models.fields.node",
    "sentry.db.models.fields.onetoone",
    "sentry.db.models.fields.picklefield",
    "sentry.db.models.fields.slug",
    "sentry.db.models.fields.text",
    "sentry.db.models.fields.uuid",
    "sentry.db.models.manager",
    "sentry.db.models.manager.base",
    "sentry.db.models.paranoia",
    "sentry.db.models.query",
)

# --- aliases: other spellings of the same objects ---------------------------------------------

_DJANGO_MODELS_SUBMODULES = (
    "django.db.models.base",
    "django.db.models.fields",
    "django.db.models.fields.related",
    "django.db.models.fields.json",
    "django.db.models.indexes",
    "django.db.models.constraints",
    "django.db.models.deletion",
    "django.db.models.query_utils",
    "django.db.models.expressions",
    "django.db.models.functions",
)


_DJANGO_MIGRATIONS_PREFIXES = (
    "django.db.migrations.operations.fields.",
    "django.db.migrations.operations.models.",
    "django.db.migrations.operations.special.",
    "django.db.migrations.operations.base.",
    "django.db.migrations.operations.",
    "django.db.migrations.migration.",
)


def _builtin_aliases() -> dict[str, str]:
    aliases: dict[str, str] = {}
    for module in _SENTRY_DB_MODELS_SUBMODULES:
        for name in SENTRY_DB_MODELS_EXPORTS:
            aliases[f"{module}.{name}"] = sentry(name)
    for name in ("ReplicatedCellModel", "ReplicatedRegionModel", "ReplicatedControlModel"):
        aliases[f"sentry.db.models.outboxes.{name}"] = f"sentry.hybridcloud.outbox.base.{name}"
        aliases[f"sentry.hybridcloud.outbox.{name}"] = f"sentry.hybridcloud.outbox.base.{name}"
    aliases["sentry.models.outbox.OutboxCategory"] = OUTBOX_CATEGORY
    aliases["sentry.hybridcloud.outbox.OutboxCategory"] = OUTBOX_CATEGORY
    aliases["sentry.silo.SiloMode"] = SILO_MODE
    aliases["sentry.db.models.fields.HybridCloudForeignKey"] = HYBRID_CLOUD_FK
    # the legacy text-backed JSONField is re-exported through ``sentry.db.models.fields``
    for name in ("JSONField", "LegacyTextJSONField"):
        legacy = f"sentry.db.models.fields.jsonfield.{name}"
        aliases[f"{SENTRY_DB_MODELS}.{name}"] = legacy
        aliases[f"{SENTRY_DB_MODELS}.fields.{name}"] = legacy
    aliases["django.utils.timezone.now"] = "django.utils.timezone.now"
    return aliases


BUILTIN_ALIASES: Mapping[str, str] = _builtin_aliases()

#: What ``from <module> import *`` binds, for the modules a Sentry model file star-imports.
STAR_EXPORTS: Mapping[str, frozenset[str]] = {
    SENTRY_DB_MODELS: SENTRY_DB_MODELS_EXPORTS | {"JSONField", "LegacyTextJSONField"},
    "sentry.db.models.base": BASE_EXPORTS,
    "sentry.db.models.fields": SENTRY_DB_MODELS_EXPORTS | {"JSONField", "LegacyTextJSONField"},
    "sentry.db.models.fields.bounded": frozenset(n for n in SENTRY_DB_MODELS_EXPORTS if n.startswith(("Bounded", "Wrapping"))),
    "sentry.db.models.fields.foreignkey": frozenset({"FlexibleForeignKey"}),
    "sentry.db.models.paranoia": frozenset({"ParanoidModel", "ParanoidManager"}),
}

_BUILTIN_NAMES = frozenset(dir(builtins))


def canonical(dotted: str, extra_aliases: Mapping[str, str] | None = None) -> str:
    """Map one spelling of a dotted path to its canonical form."""
    if extra_aliases:
        hit = _alias_lookup(dotted, extra_aliases)
        if hit is not None:
            return hit
    hit = _alias_lookup(dotted, BUILTIN_ALIASES)
    if hit is not None:
        return hit
    if dotted.startswith("django.db.migrations."):
        for prefix in _DJANGO_MIGRATIONS_PREFIXES:
            if dotted.startswith(prefix):
                rest = dotted[len(prefix) :]
                if rest and rest[0].isupper():
                    return "django.db.migrations." + rest
    if dotted.startswith("django.db.models."):
        for module in _DJANGO_MODELS_SUBMODULES:
            prefix = module + "."
            if dotted.startswith(prefix):
                rest = dotted[len(prefix) :]
                if rest and rest[0].isupper():
                    return "django.db.models." + rest
    return dotted


def _alias_lookup(dotted: str, aliases: Mapping[str, str]) -> str | None:
    """Exact alias, or an alias of a prefix (``a.b.X.attr`` -> ``canon(a.b.X).attr``)."""
    if dotted in aliases:
        return aliases[dotted]
    head, sep, tail = dotted.rpartition(".")
    parts = []
    while sep:
        parts.append(tail)
        if head in aliases:
            return aliases[head] + "." + ".".join(reversed(parts))
        head, sep, tail = head.rpartition(".")
    return None


# --- the resolver ------------------------------------------------------------------------------


class Resolver:
    """Resolve names and attribute chains of one module to canonical dotted paths.

    ``module`` is the dotted module name of the file (``sentry.models.project``), used to qualify
    classes and functions the module defines itself and to resolve relative imports. It may be
    empty when unknown; local definitions are then qualified as ``.<name>``.
    """

    __slots__ = ("bindings", "extra_aliases", "module", "package", "star_sources")

    def __init__(
        self,
        module: str = "",
        *,
        is_package: bool = False,
        extra_aliases: Mapping[str, str] | None = None,
    ) -> None:
        self.module = module
        self.package = module if is_package else module.rpartition(".")[0]
        self.bindings: dict[str, str] = {}
        self.extra_aliases = dict(extra_aliases or {})
        #: modules this one star-imports (``from .avatars import *``), for re-export lookups
        self.star_sources: list[str] = []

    # building ------------------------------------------------------------------------------
    def bind_module(self, body: Iterable[ast.stmt]) -> None:
        """Record the bindings of a module body (imports and definitions, conditionals too)."""
        for stmt in body:
            self.bind_statement(stmt)

    def bind_statement(self, stmt: ast.stmt) -> None:
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                if alias.asname:
                    self.bindings[alias.asname] = alias.name
                else:
                    top = alias.name.partition(".")[0]
                    self.bindings[top] = top
        elif isinstance(stmt, ast.ImportFrom):
            base = self._absolute(stmt.module, stmt.level)
            for alias in stmt.names:
                if alias.name == "*":
                    if base is None:
                        continue
                    if base not in self.star_sources:
                        self.star_sources.append(base)
                    exported = STAR_EXPORTS.get(canonical(base, self.extra_aliases))
                    exported = exported if exported is not None else STAR_EXPORTS.get(base)
                    for name in exported or ():
                        self.bindings[name] = f"{base}.{name}"
                    continue
                local = alias.asname or alias.name
                # an empty binding shadows the name but resolves to nothing
                self.bindings[local] = f"{base}.{alias.name}" if base else ""
        elif isinstance(stmt, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            self.bindings[stmt.name] = self.local(stmt.name)
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            if isinstance(stmt, ast.AnnAssign) and stmt.value is None:
                return
            for target in targets:
                if isinstance(target, ast.Name):
                    self.bindings[target.id] = self.local(target.id)
        elif isinstance(stmt, ast.If):
            self.bind_module(stmt.body)
            self.bind_module(stmt.orelse)
        elif isinstance(stmt, ast.Try) or type(stmt).__name__ == "TryStar":
            self.bind_module(stmt.body)  # type: ignore[attr-defined]
            for handler in stmt.handlers:  # type: ignore[attr-defined]
                self.bind_module(handler.body)
            self.bind_module(stmt.orelse)  # type: ignore[attr-defined]
            self.bind_module(stmt.finalbody)  # type: ignore[attr-defined]

    def _absolute(self, module: str | None, level: int) -> str | None:
        if level == 0:
            return module
        if not self.package and not self.module:
            return None
        parts = self.package.split(".") if self.package else []
        if level > 1:
            parts = parts[: len(parts) - (level - 1)] if level - 1 <= len(parts) else []
            if not parts:
                return None
        base = ".".join(parts)
        if module:
            return f"{base}.{module}" if base else module
        return base or None

    def local(self, name: str) -> str:
        return f"{self.module}.{name}" if self.module else f".{name}"

    # resolving -----------------------------------------------------------------------------
    def resolve(self, node: ast.AST) -> str | None:
        """Canonical dotted path of a ``Name`` or ``Attribute`` chain, or None if unknown."""
        chain = _chain(node)
        if chain is None:
            return None
        root, attrs = chain
        bound = self.bindings.get(root)
        if bound is None:
            if root in _BUILTIN_NAMES and not attrs:
                return f"builtins.{root}"
            return None
        if not bound:
            return None
        return canonical(".".join([bound, *attrs]), self.extra_aliases)

    def is_local(self, dotted: str | None) -> bool:
        """True for a path naming something this module defines itself."""
        if not dotted:
            return False
        prefix = f"{self.module}." if self.module else "."
        return dotted.startswith(prefix) and "." not in dotted[len(prefix) :]


def _chain(node: ast.AST) -> tuple[str, list[str]] | None:
    """``("models", ["ForeignKey"])`` for ``models.ForeignKey``; None unless a Name/Attribute chain."""
    attrs: list[str] = []
    while isinstance(node, ast.Attribute):
        attrs.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return node.id, attrs[::-1]


def dotted_text(node: ast.AST) -> str | None:
    """Source spelling of a ``Name``/``Attribute`` chain (``models.ForeignKey``)."""
    chain = _chain(node)
    return ".".join([chain[0], *chain[1]]) if chain is not None else None


def last_part(dotted: str | None) -> str:
    return dotted.rpartition(".")[2] if dotted else ""
