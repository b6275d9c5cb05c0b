"""``python -m matchday`` runs the same command as the ``matchday`` script."""

from matchday.cli import main

main()
