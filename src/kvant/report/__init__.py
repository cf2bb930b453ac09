"""Output for people: plots (PNG via Matplotlib) and, later, HTML/JSON reports."""

from kvant.report._plots import plot_counts, plot_state
from kvant.report._qkd_plots import plot_key_rate_curve

__all__ = ["plot_counts", "plot_key_rate_curve", "plot_state"]
