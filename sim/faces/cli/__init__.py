"""The ``prefsim`` command line: parse, call one API function, show.

Every scenario problem (bad YAML, unknown field, value out of range, missing or circular
``extends:``, unknown ``--set`` key) is printed as one line per problem on stderr and the
command exits with status 2, never with a traceback. The app is :data:`sim.faces.cli.main.app`;
each command group is its own module with its own Typer sub-app.
"""
