"""Capabilities: what the checked-out Sentry provides, read from its source.

Sentry's API changed over the years: the silo decorators were renamed (``*_only_model`` in 2023,
``region_silo_model``/``control_silo_model`` from 2024, ``cell_silo_model`` from 2026), the
post-deployment flag went from ``is_dangerous`` to ``is_post_deployment`` (with a period where
the runner read both), the ``Safe*`` operations and ``DeletionAction`` arrived at the end of
2024, ``RelocationScope`` in August 2023, and ``db_default`` needs Django 5.0. A rule's advice
and fix must only name what the checkout defines, so the rules consult this record.

Everything is read from source (``ast`` and plain text), never imported. Where there is no
Sentry checkout to read (a lone file, a root without ``src/sentry/db/models/base.py``), today's
Sentry is assumed and ``assumed`` says so. ``[tool.sentry-model-lint.capabilities]`` overrides
what detection got wrong.
"""

from __future__ import annotations

import ast
import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from sentry_model_lint.files import read_bytes
from sentry_model_lint.source import SourceError, decode
from sentry_model_lint.vocab import POST_DEPLOYMENT_FLAGS, SILO_DECORATOR_MODES

#: names whose presence the rules care about -> files that may define them (first found wins)
KNOWN: Mapping[str, tuple[str, ...]] = {
    "CheckedMigration": ("src/sentry/new_migrations/migrations.py",),
    "SafeRunSQL": ("src/sentry/new_migrations/monkey/special.py",),
    "SafeRemoveField": ("src/sentry/new_migrations/monkey/fields.py",),
    "SafeDeleteModel": ("src/sentry/new_migrations/monkey/models.py",),
    "DeletionAction": ("src/sentry/new_migrations/monkey/state.py",),
    "DefaultFieldsModelExisting": ("src/sentry/db/models/base.py",),
    "HybridCloudForeignKey": ("src/sentry/db/models/fields/hybrid_cloud_foreign_key.py",),
    "RelocationScope": ("src/sentry/backup/scopes.py",),
    "OutboxCategory": ("src/sentry/hybridcloud/outbox/category.py", "src/sentry/models/outbox.py"),
    "ReplicatedCellModel": ("src/sentry/hybridcloud/outbox/base.py",),
    "ReplicatedRegionModel": ("src/sentry/hybridcloud/outbox/base.py", "src/sentry/db/models/outboxes.py"),
    "ReplicatedControlModel": ("src/sentry/hybridcloud/outbox/base.py", "src/sentry/db/models/outboxes.py"),
    **{
        name: ("src/sentry/db/models/fields/bounded.py",)
        for name in (
            "BoundedIntegerField",
            "BoundedBigIntegerField",
            "BoundedPositiveIntegerField",
            "BoundedPositiveBigIntegerField",
            "BoundedAutoField",
            "BoundedBigAutoField",
        )
    },
}
#: every silo decorator name of every era (``sentry.db.models`` exports)
SILO_DECORATORS = tuple(path.rpartition(".")[2] for path in SILO_DECORATOR_MODES)
#: the decorator for each silo, most recent name first
CELL_DECORATORS = ("cell_silo_model", "region_silo_model", "region_silo_only_model", "customer_silo_model")
CONTROL_DECORATORS = ("control_silo_model", "control_silo_only_model")
#: files whose text names the flag Sentry's migration machinery reads
FLAG_READERS = (
    "src/sentry/new_migrations/monkey/executor.py",
    "src/sentry/runner/commands/migrations.py",
    "src/sentry/new_migrations/migrations.py",
    "src/sentry/new_migrations/monkey/__init__.py",
)
BASE = "src/sentry/db/models/base.py"
#: where the pinned Django is read, most precise first
DJANGO_PINS = (
    "uv.lock",
    "requirements-frozen.txt",
    "requirements-dev-frozen.txt",
    "requirements-base.txt",
    "requirements.txt",
    "pyproject.toml",
    "setup.cfg",
)
_UV_LOCK = re.compile(r'^\[\[package\]\]\s*\nname\s*=\s*"django"\s*\nversion\s*=\s*"(\d+)\.(\d+)', re.MULTILINE | re.IGNORECASE)
_PIN = re.compile(r'^\s*"?django\s*(?:==|>=|~=|===)\s*(\d+)\.(\d+)', re.MULTILINE | re.IGNORECASE)
#: what today's Sentry provides, assumed where there is no checkout to read
TODAY_DJANGO = (5, 2)


