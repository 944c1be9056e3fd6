#!/usr/bin/env python3
"""Draws the privacy-utility picture of mnist_dp_ddp runs: test accuracy
against the epsilon spent so far, one line per run (recipe and seed), from
the summaries `mnist_dp_ddp --json FILE` writes after every epoch, with the
final test accuracy of a non-private run (`--no-dp`, same recipe) as a
dashed reference line.

    python3 scripts/plot_privacy_utility.py --title "MNIST" \\
        --reference nodp.json --out privacy_utility_mnist.png run_seed0.json run_seed1.json ...

Needs matplotlib (Debian: apt-get install python3-matplotlib). A private run
whose epsilon is "inf" (a step without noise) has no point to draw and is
refused, as is a reference that is not a --no-dp run.
"""
import argparse
import json
import sys

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402


def load(path):
    try:
        with open(path, encoding="utf-8") as f:
            summary = json.load(f)
    except (OSError, ValueError) as error:
        sys.exit(f"plot_privacy_utility: {path}: cannot read a --json summary: {error}")
    if summary.get("app") != "mnist_dp_ddp" or not summary.get("epochs"):
        sys.exit(f"plot_privacy_utility: {path}: not an mnist_dp_ddp --json summary with at least one epoch")
    return summary


def label(summary):
    # Secure runs store no seed.
    seed = f"seed {summary['seed']}" if "seed" in summary else "secure"
    return f"{summary.get('recipe', 'tutorial')}, {seed}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="+", help="--json summaries of private runs")
    parser.add_argument("--reference", action="append", default=[], help="--json summary of a --no-dp run")
    parser.add_argument("--title", default="", help="title of the figure (the data set)")
    parser.add_argument("--out", required=True, help="PNG file to write")
    args = parser.parse_args()

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for path in args.runs:
        run = load(path)
        if not run["dp"]:
            sys.exit(f"plot_privacy_utility: {path}: a --no-dp run; give it with --reference")
        epsilons = [float(e["epsilon"]) for e in run["epochs"]]
        if any(e == float("inf") for e in epsilons):
            sys.exit(f"plot_privacy_utility: {path}: an epoch has no finite epsilon (a step without noise)")
        accuracies = [100 * e["test_accuracy"] for e in run["epochs"]]
        ax.plot(epsilons, accuracies, marker=".", linewidth=1.2, label=f"{label(run)} (sigma {run['sigma']:.3g})")
    for path in args.reference:
        run = load(path)
        if run["dp"]:
            sys.exit(f"plot_privacy_utility: {path}: --reference takes a --no-dp run")
        final = 100 * run["epochs"][-1]["test_accuracy"]
        ax.axhline(final, linestyle="--", color="black", linewidth=1,
                   label=f"no DP, {run.get('recipe', 'tutorial')}, lr {run['lr']:g} ({final:.2f}%)")
    delta = load(args.runs[0])["delta"]
    ax.set_xlabel(f"epsilon spent (delta = {delta:g})")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(f"{args.title} privacy-utility: test accuracy over training".strip())
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(args.out, dpi=110)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
