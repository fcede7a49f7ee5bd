"""The faces layer: what people see of the simulator.

The command line (:mod:`sim.faces.cli`), the HTML comparison report
(:mod:`sim.faces.report`) and the figures (:mod:`sim.faces.plots` and the tile map of
:mod:`sim.faces.maps`, the only modules that use matplotlib directly). The Streamlit
dashboard (``dashboards/``, outside the package) is the other face. Faces are thin: they
parse, call one function of the layers below, and show; nothing below imports them (see
docs/architecture.md).
"""
