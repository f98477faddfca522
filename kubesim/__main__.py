"""`python -m kubesim`: the same as `chatops sim`."""

from kubesim.cli import main

raise SystemExit(main())
