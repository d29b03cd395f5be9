"""SML1xx: rules for model files, one module per concern.

``relocation`` (scopes, legacy export flags), ``silos`` (silo decorators, replication),
``foreign_keys``, ``meta`` (Meta options, names, identifier lengths) and ``fields`` (field
classes and values). Importing this package imports every module in it, which registers their rules; a new module
needs no entry anywhere.
"""

import importlib
import pkgutil

# every module of the package holds rules: importing it registers them
for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
