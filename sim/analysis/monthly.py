"""Backlogs month by month: what a closure, a reinforcement or a new channel leaves behind.

A head of service asks "how many people were still waiting at the end of June, and how many
files were in instruction?". :func:`backlog_by_month` reads the daily table
(:func:`sim.analysis.metrics.daily_table`, one or several scenarios and replications) and
gives, per scenario and month, the levels on the month's last day averaged over the
replications:

* ``people_waiting``: needs that appeared and had neither an appointment date come nor left
  (``backlog_end``; a person holding a future date is still waiting);
* ``files_in_instruction``: files deposited and not decided (``instruction_backlog``);
* ``files_waiting_for_agent``: the part of them no agent has worked on yet
  (``instruction_queue``); the rest wait for missing documents or consultations.
"""

from __future__ import annotations

import pandas as pd

COLUMNS = {"backlog_end": "people_waiting", "instruction_backlog": "files_in_instruction",
           "instruction_queue": "files_waiting_for_agent"}


def backlog_by_month(daily: pd.DataFrame, procedure: str = "all") -> pd.DataFrame:
    """Levels on each month's last simulated day, mean over replications, per scenario.

    >>> daily = pd.DataFrame({"scenario": "s", "replication": [0, 0, 1, 1],
    ...     "procedure": "all", "date": pd.to_datetime(["2020-01-31", "2020-02-01"] * 2),
    ...     "backlog_end": [10, 12, 20, 22], "instruction_backlog": [5, 5, 7, 7],
    ...     "instruction_queue": [1, 0, 1, 2]})
    >>> print(backlog_by_month(daily).to_string(index=False))
    scenario   month  people_waiting  files_in_instruction  files_waiting_for_agent
           s 2020-01            15.0                   6.0                      1.0
           s 2020-02            17.0                   6.0                      1.0
    """
    rows = daily[daily["procedure"].astype(str) == procedure]
    rows = rows.assign(month=pd.to_datetime(rows["date"]).dt.strftime("%Y-%m"))
    last = rows.sort_values("date").groupby(["scenario", "replication", "month"],
                                            observed=True).tail(1)
    levels = last.groupby(["scenario", "month"], observed=True)[list(COLUMNS)]
    table = levels.mean().rename(columns=COLUMNS).reset_index()
    first_seen = {name: k for k, name in enumerate(pd.unique(daily["scenario"].astype(str)))}
    order = table["scenario"].astype(str).map(first_seen)
    return table.iloc[order.argsort(kind="stable")].reset_index(drop=True)
