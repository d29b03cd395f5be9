"""SML2xx: rules for migration files, one module per concern.

``flags`` (the Migration class), ``columns`` (adding and renaming), ``deletions`` (the pending
phase), ``code`` (SQL and Python operations) and ``indexes`` (indexes, constraints, identifiers).
Importing this package imports every module in it, which registers their rules; a new module
needs no entry anywhere.
"""

import importlib
import pkgutil

# every module of the package holds rules: importing it registers them
for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
