"""Rule families: one module per family; ``rules.base.all_rules()`` imports and registers them.

Importing this package (or ``rules.base``) stays cheap: the families load the first time the
rules themselves are needed, so a run served from the results cache never imports them.
"""

FAMILIES = ("models", "migrations", "migration_tests", "project")
#: codes of the rules that run only when selected (``Rule.default_on = False``); kept here so the
#: flake8 adapter can tell flake8 without loading the rules (a test checks it against them)
DEFAULT_OFF = ("SML134", "SML135", "SML412")
