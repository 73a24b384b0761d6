#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Charts of the benchmark figures, read from the benchmarks' own output.

    plot.py RESULTS_DIR OUT_DIR

RESULTS_DIR holds what the benchmarks printed (bench/plot.sh writes it):
  core_bench.txt     build/bench/core_bench
  copy_bench.txt     build/bench/copy_bench            (default rows)
  copy_sweep.txt     build/bench/copy_bench N, for several N, concatenated
  python_bench.txt   bindings/python/bench.py
  hub_bench.txt      bench/hub/run.sh
OUT_DIR receives switch.png, copy_memory.png, python.png, hub_echo.png.
A file that is missing is skipped with a message; one that cannot be
parsed is an error.
"""
import os
import re
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402

GREEN = "#3a8a3a"
GREY = "#8c8c8c"
BLUE = "#4a6fa5"
RED = "#b5523b"


class ParseError(Exception):
    pass


def need(cond, what):
    if not cond:
        raise ParseError(what)


def number(s):
    return float(s.replace(",", ""))


def bars(ax, labels, values, colors, fmt, log=False):
    y = range(len(labels))
    ax.barh(list(y), values, color=colors)
    ax.set_yticks(list(y), labels)
    ax.invert_yaxis()
    if log:
        ax.set_xscale("log")
    for i, v in enumerate(values):
        ax.text(v * (1.05 if log else 1.0), i, " " + fmt.format(v), va="center",
                fontsize=9)
    ax.spines[["top", "right"]].set_visible(False)
    lo, hi = ax.get_xlim()
    ax.set_xlim(lo, hi * (3 if log else 1.18))


# ---- core_bench: one-way switch against the yardsticks -------------------

def plot_switch(text, out):
    rows = re.findall(r"^(\S.*?\))\s+([\d.]+)\s+([\d.]+)\s*$", text, re.M)
    need(rows, "core_bench: no 'name (who)  round  one-way' rows")
    head = text.splitlines()[0]
    labels, values, colors = [], [], []
    for name, _round, oneway in rows:
        if "not used" in name:
            continue
        labels.append(name.replace(" (yardstick)", "\n(yardstick)")
                      .replace(" (libgreen)", "\n(libgreen)"))
        values.append(float(oneway))
        colors.append(GREEN if "libgreen" in name else GREY)
    fig, ax = plt.subplots(figsize=(7.5, 3.2))
    bars(ax, labels, values, colors, "{:.1f} ns", log=True)
    ax.set_xlabel("one-way switch, ns (log scale, lower is better)")
    ax.set_title("Switch cost against the yardsticks\n" + head, fontsize=10)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


# ---- copy_bench: memory per parked greenlet against their number ---------

def plot_copy(sweep, default, out):
    rows = re.findall(r"^copy, small body\s+(\d+)\s+(\d+)\s+(\d+)\s+\d+\s*$",
                      sweep, re.M)
    need(len(rows) >= 2, "copy_sweep: fewer than two 'copy, small body' rows")
    n = [int(r[0]) for r in rows]
    rss = [int(r[2]) for r in rows]
    saved = [int(r[1]) for r in rows]
    fig, ax = plt.subplots(figsize=(7.5, 3.6))
    ax.plot(n, rss, "o-", color=GREEN, label="copy mode: RSS per greenlet")
    ax.plot(n, saved, "s--", color=BLUE, label="copy mode: saved stack per greenlet")
    if default:
        g = re.search(r"^guarded \(256 KiB\), small body\s+(\d+)\s+\d+\s+(\d+)",
                      default, re.M)
        if g:
            ax.axhline(int(g.group(2)), color=RED, ls=":",
                       label=f"guarded stacks: {int(g.group(2))} B each "
                             f"(measured at {int(g.group(1)):,}; "
                             "capped near 32,700 by vm.max_map_count)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("parked greenlets (log scale)")
    ax.set_ylabel("bytes per greenlet (log scale)")
    for x, y in zip(n, rss):
        ax.annotate(f"{y} B", (x, y), textcoords="offset points", xytext=(0, 7),
                    ha="center", fontsize=8)
    ax.set_title("Memory per parked greenlet against their number "
                 f"({sweep.splitlines()[0].split(':')[0]})", fontsize=10)
    ax.legend(fontsize=8, loc="center right")
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


# ---- bindings/python/bench.py: libgreen against PyPI's greenlet ----------

def plot_python(text, out):
    rows = re.findall(r"^(\S[\w+ ]*?)\s+([\d.]+) (ns|B)\s+([\d.]+) (ns|B)\s+([\d.]+)x",
                      text, re.M)
    need(rows, "python_bench: no 'benchmark  libgreen  greenlet  ratio' rows")
    head = text.splitlines()[0].split(",")[0]
    names = [r[0] for r in rows]
    ratio = [float(r[5]) for r in rows]
    fig, ax = plt.subplots(figsize=(7.5, 3.2))
    labels = [f"{r[0]}\n{r[1]} {r[2]} vs {r[3]} {r[4]}" for r in rows]
    bars(ax, labels, ratio, [GREEN if x < 1 else RED for x in ratio], "{:.2f}x")
    ax.axvline(1.0, color=GREY, lw=1)
    ax.set_xlabel("libgreen / greenlet (PyPI); below 1: libgreen is faster or smaller")
    ax.set_title(f"Python: the drop-in against PyPI's greenlet ({head})", fontsize=10)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return names


# ---- bench/hub/run.sh: the echo server against eventlet and Go -----------

def plot_hub(text, out):
    m = re.search(r"^echo, (.*?)\s+libgreen-hub\s+eventlet\s+Go\s*$", text, re.M)
    need(m, "hub_bench: no 'echo, ...  libgreen-hub  eventlet  Go' header")
    rate = re.search(r"round trips/s \(higher wins\)\s+(\d+)\s+(\d+)\s+(\d+)", text)
    cpu = re.search(r"round trips per server CPU-s\s+(\d+)\s+(\d+)\s+(\d+)", text)
    need(rate and cpu, "hub_bench: no round trip rows")
    servers = ["libgreen-hub", "eventlet", "Go"]
    colors = [GREEN, GREY, BLUE]
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
    for ax, vals, what in ((axes[0], rate, "round trips per second"),
                           (axes[1], cpu, "round trips per server CPU-second")):
        v = [int(x) for x in vals.groups()]
        bars(ax, servers, v, colors, "{:,}")
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(4))
        ax.xaxis.set_major_formatter(matplotlib.ticker.StrMethodFormatter("{x:,.0f}"))
        ax.set_xlabel(what + "\n(higher is better)")
    fig.suptitle(f"Echo server, {m.group(1)}: the hub against eventlet and Go",
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    res, out = sys.argv[1:]
    os.makedirs(out, exist_ok=True)

    def read(name):
        p = os.path.join(res, name)
        if not os.path.exists(p):
            print(f"plot: no {p}, skipped", file=sys.stderr)
            return None
        return open(p, encoding="utf-8").read()

    made = []
    try:
        if (t := read("core_bench.txt")) is not None:
            plot_switch(t, os.path.join(out, "switch.png"))
            made.append("switch.png")
        if (t := read("copy_sweep.txt")) is not None:
            plot_copy(t, read("copy_bench.txt"), os.path.join(out, "copy_memory.png"))
            made.append("copy_memory.png")
        if (t := read("python_bench.txt")) is not None:
            plot_python(t, os.path.join(out, "python.png"))
            made.append("python.png")
        if (t := read("hub_bench.txt")) is not None:
            plot_hub(t, os.path.join(out, "hub_echo.png"))
            made.append("hub_echo.png")
    except ParseError as e:
        print(f"plot: cannot parse {e}", file=sys.stderr)
        return 1
    print("plot: " + ", ".join(os.path.join(out, m) for m in made))
    return 0 if made else 1


if __name__ == "__main__":
    sys.exit(main())
