"""``python -m matching INSTANCE.json [-o PLAN.json] [--seed N] [--picture PLAN.png]``."""

from matching.cli import main

raise SystemExit(main())
