"""``Plan.plot``: a plan as a picture for an operator (matplotlib, drawn off-screen).

Two panels under a title that names what was compared ("10 buckets -> 12
buckets") and how much moves: each owner's keys before and after, side by
side; and the largest flows, ``from -> to``, with their counts written on
the bars.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .planning import Plan

BEFORE_COLOUR = "#8da0cb"
AFTER_COLOUR = "#e78a3c"
FLOW_COLOUR = "#4c72b0"

#: Owners up to this many get their counts written on their bars; past it
#: the numbers would overlap, and the axis tells the size.
_LABELLED_OWNERS = 12
#: Owners past this many get every k-th name on the axis, not all.
_NAMED_OWNERS = 40
#: Characters of the 12-point title that fit in an inch of the figure (at
#: 100 dpi, with a margin): a longer line is wrapped, never cut off.
_TITLE_CHARS_PER_INCH = 10
#: The same for the 10-point owner names under the bars, with the axis' margins.
_TICK_CHARS_PER_INCH = 9


def _pyplot() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError("Plan.plot needs matplotlib: pip install 'rvh-stable[plot]'") from None
    return plt


def _short(owner: Any, width: int = 20) -> str:
    """An owner's name, cut in the middle past ``width`` characters: names
    that share a prefix ("cache-eu-west-1-...") differ at their ends."""
    text = str(owner)
    if len(text) <= width:
        return text
    keep = width - 1
    return text[: keep - keep // 2] + "…" + text[len(text) - keep // 2 :]


def _loads(ax: Any, plan: Plan) -> None:
    owners = list(plan.loads)
    x = range(len(owners))
    before = [plan.loads[o][0] for o in owners]
    after = [plan.loads[o][1] for o in owners]
    width = 0.4
    bars_before = ax.bar([i - width / 2 for i in x], before, width, color=BEFORE_COLOUR)
    bars_after = ax.bar([i + width / 2 for i in x], after, width, color=AFTER_COLOUR)
    bars_before.set_label(f"before: {plan.labels[0]}")
    bars_after.set_label(f"after: {plan.labels[1]}")
    if len(owners) <= _LABELLED_OWNERS:
        for bars in (bars_before, bars_after):
            ax.bar_label(
                bars, labels=[f"{v:,}" for v in bars.datavalues], fontsize=7, rotation=90, padding=2
            )
        ax.margins(y=0.22)  # room above the tallest bar for its number
    step = max(1, -(-len(owners) // _NAMED_OWNERS))
    names = [_short(o) for o in owners][::step]
    # Upright names fit when all of them, side by side, fit the axis' width.
    room = ax.figure.get_figwidth() * _TICK_CHARS_PER_INCH
    if sum(len(name) + 2 for name in names) > room:
        ax.set_xticks(list(x)[::step], names, rotation=40, ha="right", rotation_mode="anchor")
    else:
        ax.set_xticks(list(x)[::step], names)
    ax.yaxis.set_major_formatter(_thousands())
    ax.set_ylabel("keys per owner")
    # The legend is the panel's heading: it names both sides, so it sits above
    # the bars, where no bar or number can hide it.
    columns = 2 if sum(len(label) for label in plan.labels) <= 60 else 1
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncols=columns, fontsize=9, frameon=False)


def _thousands() -> Any:
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda value, _: f"{value:,.0f}")


def _flows(ax: Any, plan: Plan, flows: list[tuple[tuple[Any, Any], int]]) -> None:
    if not flows:
        ax.set_axis_off()
        ax.text(0.5, 0.5, "no key moves", ha="center", va="center", fontsize=11)
        return
    labels = [f"{_short(a)} → {_short(b)}" for (a, b), _ in flows][::-1]
    counts = [count for _, count in flows][::-1]
    bars = ax.barh(range(len(flows)), counts, color=FLOW_COLOUR, height=0.7)
    ax.set_yticks(range(len(flows)), labels, fontsize=8)
    ax.bar_label(bars, labels=[f"{c:,}" for c in counts], fontsize=7, padding=3)
    ax.margins(x=0.12)  # room right of the longest bar for its number
    ax.set_ylim(-0.6, len(flows) - 0.4)
    ax.set_xlabel("keys")
    ax.xaxis.set_major_formatter(_thousands())
    shown, whole = len(flows), len(plan.flows)
    if shown == whole:
        which = f"all {whole} flows" if whole > 1 else "1 flow"
    else:
        which = f"the {shown} largest flows of {whole}"
    ax.set_title(f"where the moved keys go: {which}", fontsize=10)


def _wrapped(text: str, chars: int) -> list[str]:
    """``text`` in lines of at most ``chars`` characters, broken after a comma
    or a space where it can be (a node list has no spaces)."""
    import textwrap

    spaced = text.replace(",", ", ")
    lines = textwrap.wrap(spaced, chars, break_on_hyphens=False) or [""]
    return [line.replace(", ", ",") for line in lines]


def _title(plan: Plan, chars: int) -> str:
    """What was compared, what changed, how much moves: each on its lines."""
    sides = f"{plan.labels[0]} → {plan.labels[1]}"
    if len(sides) <= chars:
        lines = [sides]
    else:  # one side a line, each wrapped
        lines = [*_wrapped(plan.labels[0], chars), *_wrapped(f"→ {plan.labels[1]}", chars)]
    if plan.change:
        lines += _wrapped(plan.change, chars)
    lines.append(f"{plan.moved:,} of {plan.total:,} keys move ({plan.fraction:.1%})")
    return "\n".join(lines)


def draw(plan: Plan, path: str, top: int) -> None:
    """Write ``plan``'s picture to ``path`` in the format its suffix names
    (PNG without one; see the module docstring)."""
    if type(path) is not str or not path:
        raise ValueError(f"path must be a non-empty str (a file name), got {path!r}")
    plt = _pyplot()
    suffix = os.path.splitext(path)[1][1:].lower() or "png"
    flows = list(plan.flows.items())[: max(top, 0)]
    owners = len(plan.loads)
    width = min(18.0, max(8.0, 0.45 * owners + 2.5))
    loads_height = 3.6
    flows_height = max(1.2, 0.26 * len(flows) + 0.9)
    fig = plt.figure(figsize=(width, loads_height + flows_height + 1.8), layout="constrained")
    try:
        formats = fig.canvas.get_supported_filetypes()
        if suffix not in formats:
            raise ValueError(
                f"cannot draw a chart as .{suffix} ({path!r}): use one of "
                + ", ".join(f".{name}" for name in sorted(formats))
            )
        ax_loads, ax_flows = fig.subplots(2, 1, height_ratios=[loads_height, flows_height])
        _loads(ax_loads, plan)
        _flows(ax_flows, plan, flows)
        fig.suptitle(_title(plan, int(width * _TITLE_CHARS_PER_INCH)), fontsize=12)
        fig.savefig(path, format=suffix, dpi=100)
    finally:
        plt.close(fig)
