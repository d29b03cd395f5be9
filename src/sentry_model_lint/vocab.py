"""The vocabulary: Sentry's and Django's names and limits, written once.

Canonical dotted paths of the classes, decorators, operations and enum members the rules look
for, the legacy spellings they replace, and the database limits they enforce. Rules, fixes, the
replay and the name resolver import from here; nothing here imports from the rest of the package.
"""

from __future__ import annotations

from collections.abc import Mapping

# --- sentry.db.models ---------------------------------------------------------------------------

SENTRY_DB_MODELS = "sentry.db.models"


def sentry(name: str) -> str:
    """Canonical path of a ``sentry.db.models`` re-export."""
    return f"{SENTRY_DB_MODELS}.{name}"


#: public names of ``sentry.db.models.base`` (all also re-exported by ``sentry.db.models``)
BASE_EXPORTS = frozenset(
    {
        "BaseModel",
        "Model",
        "DefaultFieldsModel",
        "DefaultFieldsModelExisting",
        "sane_repr",
        "get_model_if_available",
        "ModelSiloLimit",
        "cell_silo_model",
        "region_silo_model",
        "control_silo_model",
        "region_silo_only_model",
        "control_silo_only_model",
        "control_silo_with_replication_model",
        "customer_silo_model",
        "all_silo_model",
    }
)

#: Names reachable as ``sentry.db.models.<name>`` (re-exported from .base, .fields, .paranoia).
SENTRY_DB_MODELS_EXPORTS = BASE_EXPORTS | frozenset(
    {
        # fields
        "FlexibleForeignKey",
        "BoundedAutoField",
        "BoundedBigAutoField",
        "BoundedIntegerField",
        "BoundedBigIntegerField",
        "BoundedPositiveIntegerField",
        "BoundedPositiveBigIntegerField",
        "WrappingU32IntegerField",
        "ArrayField",
        "CIEmailField",
        "EncryptedCharField",
        "EncryptedJsonField",
        "EncryptedPickledObjectField",
        "EncryptedTextField",
        "GzippedDictField",
        "NodeField",
        "OneToOneCascadeDeletes",
        "PickledObjectField",
        "SentrySlugField",
        "SentryOrgSlugField",
        "UUIDField",
        "CharField",
        "EmailField",
        "CITextField",
        "CICharField",
        "EncryptedJSONField",
        "ExternalDataMappingField",
        "NodeData",
        # manager / query / paranoia
        "BaseManager",
        "ParanoidModel",
        "ParanoidManager",
        "update",
        "create_or_update",
    }
)

HYBRID_CLOUD_FK_MODULE = "sentry.db.models.fields.hybrid_cloud_foreign_key"
HYBRID_CLOUD_FK = f"{HYBRID_CLOUD_FK_MODULE}.HybridCloudForeignKey"
HCFK_CASCADE_BEHAVIOR = f"{HYBRID_CLOUD_FK_MODULE}.HybridCloudForeignKeyCascadeBehavior"
LEGACY_JSON_FIELDS = frozenset(
    {
        "sentry.db.models.fields.jsonfield.JSONField",
        "sentry.db.models.fields.jsonfield.LegacyTextJSONField",
    }
)
PARANOID_MODEL = sentry("ParanoidModel")
MODEL_SILO_LIMIT = sentry("ModelSiloLimit")
#: modules a fix may import a ``Bounded*`` field from
BOUNDED_MODULES = (SENTRY_DB_MODELS, "sentry.db.models.fields", "sentry.db.models.fields.bounded")

# --- models: relocation, silos, replication -----------------------------------------------------

SCOPES_MODULE = "sentry.backup.scopes"
SCOPE_ATTR = "__relocation_scope__"
SCOPE_MEMBERS = frozenset({"Excluded", "User", "Organization", "Config", "Global"})
#: export flags that came before ``__relocation_scope__``
LEGACY_EXPORT_FLAGS = ("__include_in_export__", "__core__")

OUTBOX_CATEGORY = "sentry.hybridcloud.outbox.category.OutboxCategory"
SILO_MODE = "sentry.silo.base.SiloMode"
REPLICATED_CELL = "sentry.hybridcloud.outbox.base.ReplicatedCellModel"
REPLICATED_REGION = "sentry.hybridcloud.outbox.base.ReplicatedRegionModel"
REPLICATED_CONTROL = "sentry.hybridcloud.outbox.base.ReplicatedControlModel"
REPLICATED_BASES = frozenset({REPLICATED_CELL, REPLICATED_REGION, REPLICATED_CONTROL})

