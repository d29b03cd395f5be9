import sys

from sentry_model_lint.cli import main

sys.exit(main())
