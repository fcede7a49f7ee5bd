"""``python -m sim.faces.cli``: the ``prefsim`` command."""

from sim.faces.cli.main import main

if __name__ == "__main__":
    main()
