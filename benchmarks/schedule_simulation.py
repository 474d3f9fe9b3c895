"""How well the executor keeps many workers busy: a run's measured fit times, scheduled on W workers.

    .venv/bin/python benchmarks/schedule_simulation.py runs/quickstart [--workers 2 16 64]

Every fit's cost is its measured ``fit_time_s + measure_time_s`` from the run's records (binning a fold is not in
the records and is left out). Four schedules of the same fits, each simulated as a list scheduler (a task goes
to the first free worker, in the order it was queued):

* **chunks** (today's executor, ``boostreg/executors/local.py``): every group's reference fit first, longest groups
  first; a free worker takes the next chunk of the first group whose reference has returned, cut at that moment
  by ``executors.local.FitQueue`` (the same class the executor uses: chunks shrink as the work left shrinks).
* **fixed chunks** (the executor before guided chunks): the same order, every chunk of one size.
* **group parts** (the executor before that): each group split into at most 4 parts (a part without the group's
  reference fits it again), queued in plan order.
* **perfect**: the total work divided by W (no schedule can beat it).

Prints the makespan of each and its ratio to perfect (1.00 = every worker busy to the end).
"""

from __future__ import annotations

import argparse
import heapq
import sys
from collections import deque
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from boostreg.executors.local import FitQueue  # noqa: E402
from boostreg.results import open_run  # noqa: E402


def simulate(tasks: list[tuple[float, list]], workers: int) -> float:
    """List scheduling: ``tasks`` are (duration, follow-up tasks queued when it ends); returns the makespan."""
    queue = deque(tasks)
    running: list[tuple[float, int, list]] = []
    free, now, order = workers, 0.0, 0
    while queue or running:
        while free and queue:
            duration, follow = queue.popleft()
            heapq.heappush(running, (now + duration, order, follow))
            order += 1
            free -= 1
        now, _, follow = heapq.heappop(running)
        free += 1
        queue.extend(follow)
    return now


def simulate_executor(groups: list[list[float]], workers: int) -> float:
    """Today's executor: ``executors.local.FitQueue`` hands a free worker the next chunk (references first, then chunks
    sized at that moment); ``groups``: each group's fit costs, its reference first. Returns the makespan."""
    groups = sorted(groups, key=lambda c: -sum(c))
    entries = [(i, list(range(len(c))), sum(c[1:]) / max(1, len(c) - 1), True) for i, c in enumerate(groups)]
    queue = FitQueue(entries, workers)
    running: list[tuple[float, int, int, bool]] = []
    now, order = 0.0, 0
    while True:
        while len(running) < workers and (task := queue.next()) is not None:
            key, ids, is_reference = task
            heapq.heappush(running, (now + sum(groups[key][i] for i in ids), order, key, is_reference))
            order += 1
        if not running:
            return now
        now, _, key, is_reference = heapq.heappop(running)
        if is_reference:
            queue.reference_known(key)


def fixed_chunk_tasks(fits: pd.DataFrame, workers: int) -> list[tuple[float, list]]:
    """The policy before guided chunks: the same order, every chunk of min(8, fits / (4 x workers)) fits."""
    remaining = len(fits)
    chunk = max(1, min(8, -(-remaining // max(1, workers * 4))))
    groups = sorted(fits.groupby("group_id"), key=lambda kv: -kv[1].cost.sum())
    first = []
    for _, g in groups:
        costs = g.cost.tolist()
        rest = costs[1:]
        first.append((costs[0], [(sum(rest[i : i + chunk]), []) for i in range(0, len(rest), chunk)]))
    return first


def part_tasks(fits: pd.DataFrame, workers: int) -> list[tuple[float, list]]:
    """The earlier policy: groups split into p <= 4 parts by its own estimate, parts without the reference refit it."""
    groups = [g.cost.tolist() for _, g in fits.groupby("group_id", sort=False)]
    n, size = len(groups), max(len(g) for g in groups)
    best = min(range(1, 5), key=lambda p: (-(-n * p // workers)) * (size / p + (p > 1)))
    tasks = []
    for costs in groups:
        step = -(-len(costs) // best)
        for i in range(0, len(costs), step):
            part = costs[i : i + step]
            tasks.append((sum(part) + (costs[0] if i > 0 else 0.0), []))
    return tasks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", help="a run's output folder (its records give the fit times)")
    parser.add_argument("--workers", type=int, nargs="+", default=[2, 16, 64])
    args = parser.parse_args()
    fits = open_run(args.run).fits
    fits = fits[fits.status == "ok"].assign(cost=lambda d: d.fit_time_s + d.measure_time_s)
    fits = fits.sort_values(["group_id", "in_grid", "fit_id"], ascending=[True, True, True])
    # a group's reference (unpenalized, or the least penalized baseline) is its first fit in plan order
    fits = fits.assign(_ref=(fits.reg_alpha.fillna(1) == 0) & (fits.reg_lambda.fillna(1) == 0)).sort_values(
        ["group_id", "_ref"], ascending=[True, False]
    )
    total = float(fits.cost.sum())
    print(f"{args.run}: {len(fits)} fits in {fits.group_id.nunique()} groups, {total:.1f} s of fitting in all")
    print(
        f"{'workers':>8} {'perfect s':>10} {'chunks s':>9} {'ratio':>6} {'fixed chunks s':>15} {'ratio':>6} "
        f"{'group parts s':>14} {'ratio':>6}"
    )
    for w in args.workers:
        perfect = total / w
        chunks = simulate_executor([g.cost.tolist() for _, g in fits.groupby("group_id", sort=False)], w)
        fixed = simulate(fixed_chunk_tasks(fits, w), w)
        parts = simulate(part_tasks(fits, w), w)
        print(
            f"{w:>8} {perfect:>10.1f} {chunks:>9.1f} {chunks / perfect:>6.2f} {fixed:>15.1f} {fixed / perfect:>6.2f} "
            f"{parts:>14.1f} {parts / perfect:>6.2f}"
        )


if __name__ == "__main__":
    main()