#: silo decorators (every era) -> the silo modes they place a model in
SILO_DECORATOR_MODES: Mapping[str, frozenset[str]] = {
    sentry("cell_silo_model"): frozenset({"CELL"}),
    sentry("region_silo_model"): frozenset({"CELL"}),
    sentry("region_silo_only_model"): frozenset({"CELL"}),
    sentry("customer_silo_model"): frozenset({"CELL"}),
    sentry("control_silo_model"): frozenset({"CONTROL"}),
    sentry("control_silo_only_model"): frozenset({"CONTROL"}),
    sentry("control_silo_with_replication_model"): frozenset({"CONTROL"}),
    sentry("all_silo_model"): frozenset({"CELL", "CONTROL"}),
}
#: modules that define the silo decorators
SILO_MODULES = (SENTRY_DB_MODELS, "sentry.db.models.base")

#: Abstract bases that make a class a Sentry model.
SENTRY_MODEL_BASES = frozenset(
    {
        sentry("BaseModel"),
        sentry("Model"),
        sentry("DefaultFieldsModel"),
        sentry("DefaultFieldsModelExisting"),
        PARANOID_MODEL,
        *REPLICATED_BASES,
    }
)

# --- Django models and fields -------------------------------------------------------------------

DJANGO_MODEL = "django.db.models.Model"
DJANGO_FK = "django.db.models.ForeignKey"
DJANGO_O2O = "django.db.models.OneToOneField"
FLEXIBLE_FK = sentry("FlexibleForeignKey")
#: fields that create a foreign-key column (and, unless told otherwise, a database constraint)
FK_CLASSES = frozenset({DJANGO_FK, DJANGO_O2O, FLEXIBLE_FK, sentry("OneToOneCascadeDeletes")})
MANY_TO_MANY = "django.db.models.ManyToManyField"
UNIQUE_CONSTRAINT = "django.db.models.UniqueConstraint"
EXCLUSION_CONSTRAINT = "django.contrib.postgres.constraints.ExclusionConstraint"
AUTH_USER_MODEL = "django.conf.settings.AUTH_USER_MODEL"

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

#: PostgreSQL's identifier limit (NAMEDATALEN - 1), in bytes of UTF-8
PG_IDENTIFIER_MAX_BYTES = 63


def identifier_too_long(text: object) -> bool:
    """Whether ``text`` is a name PostgreSQL would truncate (over 63 bytes of UTF-8)."""
    return isinstance(text, str) and len(text.encode("utf-8")) > PG_IDENTIFIER_MAX_BYTES


# --- migrations ---------------------------------------------------------------------------------

DJANGO_MIGRATION = "django.db.migrations.Migration"
#: the class attributes that mark a post-deployment migration: today's name, then the 2023 one
POST_DEPLOYMENT_FLAGS = ("is_post_deployment", "is_dangerous")
CHECKED_MIGRATION = "sentry.new_migrations.migrations.CheckedMigration"
TEST_MIGRATIONS = "sentry.testutils.cases.TestMigrations"


def django_op(name: str) -> str:
    """Canonical path of a Django migration operation."""
    return f"django.db.migrations.{name}"


ADD_FIELD, ALTER_FIELD, REMOVE_FIELD, RENAME_FIELD = (
    django_op("AddField"),
    django_op("AlterField"),
    django_op("RemoveField"),
    django_op("RenameField"),
)
CREATE_MODEL, DELETE_MODEL, RENAME_MODEL = django_op("CreateModel"), django_op("DeleteModel"), django_op("RenameModel")
ALTER_MODEL_TABLE, ALTER_MODEL_OPTIONS = django_op("AlterModelTable"), django_op("AlterModelOptions")
ADD_INDEX, REMOVE_INDEX = django_op("AddIndex"), django_op("RemoveIndex")
ADD_CONSTRAINT, REMOVE_CONSTRAINT = django_op("AddConstraint"), django_op("RemoveConstraint")
RUN_SQL, RUN_PYTHON = django_op("RunSQL"), django_op("RunPython")
RUN_PYTHON_NOOP = f"{RUN_PYTHON}.noop"
SEPARATE = django_op("SeparateDatabaseAndState")
PG_OPERATIONS = "django.contrib.postgres.operations"
ADD_INDEX_CONCURRENTLY = f"{PG_OPERATIONS}.AddIndexConcurrently"

SAFE_REMOVE_FIELD = "sentry.new_migrations.monkey.fields.SafeRemoveField"
SAFE_DELETE_MODEL = "sentry.new_migrations.monkey.models.SafeDeleteModel"
SAFE_RUN_SQL = "sentry.new_migrations.monkey.special.SafeRunSQL"
DELETION_ACTION = "sentry.new_migrations.monkey.state.DeletionAction"
MOVE_TO_PENDING = f"{DELETION_ACTION}.MOVE_TO_PENDING"
DELETE = f"{DELETION_ACTION}.DELETE"


def split(path: str) -> tuple[str, str]:
    """``("a.b", "C")`` for ``"a.b.C"``: the module to import a name from, and the name."""
    module, _, name = path.rpartition(".")
    return module, name
