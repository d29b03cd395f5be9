"""Rule families. Importing this package registers every rule."""

from sentry_model_lint.rules import migration_tests, migrations, models, project  # noqa: F401
from sentry_model_lint.rules.base import REGISTRY, Family, Fix, Rule, Violation, all_rules, get_rule

__all__ = ["REGISTRY", "Family", "Fix", "Rule", "Violation", "all_rules", "get_rule"]
