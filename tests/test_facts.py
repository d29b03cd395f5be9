"""Fact extraction and class placement."""

from __future__ import annotations

import ast
import json
import textwrap

from sentry_model_lint.facts import extract
from sentry_model_lint.hierarchy import Hierarchy
from sentry_model_lint.paths import FileKind, classify
from sentry_model_lint.values import CALL, CONST, DICT, NAME, SET, Value

SOURCE = textwrap.dedent(
    """\
    from django.db import models
    from sentry.backup.scopes import RelocationScope
    from sentry.db.models import DefaultFieldsModel, FlexibleForeignKey, Model, cell_silo_model
    from sentry.models.avatars.base import AvatarBase


    class ScopeMixin:
        __relocation_scope__ = RelocationScope.Organization


    class Base(Model):
        class Meta:
            abstract = True


    @cell_silo_model
    class Widget(ScopeMixin, Base):
        project = FlexibleForeignKey("sentry.Project", null=True)
        config: models.Field = models.JSONField(default=dict)
        name = "not a field"
        __repr__ = None

        class Meta:
            db_table = "sentry_widget"
            unique_together = (("project", "name"),)

        def get_relocation_scope(self):
            return RelocationScope.Organization


    class Avatar(AvatarBase):
        pass


    class Plain(models.Model):
        pass
    """
)


def facts():
    info = classify("src/sentry/models/widget.py", root="/nonexistent")
    return extract(ast.parse(SOURCE), info)


def test_file_info() -> None:
    info = classify("src/sentry/models/widget.py", root="/nonexistent")
    assert info.module == "sentry.models.widget"
    assert info.kind is FileKind.SOURCE
    assert classify("src/sentry/migrations/0001_initial.py", root="/x").kind is FileKind.MIGRATION
    assert classify("tests/sentry/migrations/test_0001.py", root="/x").kind is FileKind.TEST
    assert classify("fixtures/apps/models.py", root="/x").kind is FileKind.EXCLUDED


def test_classes_fields_and_meta() -> None:
    f = facts()
    by_name = {c.name: c for c in f.classes}
    widget = by_name["Widget"]
    assert [b.ref for b in widget.bases] == ["sentry.models.widget.ScopeMixin", "sentry.models.widget.Base"]
    assert widget.decorators[0].ref == "sentry.db.models.cell_silo_model"
    assert [fld.name for fld in widget.fields] == ["project", "config"]
    project = widget.fields[0]
    assert project.ref == "sentry.db.models.FlexibleForeignKey"
    assert project.call.items[0].const == "sentry.Project"
    assert project.keyword("null").const is True
    assert widget.fields[1].keyword("default").ref == "builtins.dict"
    assert widget.attrs["name"].value.kind == CONST
    assert widget.meta is not None and widget.meta.options["db_table"].value.const == "sentry_widget"
    assert "get_relocation_scope" in widget.methods
    assert by_name["Base"].is_abstract and not widget.is_abstract


def test_hierarchy_places_models() -> None:
    f = facts()
    h = Hierarchy(f.classes)
    info = {i.cls.name: i for i in (h.info(c) for c in f.classes)}
    assert info["Widget"].sentry and info["Widget"].concrete and not info["Widget"].uncertain
    assert info["Widget"].find_attr("__relocation_scope__")[1].name == "ScopeMixin"
    assert info["Widget"].has_method("get_relocation_scope")
    assert info["Base"].sentry and not info["Base"].concrete
    assert not info["ScopeMixin"].is_model
    assert info["Avatar"].uncertain and not info["Avatar"].is_model
    assert info["Plain"].django and not info["Plain"].sentry


def test_values_round_trip_through_json() -> None:
    f = facts()
    for cls in f.classes:
        for fld in cls.fields:
            data = json.loads(json.dumps(fld.call.to_json()))
            assert Value.from_json(data) == fld.call


def test_summaries_keep_shapes() -> None:
    from sentry_model_lint.names import Resolver
    from sentry_model_lint.values import summarize

    r = Resolver("m")
    node = ast.parse("f({1, 2}, {'a': [x]}, *args, key=-1, **kw)", mode="eval").body
    value = summarize(node, r)
    assert value.kind == CALL and value.starred and value.has_kwargs_spread
    assert value.items[0].kind == SET and value.items[1].kind == DICT
    assert value.keyword("key").const == -1
    assert value.items[1].items[0].items[0].kind == NAME


def test_deep_expressions_are_cut_not_crashed() -> None:
    from sentry_model_lint.names import Resolver
    from sentry_model_lint.values import summarize

    expr = "[" * 200 + "]" * 200
    value = summarize(ast.parse(expr, mode="eval").body, Resolver("m"))
    assert value.kind == "list"
