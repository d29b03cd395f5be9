"""SML1xx: rules for model files, one module per concern.

``relocation`` (scopes, legacy export flags), ``silos`` (silo decorators, replication),
``foreign_keys``, ``meta`` (Meta options, names, identifier lengths) and ``fields`` (field
classes and values). Importing this package registers every rule in it.
"""

from sentry_model_lint.rules.models import fields, foreign_keys, meta, relocation, silos

__all__ = ["fields", "foreign_keys", "meta", "relocation", "silos"]
