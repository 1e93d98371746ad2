"""Trend plots of the eval runs, rendered server-side as PNG (matplotlib, no display needed).

One line per language, one point per run in order; a point's label is the run's label and
the sentence-file version it measured, so a jump can be traced to what changed.
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Sequence

from ecoute.store.schema.datasets import EvalRun

METRICS = {
    "intent_accuracy": "intent accuracy",
    "unhandled_rate": "unhandled rate",
    "slot_f1": "slot F1",
    "wer": "word error rate",
    "false_accepts_per_device_hour": "false accepts / device-hour",
}


def trend_png(runs: Sequence[EvalRun], metric: str, *, width: float = 6.0, height: float = 3.0) -> bytes:
    """A PNG of ``metric`` over the runs, per language (an empty frame when there is no data yet)."""
    if metric not in METRICS:
        raise KeyError(metric)
    import matplotlib  # imported here: the server starts without paying for it

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator
    series: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for run in runs:
        value = getattr(run, metric)
        if value is not None:
            series[run.language].append((run.seq, float(value)))
    fig, ax = plt.subplots(figsize=(width, height), dpi=100)
    try:
        for language, points in sorted(series.items()):
            xs, ys = zip(*points)
            ax.plot(xs, ys, marker="o", label=language)
        ax.set_title(METRICS[metric])
        ax.set_xlabel("evaluation run")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if metric != "false_accepts_per_device_hour" and metric != "wer":
            ax.set_ylim(-0.02, 1.02)
        if series:
            ax.legend(loc="best", fontsize="small")
        else:
            ax.text(0.5, 0.5, "no evaluation yet", ha="center", va="center", transform=ax.transAxes)
        ax.grid(alpha=0.3)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        return buf.getvalue()
    finally:
        plt.close(fig)
