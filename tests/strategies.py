"""Hypothesis strategies that write Sentry-shaped Python: model modules, migrations and
migration tests, with the odd-but-valid spellings real code has (aliases, star imports, unknown
names, positional vs keyword arguments, ``**kwargs``, nested ``SeparateDatabaseAndState``,
one-line suites, annotated assignments, multi-byte identifiers and strings, CRLF, tabs).

Every strategy returns a :class:`Sample` (a path relative to a project root, and the source).
The source always parses (a test asserts it); it is not meant to be correct, only plausible.

``focus`` (a rule code) makes the model / migration / migration-test strategy plant at least one
construct that the rule reports, with imports the linter can resolve, so that the fix tests see
their rule fire in most examples. Without ``focus`` everything is left to chance.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from hypothesis import strategies as st


class Sample(NamedTuple):
    path: str
    source: str


# --- small pieces ----------------------------------------------------------------------------------

#: text that is valid inside a string literal or a comment but trips naive line or byte counting
ODD_TEXT = st.sampled_from(
    [
        "plain",
        "naïve café",
        "日本語のテキスト",
        "emoji 🎉 party",
        "line\u2028separator",
        "para\u2029graph",
        "form\x0cfeed",
        "next\x85line",
        "tab\there",
        "",
        "a 'quoted' \"word\"",
        "# not a comment",
        "noqa: SML101",
    ]
)

PLAIN_NAMES = [
    "name",
    "config",
    "data",
    "count",
    "times_seen",
    "num_events",
    "project_id",
    "organization_id",
    "user_id",
    "project",
    "owner",
    "guid",
    "date_added",
    "note",
    "title",
    "external_id",
    "id",
    "event_count",
    "slug",
    "hash",
    "status",
    "naïve_count",
    "données_id",
    "日付",
]
LONG_NAME = "a_very_long_column_name_that_goes_well_past_the_postgres_limit_of_63_bytes"
MULTIBYTE_LONG = "é" * 40  # 40 characters, 80 UTF-8 bytes


def field_names() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(PLAIN_NAMES),
        st.sampled_from(PLAIN_NAMES).map(lambda n: n + "_id"),
        st.from_regex(r"[a-z][a-z0-9]{0,6}(_id|_count|_at)?", fullmatch=True).filter(
            lambda n: n.isidentifier() and n not in KEYWORDS
        ),
        st.sampled_from([LONG_NAME, MULTIBYTE_LONG]),
    )


KEYWORDS = frozenset(__import__("keyword").kwlist) | frozenset(__import__("keyword").softkwlist)

CLASS_NAMES = ["Widget", "Gadget", "Token", "Note", "Project", "Wídget", "Monitor", "Sprocket"]


def string_literal(value: str, draw) -> str:
    """``value`` as a Python string literal in a drawn quote style (it must not need escapes
    beyond what ``repr`` gives)."""
    style = draw(st.sampled_from(["double", "single", "repr", "triple"]))
    if style == "double" and '"' not in value and "\\" not in value and "\n" not in value:
        return f'"{value}"'
    if style == "single" and "'" not in value and "\\" not in value and "\n" not in value:
        return f"'{value}'"
    if style == "triple" and '"' not in value and "\\" not in value:
        return f'"""{value}"""'
    return repr(value)


# --- imports ----------------------------------------------------------------------------------------

#: module -> names a module of that kind may import from it
GROUPS: dict[str, list[str]] = {
    "django.db.models": [
        "CharField",
        "TextField",
        "JSONField",
        "IntegerField",
        "BigIntegerField",
        "PositiveIntegerField",
        "ForeignKey",
        "OneToOneField",
        "UUIDField",
        "DateTimeField",
        "BooleanField",
        "AutoField",
        "BigAutoField",
        "ManyToManyField",
        "Index",
        "UniqueConstraint",
        "CheckConstraint",
        "Q",
        "F",
        "CASCADE",
        "SET_NULL",
        "DO_NOTHING",
        "Model",
    ],
    "sentry.db.models": [
        "Model",
        "BaseModel",
        "DefaultFieldsModel",
        "DefaultFieldsModelExisting",
        "FlexibleForeignKey",
        "BoundedBigIntegerField",
        "BoundedPositiveIntegerField",
        "BoundedBigAutoField",
        "cell_silo_model",
        "region_silo_model",
        "control_silo_model",
        "region_silo_only_model",
        "control_silo_only_model",
        "sane_repr",
        "ModelSiloLimit",
    ],
    "sentry.db.models.fields.hybrid_cloud_foreign_key": ["HybridCloudForeignKey"],
    "sentry.backup.scopes": ["RelocationScope"],
    "sentry.hybridcloud.outbox.base": ["ReplicatedControlModel", "ReplicatedCellModel", "ReplicatedRegionModel"],
    "sentry.hybridcloud.outbox.category": ["OutboxCategory"],
    "sentry.db.models.fields.jsonfield": ["JSONField", "LegacyTextJSONField"],
    "sentry.db.models.paranoia": ["ParanoidModel"],
    "uuid": ["uuid4", "uuid1"],
    "django.utils": ["timezone"],
    "django.conf": ["settings"],
    "sentry.silo.base": ["SiloMode"],
    "sentry.models.project": ["Project"],
    "somewhere.unknown": ["Thing", "BaseThing", "mystery_model"],
    # migrations
    "django.db.migrations": [
        "AddField",
        "RemoveField",
        "DeleteModel",
        "RenameField",
        "RunSQL",
        "RunPython",
        "AddIndex",
        "AddConstraint",
        "CreateModel",
        "AlterField",
        "SeparateDatabaseAndState",
        "Migration",
    ],
    "sentry.new_migrations.migrations": ["CheckedMigration"],
    "sentry.new_migrations.monkey.fields": ["SafeRemoveField"],
    "sentry.new_migrations.monkey.models": ["SafeDeleteModel"],
    "sentry.new_migrations.monkey.state": ["DeletionAction"],
    "sentry.new_migrations.monkey.special": ["SafeRunSQL"],
    "django.contrib.postgres.operations": ["CreateExtension", "TrigramExtension", "AddIndexConcurrently"],
    "django.contrib.postgres.constraints": ["ExclusionConstraint"],
    # tests
    "sentry.testutils.cases": ["TestMigrations", "TestCase"],
    "pytest": ["mark", "skip"],
    "unittest": ["skip"],
}
#: the alias `import a.b as X` uses for a module
MODULE_ALIASES = {
    "django.db.models": "models",
    "django.db.migrations": "migrations",
    "sentry.db.models": "sdm",
    "uuid": "uuid",
    "django.utils": "dutils",
    "pytest": "pytest",
    "unittest": "unittest",
    "sentry.testutils.cases": "cases",
}


@dataclass
class Imports:
    """The import block of a generated module, and how each imported name is spelled."""

    styles: dict[str, str] = field(default_factory=dict)  # module -> from / star / module / missing
    chosen: dict[str, dict[str, str]] = field(default_factory=dict)  # module -> name -> bound name
    module_alias: dict[str, str] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)

    def ref(self, module: str, name: str) -> str:
        """How the module refers to ``module.name``."""
        style = self.styles.get(module, "missing")
        if style == "from" and name in self.chosen.get(module, {}):
            return self.chosen[module][name]
        if style == "star":
            return name
        if style == "module":
            return f"{self.module_alias[module]}.{name}"
        if module == "django.db.models":
            return f"models.{name}"
        if module == "django.db.migrations":
            return f"migrations.{name}"
        return name


@st.composite
def imports(
    draw, modules: list[str], resolvable: frozenset[str] = frozenset(), needed: dict[str, set[str]] | None = None
) -> Imports:
    """An import block over ``modules``. Modules in ``resolvable`` are always imported so that
    the linter resolves them (``from`` with every name in ``needed``, ``star`` or ``module``)."""
    needed = needed or {}
    plan = Imports()
    statements: list[list[str]] = []  # each: the lines of one statement
    for module in modules:
        choices = ["from", "from", "from", "module", "star", "missing"]
        if module in ("django.db.models", "django.db.migrations"):
            choices = ["module", "module", "module", "module", "from", "star", "missing"]
        if module in resolvable:
            choices = [c for c in choices if c != "missing"]
        style = draw(st.sampled_from(choices))
        if style == "module" and module not in MODULE_ALIASES:
            style = "from"
        plan.styles[module] = style
        if style == "missing":
            continue
        if style == "star":
            statements.append([f"from {module} import *"])
            continue
        if style == "module":
            alias = MODULE_ALIASES[module]
            if module == "django.db.models" and draw(st.booleans()):
                alias = draw(st.sampled_from(["models", "dm"]))
                statements.append([f"from django.db import models{'' if alias == 'models' else ' as ' + alias}"])
            elif module == "django.db.migrations" and draw(st.booleans()):
                alias = draw(st.sampled_from(["migrations", "mig"]))
                statements.append([f"from django.db import migrations{'' if alias == 'migrations' else ' as ' + alias}"])
            elif "." in module:
                head, _, tail = module.rpartition(".")
                if draw(st.booleans()) and alias == tail:
                    statements.append([f"from {head} import {tail}"])
                else:
                    statements.append([f"import {module} as {alias}"])
            else:
                statements.append([f"import {module}" + ("" if alias == module else f" as {alias}")])
            plan.module_alias[module] = alias
            continue
        names = GROUPS[module]
        must = needed.get(module, set()) if module in resolvable else set()
        subset = [n for n in names if n in must or draw(st.booleans())]
        if not subset:
            subset = [names[0]]
        bound: dict[str, str] = {}
        parts = []
        for name in draw(st.permutations(subset)):
            alias = name
            if name not in must and draw(st.integers(0, 9)) == 0:
                alias = name + "_alias"
            bound[name] = alias
            parts.append(name if alias == name else f"{name} as {alias}")
        plan.chosen[module] = bound
        if len(parts) > 2 and draw(st.booleans()):
            comment = draw(st.sampled_from(["", "  # isort: skip", "  # a comment"]))
            statements.append([f"from {module} import ({comment}", *[f"    {p}," for p in parts], ")"])
        else:
            statements.append([f"from {module} import {', '.join(parts)}"])
    # `from x import JSONField` twice: the later one wins, as at run time
    if draw(st.booleans()):
        statements = draw(st.permutations(statements))
    lines: list[str] = []
    for stmt in statements:
        if lines and draw(st.integers(0, 3)) == 0:
            lines.append("")
        lines.extend(stmt)
    plan.lines = lines
    return plan


def header(draw, plan: Imports) -> list[str]:
    """Docstring, ``__future__`` import, comments, then the import block."""
    out: list[str] = []
    if draw(st.booleans()):
        out.append('"""A generated module: ' + draw(ODD_TEXT).replace("\\", "").replace('"', "'") + '."""')
    if draw(st.integers(0, 3)) == 0:
        out.append("from __future__ import annotations")
        out.append("")
    if draw(st.integers(0, 3)) == 0:
        out.append("# " + draw(ODD_TEXT).replace("\n", " "))
    out.extend(plan.lines)
    if draw(st.integers(0, 5)) == 0:
        out.append("")
        out.append("logger = __import__('logging').getLogger(__name__)")
    if draw(st.integers(0, 4)) == 0:
        # module-level names that shadow what a fix would import or use
        out.append("")
        out.extend(draw(st.lists(st.sampled_from(SHADOWS), min_size=1, max_size=2, unique=True)))
    return out


SHADOWS = [
    "SafeRunSQL = None",
    "DeletionAction = object()",
    "SafeRemoveField = SafeDeleteModel = None",
    "RelocationScope = None",
    "BoundedBigIntegerField = None",
    "cell_silo_model = control_silo_model = None",
    "dict = dict",
    "def set(*args): return args",
    "uuid4 = None",
    "migrations = None",
    "pytest = None",
    "setup_before_migration = 1",
]


# --- models --------------------------------------------------------------------------------------

FIELD_KINDS = [
    ("sentry.db.models", "FlexibleForeignKey"),
    ("sentry.db.models.fields.hybrid_cloud_foreign_key", "HybridCloudForeignKey"),
    ("django.db.models", "ForeignKey"),
    ("django.db.models", "OneToOneField"),
    ("django.db.models", "CharField"),
    ("django.db.models", "TextField"),
    ("django.db.models", "JSONField"),
    ("sentry.db.models.fields.jsonfield", "JSONField"),
    ("sentry.db.models.fields.jsonfield", "LegacyTextJSONField"),
    ("django.db.models", "IntegerField"),
    ("django.db.models", "BigIntegerField"),
    ("django.db.models", "PositiveIntegerField"),
    ("django.db.models", "AutoField"),
    ("django.db.models", "BigAutoField"),
    ("sentry.db.models", "BoundedBigIntegerField"),
    ("django.db.models", "UUIDField"),
    ("django.db.models", "DateTimeField"),
    ("django.db.models", "BooleanField"),
    ("django.db.models", "ManyToManyField"),
]
FK_KINDS = {"FlexibleForeignKey", "HybridCloudForeignKey", "ForeignKey", "OneToOneField", "ManyToManyField"}


def default_value(draw, plan: Imports) -> str:
    return draw(
        st.sampled_from(
            [
                "{}",
                "[]",
                "set()",
                "dict",
                "list",
                "dict()",
                "list()",
                '{"a": 1}',
                "[1, 2]",
                "{1, 2}",
                "[x for x in ()]",
                "lambda: {}",
                "lambda: 0",
                f"{plan.ref('uuid', 'uuid4')}()",
                plan.ref("uuid", "uuid4"),
                f"{plan.ref('uuid', 'uuid4')}().hex",
                f"{plan.ref('django.utils', 'timezone')}.now()",
                f"{plan.ref('django.utils', 'timezone')}.now",
                "0",
                "-1",
                "1.5",
                "True",
                "None",
                '""',
                "'x'",
                "( {} )",
                "{  # a comment\n}",
            ]
        )
    )


def on_delete_value(draw, plan: Imports) -> str:
    models = plan.ref("django.db.models", "CASCADE").rpartition(".")[0] or "models"
    return draw(
        st.sampled_from(
            [
                '"CASCADE"',
                '"cascade"',
                "'SET_NULL'",
                '"set_null"',
                '"DO_NOTHING"',
                '"PROTECT"',
                '"bogus"',
                f"{models}.CASCADE",
                f"{models}.SET_NULL",
                f"{models}.DO_NOTHING",
                plan.ref("django.db.models", "SET_NULL"),
                "None",
            ]
        )
    )


def render_call(draw, func: str, args: list[str], indent: str, unit: str) -> list[str]:
    """``func(args)`` on one line or one argument per line (with a trailing comma, and now and
    then a comment). The first line carries no indentation; later lines do."""
    if not args or len(args) < 2 or draw(st.integers(0, 2)):
        return [f"{func}({', '.join(args)})"]
    lines = [f"{func}("]
    for arg in args:
        comment = "  # " + draw(ODD_TEXT).replace("\n", " ") if draw(st.integers(0, 5)) == 0 else ""
        lines.append(f"{indent}{unit}{arg},{comment}")
    lines.append(f"{indent})")
    return lines


@st.composite
def model_field(draw, plan: Imports, indent: str, unit: str, force: str | None = None) -> list[str]:
    """One field assignment, as lines (the first without indentation)."""
    name = draw(field_names())
    module, kind = draw(st.sampled_from(FIELD_KINDS))
    kwargs: list[str] = []
    positional: list[str] = []
    if force == "SML130":
        module, kind = draw(st.sampled_from([("django.db.models", "JSONField"), ("django.db.models", "CharField")]))
        kwargs.append("default=" + draw(st.sampled_from(["{}", "[]", "set()", "( {} )", "[]  "])).strip())
    elif force == "SML133":
        module, kind = "django.db.models", "BigIntegerField"
        name = draw(st.sampled_from(["external_id", "event_count", "count", "times_seen", "num_x", "project_id"]))
    elif force == "SML136":
        module, kind = draw(
            st.sampled_from(
                [("django.db.models", "UUIDField"), ("django.db.models", "DateTimeField"), ("django.db.models", "JSONField")]
            )
        )
        kwargs.append(
            "default="
            + draw(
                st.sampled_from(
                    [
                        f"{plan.ref('uuid', 'uuid4')}()",
                        f"{plan.ref('uuid', 'uuid1')}()",
                        f"{plan.ref('django.utils', 'timezone')}.now()",
                        "dict()",
                        "list()",
                    ]
                )
            )
        )
    func = plan.ref(module, kind)
    if module == "django.db.models" and plan.styles.get(module) == "from" and kind not in plan.chosen.get(module, {}):
        func = draw(st.sampled_from([f"models.{kind}", kind]))
    if kind in FK_KINDS:
        target = draw(
            st.sampled_from(
                [
                    '"sentry.Project"',
                    '"Project"',
                    '"sentry.project"',
                    f"{plan.ref('django.conf', 'settings')}.AUTH_USER_MODEL",
                    "Project",
                    '"self"',
                ]
            )
        )
        if draw(st.integers(0, 4)) == 0:
            kwargs.append(f"to={target}")
        else:
            positional.append(target)
        if draw(st.integers(0, 4)):
            value = on_delete_value(draw, plan)
            if draw(st.integers(0, 4)) == 0:
                positional.append(value)
            else:
                kwargs.append(f"on_delete={value}")
        if draw(st.booleans()):
            kwargs.append("db_constraint=False")
    for keyword, values in (
        ("null", ["True", "False"]),
        ("max_length", ["16", "64", "255", "256", "1024"]),
        ("primary_key", ["True", "False"]),
        ("db_index", ["True"]),
        ("unique", ["True"]),
    ):
        if draw(st.integers(0, 3)) == 0:
            kwargs.append(f"{keyword}={draw(st.sampled_from(values))}")
    if force is None and draw(st.integers(0, 2)) == 0:
        kwargs.append("default=" + default_value(draw, plan))
    if draw(st.integers(0, 5)) == 0:
        column = draw(st.sampled_from(["col", LONG_NAME, MULTIBYTE_LONG, "x" * 63, "x" * 64]))
        kwargs.append(f"db_column={string_literal(column, draw)}")
    if draw(st.integers(0, 5)) == 0:
        kwargs.append(f"help_text={string_literal(draw(ODD_TEXT), draw)}")
    if draw(st.integers(0, 9)) == 0:
        kwargs.append("**extra")
    kwargs = draw(st.permutations(kwargs))
    call = render_call(draw, func, positional + list(kwargs), indent, unit)
    form = draw(st.sampled_from(["plain", "plain", "plain", "annotated", "chained"]))
    if form == "annotated":
        call[0] = f"{name}: {draw(st.sampled_from(['int', 'str', 'Any', 'models.Field[int, int]']))} = {call[0]}"
    elif form == "chained" and force is None:
        call[0] = f"{name} = {draw(field_names())} = {call[0]}"
    else:
        call[0] = f"{name} = {call[0]}"
    return call


@st.composite
def meta_class(draw, plan: Imports, indent: str, unit: str, concrete: bool = False) -> list[str]:
    inner = indent + unit
    options: list[list[str]] = []
    idx = plan.ref("django.db.models", "Index")
    uniq = plan.ref("django.db.models", "UniqueConstraint")
    check = plan.ref("django.db.models", "CheckConstraint")
    pool = {
        "app_label": ['"sentry"', "'uptime'"],
        "db_table": [
            '"sentry_widget"',
            string_literal("sentry_" + LONG_NAME, draw),
            string_literal("s_" + MULTIBYTE_LONG, draw),
            'f"sentry_{1}"',
        ],
        "unique_together": ['(("a", "b"),)', '("a", "b")', '[["a", "b"]]', "()", '(("a", "b"), ("c", "d"))', "[]", "COMMON"],
        "index_together": ['(("a", "b"),)', '("a", "b")', "()"],
        "indexes": [
            f'[{idx}(fields=["a"])]',
            f'[{idx}(fields=["a"], name="widget_a_idx")]',
            f'({idx}(fields=["a", "b"], name={string_literal(LONG_NAME, draw)}),)',
            f"[{idx}(*fields)]",
            f'[{idx}(F("a"), name="fa")]',
        ],
        "constraints": [
            f'[{uniq}(fields=["a"], name="uniq_a")]',
            f'[{uniq}(fields=["a"])]',
            f'[{check}(check=Q(a__gte=0), name="a_pos")]',
            f"[{check}(check=Q(a__gte=0))]",
            f'[{uniq}("a", "b", name="u")]',
        ],
        "abstract": ["True", "False"],
        "proxy": ["True"],
        "ordering": ['("-id",)', '["name"]'],
        "verbose_name": [string_literal("naïve", draw)],
    }
    for key, values in pool.items():
        if concrete and key in ("abstract", "proxy"):
            continue
        if draw(st.integers(0, 2)) == 0:
            options.append([f"{key} = {draw(st.sampled_from(values))}"])
    bases = draw(st.sampled_from(["", "", "", "(object)", "(Widget.Meta)", "(BaseMeta, **kw)"]))
    if not options and draw(st.booleans()):
        return [f"class Meta{bases}:", f"{inner}pass"]
    if len(options) == 1 and draw(st.integers(0, 3)) == 0:
        return [f"class Meta{bases}: {options[0][0]}"]  # a one-line suite
    lines = [f"class Meta{bases}:"]
    if not options:
        lines.append(f"{inner}pass")
    for option in options:
        lines.append(f"{inner}{option[0]}")
    return lines


SCOPES = ["Excluded", "User", "Organization", "Config", "Global"]


@dataclass
class ModelFocus:
    """What the model strategy must plant for a rule code."""

    code: str | None

    @property
    def flag(self) -> bool:
        return self.code == "SML104"

    @property
    def legacy_silo(self) -> bool:
        return self.code == "SML106"

    @property
    def field(self) -> str | None:
        return self.code if self.code in ("SML130", "SML133", "SML136") else None


@st.composite
def model_class(draw, plan: Imports, name: str, unit: str, parents: list[str], focus: ModelFocus) -> list[str]:
    ind = unit
    focused = focus.code is not None
    lines: list[str] = []
    # decorators
    deco_choices = [
        "",
        plan.ref("sentry.db.models", "cell_silo_model"),
        plan.ref("sentry.db.models", "control_silo_model"),
        plan.ref("sentry.db.models", "region_silo_model"),
        plan.ref("sentry.db.models", "region_silo_only_model"),
        plan.ref("sentry.db.models", "control_silo_only_model"),
        "sdm.region_silo_model",
        f"{plan.ref('sentry.db.models', 'ModelSiloLimit')}({plan.ref('sentry.silo.base', 'SiloMode')}.CONTROL)",
        f"{plan.ref('sentry.db.models', 'cell_silo_model')}()",
        "dataclass",
        plan.ref("somewhere.unknown", "mystery_model"),
    ]
    decorators = draw(st.lists(st.sampled_from(deco_choices), max_size=2))
    if focus.legacy_silo:
        decorators = [draw(st.sampled_from(["region_silo_model", "region_silo_only_model", "control_silo_only_model"]))]
        decorators[0] = plan.ref("sentry.db.models", decorators[0])
    for deco in decorators:
        if deco:
            lines.append(f"@{deco}")
    # bases
    base_choices = [
        plan.ref("sentry.db.models", "Model"),
        plan.ref("sentry.db.models", "DefaultFieldsModel"),
        plan.ref("sentry.db.models", "DefaultFieldsModelExisting"),
        plan.ref("sentry.db.models", "BaseModel"),
        plan.ref("sentry.db.models.paranoia", "ParanoidModel"),
        plan.ref("sentry.hybridcloud.outbox.base", "ReplicatedControlModel"),
        plan.ref("sentry.hybridcloud.outbox.base", "ReplicatedCellModel"),
        plan.ref("sentry.hybridcloud.outbox.base", "ReplicatedRegionModel"),
        plan.ref("django.db.models", "Model"),
        plan.ref("somewhere.unknown", "BaseThing"),
        "OptionMixin",
        *parents,
    ]
    if focused:
        bases = [
            draw(st.sampled_from([plan.ref("sentry.db.models", "Model"), plan.ref("sentry.db.models", "DefaultFieldsModel")]))
        ]
    else:
        bases = draw(st.lists(st.sampled_from(base_choices), max_size=3, unique=True))
        if draw(st.integers(0, 9)) == 0:
            bases.append(draw(st.sampled_from(["metaclass=type", "*extra_bases", "**options"])))
    lines.append(f"class {name}({', '.join(bases)}):" if bases or draw(st.booleans()) else f"class {name}:")
    body: list[list[str]] = []
    if draw(st.integers(0, 3)) == 0:
        body.append([string_literal("A model: " + draw(ODD_TEXT), draw)])
    scope_ref = plan.ref("sentry.backup.scopes", "RelocationScope")
    if draw(st.integers(0, 3)):
        scope = draw(
            st.sampled_from(
                [
                    f"{scope_ref}.{draw(st.sampled_from(SCOPES))}",
                    f"{{{scope_ref}.User, {scope_ref}.Organization}}",
                    f"{{{scope_ref}.Excluded, {scope_ref}.User}}",
                    f"{scope_ref}.Bogus",
                    '"Organization"',
                    "None",
                    f"frozenset({{{scope_ref}.Global}})",
                    f"({scope_ref}.Config)",
                ]
            )
        )
        if draw(st.integers(0, 4)) == 0:
            body.append([f"__relocation_scope__: {scope_ref} = {scope}"])
        else:
            body.append([f"__relocation_scope__ = {scope}"])
    flags = []
    if focus.flag:
        flags.append((draw(st.sampled_from(["__include_in_export__", "__core__"])), "False"))
    for flag in ("__include_in_export__", "__core__"):
        if draw(st.integers(0, 4)) == 0:
            flags.append((flag, draw(st.sampled_from(["False", "True", "0"]))))
    for flag, value in flags:
        lead = ["# legacy: " + draw(ODD_TEXT).replace("\n", " ")] if draw(st.integers(0, 3)) == 0 else []
        trail = "  # " + draw(ODD_TEXT).replace("\n", " ") if draw(st.integers(0, 3)) == 0 else ""
        body.append([*lead, f"{flag} = {value}{trail}"])
    if draw(st.integers(0, 3)) == 0:
        body.append(
            [
                f"category = {plan.ref('sentry.hybridcloud.outbox.category', 'OutboxCategory')}.{draw(st.sampled_from(['USER_UPDATE', 'NOT_A_MEMBER']))}"
            ]
        )
    for _ in range(draw(st.integers(0, 4))):
        body.append(draw(model_field(plan, ind, unit)))
    if focus.field:
        body.append(draw(model_field(plan, ind, unit, force=focus.field)))
    if draw(st.integers(0, 5)) == 0:
        body.append(
            [
                draw(
                    st.sampled_from(
                        ['db_table = "sentry_widget"', "indexes = []", 'ordering = ("-id",)', 'unique_together = (("a", "b"),)']
                    )
                )
            ]
        )
    if draw(st.integers(0, 5)) == 0:
        body.append([f'__repr__ = {plan.ref("sentry.db.models", "sane_repr")}("name")'])
    if draw(st.integers(0, 9)) == 0:
        body.append([draw(st.sampled_from(["dict = None", "list = tuple", "set = frozenset", "uuid4 = None"]))])
    if draw(st.integers(0, 5)) == 0:
        body.append(["@classmethod", "def get_relocation_scope(cls):", f"{ind}return None"])
    if draw(st.integers(0, 6)) == 0:
        body.append(["def __str__(self):", f"{ind}return {string_literal(draw(ODD_TEXT), draw)}"])
    if draw(st.integers(0, 2)) == 0 or (focused and draw(st.booleans())):
        body.append(draw(meta_class(plan, ind, unit, concrete=focused)))
    body = draw(st.permutations(body))  # the planted statements too: rules must not depend on order
    if not body:
        body.append(["pass"])
    for number, stmt in enumerate(body):
        if number and draw(st.integers(0, 2)) == 0:
            lines.append("")
        for line in stmt:
            lines.append(f"{ind}{line}" if line else "")
    return lines


def _indent_block(lines: list[str], prefix: str) -> list[str]:
    return [prefix + line if line else "" for line in lines]


MODEL_PATHS = [
    "src/sentry/models/widget.py",
    "src/sentry/models/__init__.py",
    "src/sentry/monitors/models.py",
    "src/getsentry/models/widget.py",
    "src/sentry/models/wídget.py",
]


@st.composite
def model_modules(draw, focus: str | None = None) -> Sample:
    modules = [
        "django.db.models",
        "sentry.db.models",
        "sentry.db.models.fields.hybrid_cloud_foreign_key",
        "sentry.backup.scopes",
        "sentry.hybridcloud.outbox.base",
        "sentry.hybridcloud.outbox.category",
        "sentry.db.models.fields.jsonfield",
        "sentry.db.models.paranoia",
        "uuid",
        "django.utils",
        "django.conf",
        "sentry.silo.base",
        "somewhere.unknown",
    ]
    modules = [m for m in modules if focus or draw(st.integers(0, 4))]
    resolvable: frozenset[str] = frozenset()
    needed: dict[str, set[str]] = {}
    if focus:
        resolvable = frozenset({"django.db.models", "sentry.db.models", "sentry.backup.scopes", "uuid", "django.utils"})
        needed = {
            "sentry.db.models": {
                "Model",
                "DefaultFieldsModel",
                "region_silo_model",
                "region_silo_only_model",
                "control_silo_only_model",
                "cell_silo_model",
            },
            "django.db.models": {"JSONField", "CharField", "BigIntegerField", "UUIDField", "DateTimeField"},
            "uuid": {"uuid4", "uuid1"},
            "django.utils": {"timezone"},
        }
    plan = draw(imports(modules, resolvable, needed))
    unit = draw(st.sampled_from(["    ", "    ", "  ", "\t"]))
    lines = header(draw, plan)
    parents: list[str] = []
    if draw(st.integers(0, 2)) == 0:
        base = plan.ref("sentry.db.models", draw(st.sampled_from(["Model", "DefaultFieldsModel"])))
        scope = f"{plan.ref('sentry.backup.scopes', 'RelocationScope')}.Organization"
        parent = ["", "", f"class WidgetBase({base}):"]
        if draw(st.booleans()):
            parent.append(f"{unit}__relocation_scope__ = {scope}")
        if draw(st.booleans()):
            parent += ["", f"{unit}@classmethod", f"{unit}def get_relocation_scope(cls):", f"{unit}{unit}return None"]
        parent += ["", f"{unit}class Meta:", f"{unit}{unit}abstract = True"]
        lines += parent
        parents.append("WidgetBase")
    names = draw(st.lists(st.sampled_from(CLASS_NAMES), min_size=1, max_size=3))
    planted = draw(st.integers(0, len(names) - 1))
    for number, name in enumerate(names):
        cls = draw(model_class(plan, name, unit, parents, ModelFocus(focus if number == planted else None)))
        wrap = draw(st.integers(0, 9)) if number != planted or not focus else 9
        if wrap == 0:
            cls = ["if True:", *_indent_block(cls, unit)]
        elif wrap == 1:
            cls = ["try:", *_indent_block(cls, unit), "except ImportError:", f"{unit}pass"]
        lines += ["", "", *cls]
        if draw(st.integers(0, 5)) == 0:
            lines += ["", "", f"{name}Alias = {name}"]
    newline = draw(st.sampled_from(["\n", "\n", "\n", "\r\n"]))
    trailer = draw(st.sampled_from(["\n", "\n", "\n", "", "\n\n"]))
    source = newline.join(lines) + trailer.replace("\n", newline)
    return Sample(draw(st.sampled_from(MODEL_PATHS)), source)


# --- migrations ----------------------------------------------------------------------------------


@dataclass
class MigrationNames:
    plan: Imports

    def op(self, name: str) -> str:
        return self.plan.ref("django.db.migrations", name)

    def models(self, name: str) -> str:
        return self.plan.ref("django.db.models", name)

    def sentry(self, module: str, name: str) -> str:
        return self.plan.ref(module, name)


def sql_text(draw) -> str:
    sql = draw(
        st.sampled_from(
            [
                "UPDATE sentry_widget SET note = ''",
                "CREATE INDEX widget_idx ON sentry_widget (note)",
                "CREATE INDEX CONCURRENTLY widget_idx ON sentry_widget (note)",
                "CREATE UNIQUE INDEX widget_idx ON sentry_widget (note)",
                "DROP INDEX widget_idx",
                "DROP INDEX CONCURRENTLY IF EXISTS widget_idx",
                "create index x on y (z)",
                "SELECT 1 -- naïve 🎉",
            ]
        )
    )
    form = draw(st.sampled_from(["plain", "plain", "triple", "list", "concat"]))
    if form == "triple":
        return '"""\n' + sql.replace("ON", "\nON") + '\n"""'
    if form == "list":
        return f"[{string_literal(sql, draw)}, {string_literal('SELECT 1', draw)}]"
    if form == "concat":
        half = len(sql) // 2
        return f"{string_literal(sql[:half], draw)} {string_literal(sql[half:], draw)}"
    return string_literal(sql, draw)


def hints_arg(draw) -> list[str]:
    return draw(
        st.sampled_from(
            [
                [],
                ['hints={"tables": ["sentry_widget"]}'],
                ['hints={"tables": []}'],
                ["hints={}"],
                ["hints=HINTS"],
            ]
        )
    )


def arguments(draw, spec: list[tuple[str, str]], optional: list[str], focus: bool = False) -> list[str]:
    """Arguments of a call: ``spec`` are (keyword, value) of the leading parameters, given
    positionally, by keyword, or left out at the end; ``optional`` are extra keyword args."""
    styles = ["positional", "keyword", "mixed"] if focus else ["positional", "keyword", "keyword", "mixed", "missing", "kwargs"]
    style = draw(st.sampled_from(styles))
    if style == "missing":
        spec = spec[: draw(st.integers(0, max(0, len(spec) - 1)))]
    positional: list[str] = []
    keywords: list[str] = []
    for number, (keyword, value) in enumerate(spec):
        if style == "positional" or (style == "mixed" and number == 0):
            positional.append(value)
        else:
            keywords.append(f"{keyword}={value}")
    keywords += optional
    if style == "kwargs":
        keywords.append("**common")
    return positional + list(draw(st.permutations(keywords)))


def field_call(draw, names: MigrationNames, force: str | None = None) -> str:
    kind = draw(
        st.sampled_from(
            ["TextField", "BooleanField", "IntegerField", "CharField", "ManyToManyField", "BigIntegerField", "JSONField"]
        )
    )
    args: list[str] = []
    target = ['"sentry.Project"'] if kind == "ManyToManyField" else []
    if kind == "CharField":
        args.append("max_length=" + draw(st.sampled_from(["64", "255"])))
    if force == "SML210":
        args.append("default=" + draw(st.sampled_from(["True", "False", "0", "-1", "1.5", '"x"', "'naïve'", '"a" "b"'])))
    elif draw(st.booleans()):
        args.append("default=" + draw(st.sampled_from(["True", "0", '"x"', "None", "dict", "{}", "timezone.now", "-1"])))
    if draw(st.booleans()):
        args.append("null=" + draw(st.sampled_from(["True", "False"])))
    if force != "SML210" and draw(st.integers(0, 3)) == 0:
        args.append("db_default=" + draw(st.sampled_from(["True", "0", "Now()", '""'])))
    if draw(st.integers(0, 5)) == 0:
        args.append(f"db_column={string_literal(draw(st.sampled_from(['col', LONG_NAME, MULTIBYTE_LONG])), draw)}")
    return f"{names.models(kind)}({', '.join(target + list(draw(st.permutations(args))))})"


OP_KINDS = [
    "AddField",
    "RemoveField",
    "SafeRemoveField",
    "DeleteModel",
    "SafeDeleteModel",
    "RenameField",
    "RenameModel",
    "AlterModelTable",
    "RunSQL",
    "SafeRunSQL",
    "RunPython",
    "AddIndex",
    "AddConstraint",
    "CreateModel",
    "AlterField",
    "CreateExtension",
    "Custom",
    "SeparateDatabaseAndState",
]


def deletion_action(draw, names: MigrationNames) -> list[str]:
    action = names.sentry("sentry.new_migrations.monkey.state", "DeletionAction")
    return draw(
        st.sampled_from(
            [
                [f"deletion_action={action}.MOVE_TO_PENDING"],
                [f"deletion_action={action}.DELETE"],
                [],
                ["deletion_action=None"],
                [f"deletion_action={action}.BOGUS"],
            ]
        )
    )


def operation(draw, names: MigrationNames, depth: int, kind: str | None = None) -> str:
    """One operation expression (may span lines; continuation lines carry no indentation)."""
    if kind is None:
        kinds = OP_KINDS if depth < 2 else OP_KINDS[:-1]
        kind = draw(st.sampled_from(kinds))
    focus = kind.startswith("focus:")
    if focus:
        kind = kind[len("focus:") :]
    model = string_literal(draw(st.sampled_from(["widget", "Widget", "gadget", "naïve", MULTIBYTE_LONG])), draw)
    fname = string_literal(draw(st.sampled_from(["note", "enabled", "project_id", LONG_NAME])), draw)
    if kind == "AddField":
        field = field_call(draw, names, "SML210" if focus else None)
        args = arguments(
            draw,
            [("model_name", model), ("name", fname), ("field", field)],
            draw(st.sampled_from([[], ["preserve_default=False"]])),
            focus,
        )
        return f"{names.op('AddField')}({', '.join(args)})"
    if kind == "AlterField":
        args = arguments(draw, [("model_name", model), ("name", fname), ("field", field_call(draw, names))], [])
        return f"{names.op('AlterField')}({', '.join(args)})"
    if kind == "RemoveField":
        return f"{names.op('RemoveField')}({', '.join(arguments(draw, [('model_name', model), ('name', fname)], [], focus))})"
    if kind == "SafeRemoveField":
        args = arguments(draw, [("model_name", model), ("name", fname)], deletion_action(draw, names))
        return f"{names.sentry('sentry.new_migrations.monkey.fields', 'SafeRemoveField')}({', '.join(args)})"
    if kind == "DeleteModel":
        return f"{names.op('DeleteModel')}({', '.join(arguments(draw, [('name', model)], [], focus))})"
    if kind == "SafeDeleteModel":
        args = arguments(draw, [("name", model)], deletion_action(draw, names))
        return f"{names.sentry('sentry.new_migrations.monkey.models', 'SafeDeleteModel')}({', '.join(args)})"
    if kind == "RenameField":
        args = arguments(draw, [("model_name", model), ("old_name", fname), ("new_name", RENAMED)], [])
        return f"{names.op('RenameField')}({', '.join(args)})"
    if kind == "RenameModel":
        return f"{names.op('RenameModel')}({', '.join(arguments(draw, [('old_name', model), ('new_name', OTHER)], []))})"
    if kind == "AlterModelTable":
        return f"{names.op('AlterModelTable')}({', '.join(arguments(draw, [('name', model), ('table', OTHER_TABLE)], []))})"
    if kind in ("RunSQL", "SafeRunSQL"):
        reverse = draw(
            st.sampled_from(
                [[], [f"reverse_sql={names.op('RunSQL')}.noop"], ['reverse_sql=""'], [f"reverse_sql={sql_text(draw)}"]]
            )
        )
        args = arguments(draw, [("sql", sql_text(draw))], reverse + hints_arg(draw), focus)
        func = names.op("RunSQL") if kind == "RunSQL" else names.sentry("sentry.new_migrations.monkey.special", "SafeRunSQL")
        return f"{func}({', '.join(args)})"
    if kind == "RunPython":
        code = draw(
            st.sampled_from(
                ["forward", "forward", "lambda apps, schema_editor: None", f"{names.op('RunPython')}.noop", "backfill"]
            )
        )
        reverse = draw(st.sampled_from(["", "None"] if focus else ["", "", "backward", f"{names.op('RunPython')}.noop", "None"]))
        spec = [("code", code)] + ([("reverse_code", reverse)] if reverse else [])
        extra = hints_arg(draw) + draw(st.sampled_from([[], ["elidable=True"], ["atomic=False"]]))
        return f"{names.op('RunPython')}({', '.join(arguments(draw, spec, extra, focus))})"
    if kind == "AddIndex":
        index_name = draw(st.sampled_from(['name="widget_note_idx"', f"name={string_literal(LONG_NAME, draw)}", ""]))
        index = f'{names.models("Index")}(fields=["note"]{", " + index_name if index_name else ""})'
        func = draw(
            st.sampled_from([names.op("AddIndex"), names.sentry("django.contrib.postgres.operations", "AddIndexConcurrently")])
        )
        return f"{func}({', '.join(arguments(draw, [('model_name', model), ('index', index)], []))})"
    if kind == "AddConstraint":
        constraint = draw(
            st.sampled_from(
                [
                    f'{names.models("UniqueConstraint")}(fields=["a", "b"], name="uniq_ab")',
                    f'{names.models("UniqueConstraint")}(fields=["a"], name={string_literal(LONG_NAME, draw)})',
                    f'{names.models("CheckConstraint")}(check=Q(a__gte=0), name="a_pos")',
                    f'{names.sentry("django.contrib.postgres.constraints", "ExclusionConstraint")}(name="excl", expressions=[])',
                    f'{names.models("UniqueConstraint")}(fields=["a"])',
                ]
            )
        )
        return (
            f"{names.op('AddConstraint')}({', '.join(arguments(draw, [('model_name', model), ('constraint', constraint)], []))})"
        )
    if kind == "CreateModel":
        fields = f'[("id", {names.models("BigAutoField")}(primary_key=True)), ("note", {field_call(draw, names)})]'
        options = draw(
            st.sampled_from(
                [
                    [],
                    ['options={"db_table": "sentry_widget"}'],
                    [f'options={{"db_table": {string_literal("sentry_" + LONG_NAME, draw)}}}'],
                ]
            )
        )
        return f"{names.op('CreateModel')}({', '.join(arguments(draw, [('name', model), ('fields', fields)], options))})"
    if kind == "CreateExtension":
        func = names.sentry("django.contrib.postgres.operations", draw(st.sampled_from(["CreateExtension", "TrigramExtension"])))
        ext_args = ['"pg_trgm"'] if func.endswith("CreateExtension") else []
        return f"{func}({', '.join(ext_args + hints_arg(draw))})"
    if kind == "Custom":
        return draw(
            st.sampled_from(["MyOperation()", "OPERATION", "make_operation(1)", f"{names.op('RunSQL')}.noop", "*EXTRA_OPS"])
        )
    # SeparateDatabaseAndState
    db_ops = [operation(draw, names, depth + 1) for _ in range(draw(st.integers(0, 2)))]
    state_ops = [operation(draw, names, depth + 1) for _ in range(draw(st.integers(0, 2)))]
    parts = []
    form = draw(st.sampled_from(["both", "both", "db", "state", "positional"]))
    if form == "positional":
        parts = [f"[{', '.join(db_ops)}]", f"[{', '.join(state_ops)}]"]
    else:
        if form in ("both", "db"):
            parts.append(f"database_operations=[{', '.join(db_ops)}]")
        if form in ("both", "state"):
            parts.append(f"state_operations=({', '.join(state_ops)}{',' if len(state_ops) == 1 else ''})")
        parts = draw(st.permutations(parts))
    return f"{names.op('SeparateDatabaseAndState')}({', '.join(parts)})"


OTHER, RENAMED, OTHER_TABLE = '"Other"', '"renamed"', '"sentry_other"'
MIGRATION_FOCUS_OPS = {
    "SML210": "AddField",
    "SML220": "RemoveField",
    "SML221": "DeleteModel",
    "SML240": "RunSQL",
    "SML242": "RunPython",
}

MIGRATION_PATHS = [
    "src/sentry/migrations/0002_x.py",
    "src/sentry/migrations/1001_add_widget_note.py",
    "src/getsentry/migrations/0123_y.py",
    "src/sentry/uptime/migrations/0003_z.py",
    "src/sentry/migrations/0005_squashed_x.py",
]


@st.composite
def migration_modules(draw, focus: str | None = None) -> Sample:
    modules = [
        "django.db.migrations",
        "django.db.models",
        "sentry.new_migrations.migrations",
        "sentry.new_migrations.monkey.fields",
        "sentry.new_migrations.monkey.models",
        "sentry.new_migrations.monkey.state",
        "sentry.new_migrations.monkey.special",
        "django.contrib.postgres.operations",
        "django.contrib.postgres.constraints",
        "sentry.models.project",
        "django.utils",
    ]
    modules = [m for m in modules if draw(st.integers(0, 4)) or m == "django.db.migrations"]
    resolvable = (
        frozenset({"django.db.migrations", "django.db.models", "sentry.new_migrations.migrations"}) if focus else frozenset()
    )
    needed = {"django.db.migrations": {"RunPython", "RemoveField", "DeleteModel", "RunSQL", "AddField"}} if focus else {}
    plan = draw(imports(modules, resolvable, needed))
    names = MigrationNames(plan)
    unit = draw(st.sampled_from(["    ", "    ", "  ", "\t"]))
    lines = header(draw, plan)
    # RunPython code
    for func in draw(st.lists(st.sampled_from(["forward", "backward", "backfill"]), unique=True, max_size=2)):
        body = draw(
            st.sampled_from(
                [
                    [f"{unit}pass"],
                    [f'{unit}Widget = apps.get_model("sentry", "Widget")', f"{unit}Widget.objects.all().delete()"],
                    [f"{unit}{plan.ref('sentry.models.project', 'Project')}.objects.all().delete()"],
                    [
                        f"{unit}from sentry.models.widget import Widget",
                        f"{unit}for w in Widget.objects.all():",
                        f"{unit}{unit}w.save()",
                    ],
                ]
            )
        )
        params = draw(st.sampled_from(["apps, schema_editor", "apps, _", "*args"]))
        lines += ["", "", f"def {func}({params}):", *body]
    if draw(st.integers(0, 4)) == 0:
        lines += ["", 'HINTS = {"tables": ["sentry_widget"]}']
    # the Migration class
    base = draw(
        st.sampled_from(
            [
                plan.ref("sentry.new_migrations.migrations", "CheckedMigration"),
                plan.ref("sentry.new_migrations.migrations", "CheckedMigration"),
                names.op("Migration"),
                "BaseMigration",
                "",
            ]
        )
    )
    if focus:
        base = plan.ref("sentry.new_migrations.migrations", "CheckedMigration")
    body: list[list[str]] = []
    if draw(st.integers(0, 4)) == 0:
        body.append([string_literal(draw(ODD_TEXT), draw)])
    no_flag = focus in ("SML202", "SML203")  # those focuses plant their own flag line
    post = None if no_flag else draw(st.sampled_from(["False", "True", None, "None", '"no"', "0"]))
    if post is not None:
        if draw(st.integers(0, 5)) == 0:
            body.append([f"is_post_deployment: bool = {post}"])
        else:
            body.append([f"is_post_deployment = {post}"])
    if focus == "SML203" or (focus is None and draw(st.integers(0, 4)) == 0):
        trail = "  # legacy" if draw(st.integers(0, 3)) == 0 else ""
        annotation = ": bool" if draw(st.integers(0, 4)) == 0 else ""
        body.append([f"is_dangerous{annotation} = {draw(st.sampled_from(['False', 'True']))}{trail}"])
    if not focus and draw(st.integers(0, 6)) == 0:
        body.append(["checked = False"])
    if not focus and draw(st.integers(0, 8)) == 0:
        body.append([draw(st.sampled_from(['replaces = [("sentry", "0001_initial")]', "replaces = []"]))])
    if draw(st.integers(0, 4)) == 0:
        body.append(["initial = True"])
    if draw(st.integers(0, 4)) == 0:
        body.append(["atomic = False"])
    deps = draw(
        st.sampled_from(
            ['[("sentry", "0001_initial")]', "[]", '[\n("sentry", "0001_initial"),\n("uptime", "0002_x"),\n]', "DEPS"]
        )
    )
    body.append([f"dependencies = {deps}".split("\n")[0], *deps.split("\n")[1:]] if "\n" in deps else [f"dependencies = {deps}"])
    # operations
    ops = [operation(draw, names, 0) for _ in range(draw(st.integers(0, 4)))]
    if focus in MIGRATION_FOCUS_OPS:
        where = draw(st.integers(0, len(ops)))
        planted = operation(draw, names, 0, "focus:" + MIGRATION_FOCUS_OPS[focus])
        ops.insert(where, planted)
    container = draw(st.sampled_from(["list", "list", "list", "tuple", "starred", "concat"])) if not focus else "list"
    op_lines: list[str] = []
    if container in ("list", "tuple", "starred") and (draw(st.booleans()) or focus):
        open_, close = ("[", "]") if container != "tuple" else ("(", ")")
        op_lines.append(f"operations = {open_}")
        for op in ops:
            if draw(st.integers(0, 5)) == 0:
                op_lines.append(f"{unit}# " + draw(ODD_TEXT).replace("\n", " "))
            op_lines.extend(f"{unit}{part}" for part in (op + ",").split("\n"))
        if container == "starred":
            op_lines.append(f"{unit}*EXTRA,")
        op_lines.append(close)
    elif container == "concat":
        op_lines.append(f"operations = [{', '.join(ops)}] + EXTRA")
    else:
        open_, close = ("[", "]") if container != "tuple" else ("(", ")")
        trailing = "," if container == "tuple" and len(ops) == 1 else ""
        op_lines.append(f"operations = {open_}{', '.join(ops)}{trailing}{close}")
    # continuation lines of multi-line strings must not be re-indented; the others may stay flat
    body.append(op_lines)
    body = draw(st.permutations(body)) if not focus else body
    cls = [f"class Migration({base}):" if base else "class Migration:"]
    if not focus and draw(st.integers(0, 9)) == 0:
        body = [[f"operations = [{', '.join(ops)}]; is_post_deployment = False"]]  # a one-line suite
        cls[0] += " " + body[0][0]
        body = []
    for number, stmt in enumerate(body):
        if number and draw(st.booleans()):
            cls.append("")
        cls.extend(f"{unit}{line}" if line else "" for line in stmt)
    lines += ["", "", *cls]
    newline = draw(st.sampled_from(["\n", "\n", "\n", "\r\n"]))
    source = newline.join(lines) + newline
    path = draw(st.sampled_from(MIGRATION_PATHS if not focus else MIGRATION_PATHS[:4]))
    return Sample(path, source)


# --- migration tests -----------------------------------------------------------------------------

HOOK_NAMES = [
    "setup_before_migration",
    "setup_initial_state",
    "setUpBeforeMigration",
    "setup_before_migrations",
    "setupBeforeMigrate",
    "before_migration",
    "setUpInitialState",
    "setup_inital_state",
]
MISSPELLED = HOOK_NAMES[2:]
TEST_PATHS = [
    "tests/sentry/migrations/test_0002_x.py",
    "tests/sentry/migrations/test_1001_backfill_widget_note.py",
    "tests/getsentry/migrations/test_0123_y.py",
    "tests/sentry/models/test_widget.py",
    "src/sentry/testutils/migration_cases.py",
]


@st.composite
def migration_test_modules(draw, focus: str | None = None) -> Sample:
    modules = ["sentry.testutils.cases", "pytest", "unittest", "sentry.models.project", "somewhere.unknown"]
    modules = [m for m in modules if focus or draw(st.integers(0, 3))]
    resolvable = frozenset({"sentry.testutils.cases"}) if focus else frozenset()
    needed = {"sentry.testutils.cases": {"TestMigrations"}} if focus else {}
    plan = draw(imports(modules, resolvable, needed))
    unit = draw(st.sampled_from(["    ", "  ", "\t"]))
    lines = header(draw, plan)
    if focus == "SML306" and plan.styles.get("pytest") != "module":
        lines.append("import pytest")
    pytest_name = "pytest" if focus == "SML306" or plan.styles.get("pytest") != "module" else plan.module_alias["pytest"]
    count = draw(st.integers(1, 2))
    planted = draw(st.integers(0, count - 1))
    for number in range(count):
        focused = focus if number == planted else None
        name = draw(st.sampled_from(["BackfillWidgetNoteTest", "WidgetTest", "TestÜnicode", "Test"])) + str(number)
        decorators = draw(
            st.lists(
                st.sampled_from(
                    [
                        f'{pytest_name}.skip("flaky")',
                        f'{pytest_name}.skip(reason="flaky")',
                        f"{pytest_name}.skip",
                        f'{pytest_name}.skip("a", "b")',
                        f'{pytest_name}.skip(msg="x")',
                        f'{pytest_name}.mark.skip(reason="flaky")',
                        f"{pytest_name}.mark.skipif(True, reason='x')",
                        'unittest.skip("x")',
                        "override_settings(A=1)",
                    ]
                ),
                max_size=2,
            )
        )
        if focused == "SML306":
            decorators.insert(
                0,
                draw(
                    st.sampled_from(
                        [f'{pytest_name}.skip("flaky")', f'{pytest_name}.skip(reason="flaky")', f"{pytest_name}.skip()"]
                    )
                ),
            )
        base = plan.ref("sentry.testutils.cases", "TestMigrations")
        bases = draw(
            st.sampled_from(
                [base, base, f"{base}, Mixin", "BaseTest", "TestMigrations", plan.ref("sentry.testutils.cases", "TestCase"), ""]
            )
        )
        if focused:
            bases = base
        body: list[list[str]] = []
        quote = draw(st.sampled_from(["double", "single", "triple", "raw", "name", "missing", "fstring", "annotated"]))
        for attr, value in (("migrate_from", "0001_initial"), ("migrate_to", "0002_x")):
            q = quote if not focused or focused != "SML302" else draw(st.sampled_from(["single", "single", "double"]))
            if focused == "SML302" and attr == "migrate_to":
                q = "single"
            if not focused and draw(st.integers(0, 2)) == 0:
                q = draw(st.sampled_from(["double", "single", "triple", "raw", "name", "missing", "fstring", "annotated"]))
            literal = {
                "double": f'"{value}"',
                "single": f"'{value}'",
                "triple": f'"""{value}"""',
                "raw": f"r'{value}'",
                "name": "MIGRATION_" + value.upper(),
                "fstring": f"f'{value}'",
                "annotated": f"'{value}'",
            }.get(q)
            if literal is None:
                continue
            if q == "annotated":
                body.append([f"{attr}: str = {literal}"])
            else:
                trail = "  # " + draw(ODD_TEXT).replace("\n", " ") if draw(st.integers(0, 4)) == 0 else ""
                body.append([f"{attr} = {literal}{trail}"])
        if draw(st.booleans()):
            app = draw(st.sampled_from(['"sentry"', "'sentry'", '"uptime"']))
            body.append([f"app = {app}"])
        hooks = draw(st.lists(st.sampled_from(HOOK_NAMES), max_size=2, unique=True))
        if focused == "SML304":
            hooks = [h for h in hooks if h not in MISSPELLED] + [draw(st.sampled_from(MISSPELLED))]
        for hook in hooks:
            params = draw(
                st.sampled_from(["self, apps", "self, apps", "self", "self, *args", "self, apps, extra=1", "self, apps, extra"])
            )
            if focused == "SML304" and hook in MISSPELLED:
                params = "self, apps" if "before" in hook.lower() else draw(st.sampled_from(["self", "self, apps"]))
            hook_body = draw(
                st.sampled_from(
                    [
                        ["pass"],
                        ['Widget = apps.get_model("sentry", "Widget")', "self.widget = Widget.objects.create()"],
                        [f"self.project = {plan.ref('sentry.models.project', 'Project')}.objects.create()"],
                        ["from sentry.models.widget import Widget", "Widget.objects.create()"],
                    ]
                )
            )
            prefix = draw(st.sampled_from(["def", "def", "def", "async def"])) if not focused else "def"
            body.append([f"{prefix} {hook}({params}):", *[unit + line for line in hook_body]])
        tests = draw(
            st.lists(
                st.sampled_from(["test", "test_backfill", "test_other", "testNoUnderscore", "helper"]), max_size=3, unique=True
            )
        )
        for test in tests:
            call = draw(
                st.sampled_from(
                    ["pass", "assert self.widget", "self.setUpBeforeMigration(None)", 'getattr(self, "setup_before_migrations")']
                )
            )
            if focused == "SML304":
                call = "pass"
            body.append([f"def {test}(self):", unit + call])
        if draw(st.integers(0, 6)) == 0:
            body.append(["pytestmark = [pytest.mark.skip]"])
        body = draw(st.permutations(body))
        lines += ["", ""]
        lines += [f"@{d}" for d in decorators]
        lines.append(f"class {name}({bases}):" if bases else f"class {name}:")
        if not body:
            body = [["pass"]]
        for number_, stmt in enumerate(body):
            if number_ and draw(st.booleans()):
                lines.append("")
            lines.extend(unit + line for line in stmt)
    newline = draw(st.sampled_from(["\n", "\n", "\r\n"]))
    path = draw(st.sampled_from(TEST_PATHS if not focus else TEST_PATHS[:3]))
    return Sample(path, newline.join(lines) + newline)


def sentry_modules() -> st.SearchStrategy[Sample]:
    """Any of the three kinds, unfocused."""
    return st.one_of(model_modules(), migration_modules(), migration_test_modules())


#: code -> the strategy that plants a finding of it
FOCUSED = {
    **{code: "model" for code in ("SML104", "SML106", "SML130", "SML133", "SML136")},
    **{code: "migration" for code in ("SML202", "SML203", "SML210", "SML220", "SML221", "SML240", "SML242")},
    **{code: "test" for code in ("SML302", "SML304", "SML306")},
}


def focused(code: str) -> st.SearchStrategy[Sample]:
    kind = FOCUSED[code]
    if kind == "model":
        return model_modules(focus=code)
    if kind == "migration":
        return migration_modules(focus=code)
    return migration_test_modules(focus=code)
