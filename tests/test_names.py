"""Name resolution through imports."""

from __future__ import annotations

import ast
import textwrap

import pytest

from sentry_model_lint.names import Resolver, canonical


def resolver(source: str, module: str = "sentry.models.widget", **kw) -> Resolver:
    r = Resolver(module, **kw)
    r.bind_module(ast.parse(textwrap.dedent(source)).body)
    return r


def resolve(r: Resolver, expr: str) -> str | None:
    return r.resolve(ast.parse(expr, mode="eval").body)


@pytest.mark.parametrize(
    ("imports", "expr", "expected"),
    [
        ("from django.db import models", "models.ForeignKey", "django.db.models.ForeignKey"),
        ("from django.db.models import ForeignKey as FK", "FK", "django.db.models.ForeignKey"),
        ("import django.db.models as dm", "dm.OneToOneField", "django.db.models.OneToOneField"),
        ("import django.db.models", "django.db.models.ForeignKey", "django.db.models.ForeignKey"),
        ("from django.db.models.fields.related import ForeignKey", "ForeignKey", "django.db.models.ForeignKey"),
        ("from sentry.db.models import Model as M", "M", "sentry.db.models.Model"),
        ("from sentry.db.models.base import Model", "Model", "sentry.db.models.Model"),
        (
            "from sentry.db.models.fields.foreignkey import FlexibleForeignKey",
            "FlexibleForeignKey",
            "sentry.db.models.FlexibleForeignKey",
        ),
        (
            "from sentry.db.models.fields.bounded import BoundedBigIntegerField",
            "BoundedBigIntegerField",
            "sentry.db.models.BoundedBigIntegerField",
        ),
        (
            "import sentry.db.models.fields.foreignkey",
            "sentry.db.models.fields.foreignkey.FlexibleForeignKey",
            "sentry.db.models.FlexibleForeignKey",
        ),
        ("from sentry.db.models import *", "cell_silo_model", "sentry.db.models.cell_silo_model"),
        ("from sentry.db.models import *", "DefaultFieldsModel", "sentry.db.models.DefaultFieldsModel"),
        ("from sentry.db.models import JSONField", "JSONField", "sentry.db.models.fields.jsonfield.JSONField"),
        (
            "from sentry.db.models.outboxes import ReplicatedRegionModel",
            "ReplicatedRegionModel",
            "sentry.hybridcloud.outbox.base.ReplicatedRegionModel",
        ),
        (
            "from sentry.models.outbox import OutboxCategory",
            "OutboxCategory.X",
            "sentry.hybridcloud.outbox.category.OutboxCategory.X",
        ),
        (
            "from sentry.backup.scopes import RelocationScope",
            "RelocationScope.Organization",
            "sentry.backup.scopes.RelocationScope.Organization",
        ),
        ("from django.conf import settings", "settings.AUTH_USER_MODEL", "django.conf.settings.AUTH_USER_MODEL"),
    ],
)
def test_imports_resolve_to_canonical_names(imports: str, expr: str, expected: str) -> None:
    assert resolve(resolver(imports), expr) == expected


def test_names_that_are_not_imported_are_unknown() -> None:
    r = resolver("from django.db import models")
    assert resolve(r, "ForeignKey") is None
    assert resolve(r, "sentry.db.models.Model") is None
    assert resolve(r, "call().attr") is None


def test_builtins_resolve_unless_shadowed() -> None:
    assert resolve(resolver(""), "dict") == "builtins.dict"
    assert resolve(resolver("from collections import OrderedDict as dict"), "dict") == "collections.OrderedDict"


def test_local_definitions_are_module_qualified() -> None:
    r = resolver("class Base: pass\ndef helper(): pass\nCONST = 1")
    assert resolve(r, "Base") == "sentry.models.widget.Base"
    assert resolve(r, "helper") == "sentry.models.widget.helper"
    assert resolve(r, "CONST") == "sentry.models.widget.CONST"


def test_last_binding_wins() -> None:
    r = resolver("from django.db import models\nfrom sentry.db import models")
    assert resolve(r, "models.Model") == "sentry.db.models.Model"


def test_relative_imports_resolve_against_the_package() -> None:
    r = resolver("from .base import AvatarBase\nfrom ..db.models import Model", module="sentry.models.avatars.team")
    assert resolve(r, "AvatarBase") == "sentry.models.avatars.base.AvatarBase"
    assert resolve(r, "Model") == "sentry.models.db.models.Model"
    pkg = resolver("from .team import TeamAvatar", module="sentry.models.avatars", is_package=True)
    assert resolve(pkg, "TeamAvatar") == "sentry.models.avatars.team.TeamAvatar"


def test_relative_import_beyond_the_top_is_unknown() -> None:
    r = resolver("from ....x import Y", module="sentry.models")
    assert resolve(r, "Y") is None


def test_imports_inside_conditionals_count() -> None:
    r = resolver(
        """
        from typing import TYPE_CHECKING
        if TYPE_CHECKING:
            from sentry.db.models import Model
        try:
            from sentry.db.models import cell_silo_model
        except ImportError:
            pass
        """
    )
    assert resolve(r, "Model") == "sentry.db.models.Model"
    assert resolve(r, "cell_silo_model") == "sentry.db.models.cell_silo_model"


def test_configured_aliases() -> None:
    r = resolver("from getsentry.db import GModel", extra_aliases={"getsentry.db.GModel": "sentry.db.models.Model"})
    assert resolve(r, "GModel") == "sentry.db.models.Model"
    assert canonical("a.b.C.attr", {"a.b.C": "x.Y"}) == "x.Y.attr"
