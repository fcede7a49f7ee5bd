"""What goes wrong with a scenario, said once per problem.

Every way a scenario can fail (bad YAML, unknown field, value out of range, missing or
circular ``extends:``, unknown ``--set`` key, unknown data key) ends as one
:class:`ScenarioError` whose ``problems`` name the source, the field path, the value and what
is allowed, one line each; the command line prints them and exits with status 2.
"""

from __future__ import annotations


class ScenarioError(ValueError):
    """A scenario that cannot be built; ``problems`` holds one message per problem."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))
