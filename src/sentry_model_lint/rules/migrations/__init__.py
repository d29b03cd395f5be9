"""SML2xx: rules for migration files, one module per concern.

``flags`` (the Migration class), ``columns`` (adding and renaming), ``deletions`` (the pending
phase), ``code`` (SQL and Python operations) and ``indexes`` (indexes, constraints, identifiers).
Importing this package registers every rule in it.
"""

from sentry_model_lint.rules.migrations import code, columns, deletions, flags, indexes

__all__ = ["code", "columns", "deletions", "flags", "indexes"]
