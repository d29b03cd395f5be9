"""sentry-model-lint: static checks for the Django models and migrations of Sentry."""

__version__ = "0.1.0"
