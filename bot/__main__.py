"""`python -m bot` is the `passerelle` command."""

from bot.cli import main

raise SystemExit(main())
