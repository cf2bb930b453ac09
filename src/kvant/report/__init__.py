"""Output for people: plots (PNG via Matplotlib) and, later, HTML/JSON reports."""

from kvant.report._apps_plots import plot_dissociation_curve, plot_qaoa_outcomes
from kvant.report._datasheet import render_datasheet_html, write_datasheet
from kvant.report._device_plots import plot_coupling_map
from kvant.report._html import render_steps_html, write_steps_html
from kvant.report._network_plots import plot_delivered_rate, plot_network_map, plot_pool_levels
from kvant.report._plots import plot_counts, plot_state
from kvant.report._qkd_plots import plot_key_rate_curve

__all__ = [
    "plot_counts",
    "plot_coupling_map",
    "plot_delivered_rate",
    "plot_dissociation_curve",
    "plot_key_rate_curve",
    "plot_network_map",
    "plot_pool_levels",
    "plot_qaoa_outcomes",
    "plot_state",
    "render_datasheet_html",
    "render_steps_html",
    "write_datasheet",
    "write_steps_html",
]
