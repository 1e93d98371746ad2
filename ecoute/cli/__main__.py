"""``python -m ecoute.cli``: the same command as ``ecoute``."""

from ecoute.cli import main

main()