@dataclass(frozen=True)
class Capabilities:
    """What one checkout provides; ``sources`` says, per capability, where it was read."""

    assumed: bool = True  # no checkout to read: today's Sentry
    silo_decorators: frozenset[str] = frozenset({"cell_silo_model", "control_silo_model"})
    post_deployment_flags: frozenset[str] = frozenset({"is_post_deployment"})
    defines: frozenset[str] = frozenset(KNOWN)
    django: tuple[int, int] | None = TODAY_DJANGO
    sources: Mapping[str, str] = field(default_factory=dict)

    def has(self, name: str) -> bool:
        return name in self.defines

    @property
    def cell_decorator(self) -> str | None:
        """The checkout's name for the default (cell, once region) silo decorator."""
        return next((n for n in CELL_DECORATORS if n in self.silo_decorators), None)

    @property
    def control_decorator(self) -> str | None:
        return next((n for n in CONTROL_DECORATORS if n in self.silo_decorators), None)

    def current_silo_name(self, name: str) -> str | None:
        """The checkout's own name for the silo the decorator ``name`` places a model in, when
        that is another name (``region_silo_model`` -> ``cell_silo_model`` in 2026, nothing in a
        2023 checkout whose current name is ``region_silo_only_model``)."""
        if name in CELL_DECORATORS:
            new = self.cell_decorator
        elif name in CONTROL_DECORATORS:
            new = self.control_decorator
        else:
            return None
        return new if new is not None and new != name else None

    def silo_advice(self) -> str:
        """``@cell_silo_model` (the default) or `@control_silo_model``, in the checkout's names."""
        names = [f"`@{n}`" for n in (self.cell_decorator, self.control_decorator) if n]
        if len(names) == 2:
            return f"{names[0]} (the default) or {names[1]}"
        return names[0] if names else "a silo decorator"

    @property
    def post_deployment_flag(self) -> str:
        """The flag a new migration should set: ``is_post_deployment`` where it is read."""
        return "is_post_deployment" if "is_post_deployment" in self.post_deployment_flags else "is_dangerous"

    def django_at_least(self, major: int, minor: int) -> bool:
        """Whether the pinned Django is at least ``major.minor`` (an unknown pin counts as today's)."""
        return (self.django or TODAY_DJANGO) >= (major, minor)

    def satisfies(self, need: str) -> bool:
        """Whether the checkout provides ``need``: a name of ``KNOWN``, ``django>=X.Y``,
        ``reads:<flag>`` (the migration runner reads that flag) or ``silo-decorators``."""
        if need.startswith("django>="):
            major, _, minor = need.removeprefix("django>=").partition(".")
            return self.django_at_least(int(major), int(minor or 0))
        if need.startswith("reads:"):
            return need.removeprefix("reads:") in self.post_deployment_flags
        if need == "silo-decorators":
            return bool(self.silo_decorators)
        return self.has(need)

    def missing(self, needs: tuple[str, ...]) -> list[str]:
        return [need for need in needs if not self.satisfies(need)]

    def describe(self) -> dict[str, Any]:
        """Plain data for ``info``."""
        return {
            "assumed": self.assumed,
            "silo_decorators": sorted(self.silo_decorators),
            "post_deployment_flags": sorted(self.post_deployment_flags),
            "defines": sorted(self.defines),
            "lacks": sorted(set(KNOWN) - self.defines),
            "django": ".".join(map(str, self.django)) if self.django else None,
            "sources": dict(sorted(self.sources.items())),
        }


TODAY = Capabilities()

# --- overrides ----------------------------------------------------------------------------------

OVERRIDE_KEYS = ("django", "post-deployment-flag", "silo-decorators", "defines", "lacks")


