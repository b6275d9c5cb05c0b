"""``python -m matchday`` runs the same command as the ``matchday`` script."""

from matchday.cli import main

if __name__ == "__main__":  # a spawned worker (the twin's member pool) re-imports this module
    main()
