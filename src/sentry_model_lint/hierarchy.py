"""Class hierarchy: which classes are models, which are concrete, what they inherit.

Ancestors are found through a :class:`ClassLookup`: the classes of the file itself, and later the
project index for classes defined elsewhere. A base that neither the lookup nor the tables of
known bases can place makes the class *uncertain*: rules that depend on inherited attributes stay
silent for it rather than guess.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Protocol

from sentry_model_lint.facts import AttrFact, ClassFact
from sentry_model_lint.values import CALL, NAME, OTHER, Value
from sentry_model_lint.vocab import (
    DJANGO_MODEL,
    MODEL_SILO_LIMIT,
    REPLICATED_BASES,
    SENTRY_MODEL_BASES,
    SILO_DECORATOR_MODES,
)

#: Bases known to be neither models nor carriers of model attributes.
NEUTRAL_BASES = frozenset(
    {
        "builtins.object",
        "typing.Generic",
        "typing.Protocol",
        "typing_extensions.Protocol",
        "abc.ABC",
        "enum.Enum",
    }
)
#: Django's own abstract models: plain Django models, attributes known (none that matter here).
DJANGO_ABSTRACT_BASES = frozenset(
    {
        DJANGO_MODEL,
        "django.contrib.auth.base_user.AbstractBaseUser",
        "django.contrib.auth.models.AbstractBaseUser",
        "django.contrib.auth.models.AbstractUser",
        "django.contrib.auth.models.PermissionsMixin",
    }
)


class ClassLookup(Protocol):
    def get(self, qualname: str) -> ClassFact | None: ...


def is_silo_decorator(value: Value) -> bool:
    if value.kind == NAME:
        return value.ref in SILO_DECORATOR_MODES
    return value.kind == CALL and value.call_ref == MODEL_SILO_LIMIT


def base_ref(value: Value) -> str | None:
    """Dotted path of a base expression (``Generic[T]`` counts as ``typing.Generic``)."""
    if value.kind == NAME:
        return value.ref
    if value.kind == OTHER and value.text == "subscript" and value.items:
        return base_ref(value.items[0])
    return None


@dataclass(frozen=True)
class ModelInfo:
    cls: ClassFact
    sentry: bool  # reaches a Sentry model base
    django: bool  # reaches a Django model base (Sentry models do too)
    uncertain: bool  # some ancestor could not be placed
    replicated: frozenset[str]  # the replicated bases it reaches
    ancestors: tuple[ClassFact, ...]  # known ancestor classes, nearest first (depth-first, left first)
    direct_terminals: frozenset[str]  # known terminal bases among its direct bases

    @property
    def is_model(self) -> bool:
        return self.sentry or self.django

    @property
    def concrete(self) -> bool:
        return self.is_model and not self.cls.is_abstract and not self.cls.is_proxy

    def lineage(self) -> Iterator[ClassFact]:
        yield self.cls
        yield from self.ancestors

    def find_attr(self, name: str) -> tuple[AttrFact, ClassFact] | None:
        """The assignment of ``name`` with a value, own first, then inherited."""
        for cls in self.lineage():
            attr = cls.attrs.get(name)
            if attr is not None and attr.value is not None:
                return attr, cls
            if name in cls.methods:
                return None
        return None

    def has_method(self, name: str) -> bool:
        for cls in self.lineage():
            if name in cls.methods:
                return True
            attr = cls.attrs.get(name)
            if attr is not None and attr.value is not None:
                return True
        return False


class _Chain:
    """Lookup over the file's own classes first, then an optional outer lookup."""

    def __init__(self, local: Mapping[str, ClassFact], outer: ClassLookup | None) -> None:
        self.local = local
        self.outer = outer

    def get(self, qualname: str) -> ClassFact | None:
        found = self.local.get(qualname)
        if found is None and self.outer is not None:
            found = self.outer.get(qualname)
        return found


class Hierarchy:
    """Model information for the classes of one file, computed once and shared by all rules."""

    def __init__(self, classes: tuple[ClassFact, ...], outer: ClassLookup | None = None) -> None:
        self.classes = classes
        self.lookup = _Chain({c.qualname: c for c in classes}, outer)
        self._cache: dict[str, ModelInfo] = {}
        self._stack: set[str] = set()

    def info(self, cls: ClassFact) -> ModelInfo:
        cached = self._cache.get(cls.qualname)
        if cached is not None and cached.cls is cls:
            return cached
        result = self._compute(cls)
        self._cache[cls.qualname] = result
        return result

    def models(self) -> Iterator[ModelInfo]:
        """Model classes of the file (Sentry or plain Django), in source order."""
        for cls in self.classes:
            info = self.info(cls)
            if info.is_model:
                yield info

    def _compute(self, cls: ClassFact) -> ModelInfo:
        sentry = django = uncertain = False
        replicated: set[str] = set()
        ancestors: list[ClassFact] = []
        direct_terminals: set[str] = set()
        self._stack.add(cls.qualname)
        try:
            for base in cls.bases:
                ref = base_ref(base)
                if ref is None:
                    uncertain = True
                    continue
                if ref in SENTRY_MODEL_BASES:
                    sentry = django = True
                    direct_terminals.add(ref)
                    if ref in REPLICATED_BASES:
                        replicated.add(ref)
                    continue
                if ref in DJANGO_ABSTRACT_BASES:
                    django = True
                    direct_terminals.add(ref)
                    continue
                if ref in NEUTRAL_BASES:
                    continue
                parent = self.lookup.get(ref)
                if parent is None or parent.qualname in self._stack:
                    uncertain = True
                    continue
                parent_info = self.info(parent)
                sentry |= parent_info.sentry
                django |= parent_info.django
                uncertain |= parent_info.uncertain
                replicated |= parent_info.replicated
                for ancestor in (parent, *parent_info.ancestors):
                    if not any(ancestor is seen for seen in ancestors):
                        ancestors.append(ancestor)
        finally:
            self._stack.discard(cls.qualname)
        if not sentry and (uncertain or not django) and any(is_silo_decorator(d) for d in cls.decorators):
            # A base that cannot be placed (defined in another file, the index off) may well be a
            # Sentry model base, and a silo decorator says the class is meant as one: treat it so
            # (rules that depend on inherited attributes still stay silent for an uncertain class).
            # But when the bases are all placed and reach plain ``django.db.models.Model`` only,
            # they decide: a silo decorator also accepts a plain Django model, and Sentry's
            # relocation and foreign-key conventions apply to its ``BaseModel`` family only.
            sentry = django = True
        return ModelInfo(
            cls=cls,
            sentry=sentry,
            django=django,
            uncertain=uncertain,
            replicated=frozenset(replicated),
            ancestors=tuple(ancestors),
            direct_terminals=frozenset(direct_terminals),
        )