def parse_overrides(data: Mapping[str, Any]) -> dict[str, Any]:
    """Validated overrides; ValueError names the first problem (unknown or contradictory)."""
    unknown = sorted(set(data) - set(OVERRIDE_KEYS))
    if unknown:
        raise ValueError(f"unknown key `{unknown[0]}` (known: {', '.join(OVERRIDE_KEYS)})")
    out: dict[str, Any] = {}
    if "django" in data:
        match = re.fullmatch(r"(\d+)\.(\d+)(?:\.\d+)?", str(data["django"]))
        if match is None:
            raise ValueError('`django` must be a version, like "3.2" or "5.2"')
        out["django"] = (int(match.group(1)), int(match.group(2)))
    if "post-deployment-flag" in data:
        value = data["post-deployment-flag"]
        flags = {"both": set(POST_DEPLOYMENT_FLAGS)}.get(value, {value})
        if not flags <= set(POST_DEPLOYMENT_FLAGS):
            raise ValueError('`post-deployment-flag` must be "is_post_deployment", "is_dangerous" or "both"')
        out["post_deployment_flags"] = frozenset(flags)
    if "silo-decorators" in data:
        names = _names(data["silo-decorators"], "silo-decorators")
        if not names <= set(SILO_DECORATORS):
            raise ValueError(f"`silo-decorators`: unknown decorator `{sorted(names - set(SILO_DECORATORS))[0]}`")
        out["silo_decorators"] = frozenset(names)
    defines = _names(data.get("defines", []), "defines")
    lacks = _names(data.get("lacks", []), "lacks")
    for key, names in (("defines", defines), ("lacks", lacks)):
        if not names <= set(KNOWN):
            raise ValueError(f"`{key}`: `{sorted(names - set(KNOWN))[0]}` is not a name the linter looks for")
    if defines & lacks:
        raise ValueError(f"`{sorted(defines & lacks)[0]}` is both in `defines` and in `lacks`")
    out["defines"], out["lacks"] = defines, lacks
    return out


def _names(value: object, key: str) -> set[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"`{key}` must be a list of names")
    return set(value)


def with_overrides(caps: Capabilities, data: Mapping[str, Any]) -> Capabilities:
    if not data:
        return caps
    parsed = parse_overrides(data)
    sources = dict(caps.sources)
    changes: dict[str, Any] = {}
    for attr in ("django", "post_deployment_flags", "silo_decorators"):
        if attr in parsed:
            changes[attr] = parsed[attr]
            sources[attr] = "configured"
    defines = (caps.defines | parsed["defines"]) - parsed["lacks"]
    if defines != caps.defines:
        changes["defines"] = frozenset(defines)
        for name in parsed["defines"] | parsed["lacks"]:
            sources[name] = "configured"
    return replace(caps, sources=sources, **changes)


# --- detection ----------------------------------------------------------------------------------

_CACHE: dict[str, Capabilities] = {}


def for_root(root: str | None, overrides: Mapping[str, Any] | None = None) -> Capabilities:
    """The capabilities of the checkout at ``root`` (today's Sentry without one), overridden."""
    caps = TODAY
    if root is not None:
        caps = _CACHE.get(root) or _CACHE.setdefault(root, detect(root))
    if not overrides:
        return caps
    key = (root, repr(sorted(overrides.items())))  # once per root and configuration, not per file
    if key not in _OVERRIDDEN:
        _OVERRIDDEN[key] = with_overrides(caps, overrides)
    return _OVERRIDDEN[key]


_OVERRIDDEN: dict[tuple[str | None, str], Capabilities] = {}


_STAMPS: dict[str, str] = {}


def stamp(root: str) -> str:
    """Changes whenever a file capabilities are read from changes (size and modification time),
    so cached results follow an upgrade of Django or of Sentry's migration framework."""
    if root not in _STAMPS:
        files = sorted({BASE, *FLAG_READERS, *DJANGO_PINS, *(p for paths in KNOWN.values() for p in paths)})
        parts = []
        for rel in files:
            try:
                st = os.stat(os.path.join(root, rel))
            except OSError:
                continue
            parts.append(f"{rel}:{st.st_size}:{st.st_mtime_ns}")
        _STAMPS[root] = hashlib.sha1("\n".join(parts).encode()).hexdigest()[:16]
    return _STAMPS[root]


def forget() -> None:
    """Drop what was read (a long-lived process whose checkout changed)."""
    _CACHE.clear()
    _STAMPS.clear()
    _OVERRIDDEN.clear()


