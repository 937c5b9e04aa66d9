"""``python -m tas`` runs the ``tas`` command line."""

from tas.cli import main

main()