def detect(root: str) -> Capabilities:
    """Read the checkout at ``root``; today's Sentry when it is not a Sentry checkout."""
    base = os.path.join(root, BASE)
    if not os.path.isfile(base):
        return TODAY
    sources: dict[str, str] = {}
    defines: set[str] = set()
    trees: dict[str, ast.Module | None] = {}
    for name, candidates in KNOWN.items():
        for rel in candidates:
            if rel not in trees:
                trees[rel] = _parse(os.path.join(root, rel))
            tree = trees[rel]
            if tree is not None and name in _defined_names(tree):
                defines.add(name)
                sources[name] = rel
                break
    silos = _silo_decorators(trees.get(BASE) or _parse(base))
    sources["silo_decorators"] = BASE
    flags, flag_source = _post_deployment_flags(root)
    sources["post_deployment_flags"] = flag_source
    django, django_source = _django(root)
    sources["django"] = django_source
    return Capabilities(
        assumed=False,
        silo_decorators=frozenset(silos),
        post_deployment_flags=frozenset(flags),
        defines=frozenset(defines),
        django=django,
        sources=sources,
    )


def _read(path: str) -> str | None:
    try:
        return decode(read_bytes(path), path)
    except (SourceError, OSError):
        return None


def _parse(path: str) -> ast.Module | None:
    text = _read(path)
    if text is None:
        return None
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _defined_names(tree: ast.Module) -> set[str]:
    """Classes, functions and assigned names anywhere in the module's statements (``Bounded*``
    fields were once defined under ``if settings.SENTRY_USE_BIG_INTS:``), not inside functions."""
    names: set[str] = set()
    stack: list[ast.stmt] = list(tree.body)
    while stack:
        stmt = stack.pop()
        if isinstance(stmt, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            names.add(stmt.name)
        elif isinstance(stmt, ast.Assign):
            names.update(t.id for t in stmt.targets if isinstance(t, ast.Name))
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            names.add(stmt.target.id)
        elif isinstance(stmt, (ast.If, ast.Try)):
            stack.extend(stmt.body + stmt.orelse)
            if isinstance(stmt, ast.Try):
                stack.extend(stmt.finalbody)
                for handler in stmt.handlers:
                    stack.extend(handler.body)
    return names


def _silo_decorators(tree: ast.Module | None) -> set[str]:
    """Silo decorator names ``sentry.db.models.base`` defines (as ``ModelSiloLimit(...)``, an
    older ``ModelAvailableOn(...)`` or an alias of one) and exports through ``__all__``."""
    if tree is None:
        return set()
    defined: set[str] = set()
    exported: set[str] | None = None
    for stmt in tree.body:
        if not isinstance(stmt, ast.Assign) or len(stmt.targets) != 1 or not isinstance(stmt.targets[0], ast.Name):
            continue
        target, value = stmt.targets[0].id, stmt.value
        if target == "__all__" and isinstance(value, (ast.Tuple, ast.List)):
            exported = {e.value for e in value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)}
        elif (
            isinstance(value, ast.Call)
            and isinstance(value.func, ast.Name)
            and value.func.id in ("ModelSiloLimit", "ModelAvailableOn")
        ) or (isinstance(value, ast.Name) and value.id in defined):
            defined.add(target)
    found = defined if exported is None else defined & exported
    return {n for n in found if n in SILO_DECORATORS}


def _post_deployment_flags(root: str) -> tuple[set[str], str]:
    """The flags Sentry's migration machinery reads (by the string literals and attribute names
    in its source), and the files they were read from."""
    flags: set[str] = set()
    read_from: list[str] = []
    for rel in FLAG_READERS:
        text = _read(os.path.join(root, rel))
        if text is None:
            continue
        found = {flag for flag in POST_DEPLOYMENT_FLAGS if re.search(rf"\b{flag}\b", text)}
        if found:
            flags |= found
            read_from.append(rel)
    if not flags:
        return {"is_post_deployment"}, "assumed (no migration runner found)"
    return flags, ", ".join(read_from)


def _django(root: str) -> tuple[tuple[int, int] | None, str]:
    for rel in DJANGO_PINS:
        text = _read(os.path.join(root, rel))
        if text is None:
            continue
        match = (_UV_LOCK if rel == "uv.lock" else _PIN).search(text)
        if match is not None:
            return (int(match.group(1)), int(match.group(2))), rel
    return None, "not found (today's Django assumed)"
