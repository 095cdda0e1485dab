"""Benchmark: the municipal guide for many municipalities, naive against ``ipsreport batch``.

Run from the project folder::

    python benchmarks/batch.py            # all four measurements, a few minutes
    python benchmarks/batch.py --count 5  # a smaller naive/batch comparison

It measures, on this machine, each as the command a user would type (a fresh process):

(a) naive: ``ipsreport render reports/guide.qmd -P kommunekode:K`` once per municipality,
    one after another (a new process, a new kernel and every import per document);
(b) ``ipsreport batch`` for the same municipalities, into an empty folder;
(c) ``ipsreport batch`` for all 98 municipalities, PDF and HTML, into an empty folder;
(d) (c) again with nothing changed (every output reused from the cache).

For each: wall-clock seconds, seconds per document, and the peak memory of the whole
process tree (the command, its workers, their kernels, Pandoc), sampled every 50 ms.
Memory is given twice: the sum of resident set sizes (RSS; pages that forked processes
share are counted once per process, so this overstates) and the sum of proportional set
sizes (PSS; shared pages split between the processes that share them: the memory the
tree really takes). ``resource.getrusage`` would give only the largest single process.

A 10-document batch takes a few seconds, and this machine's speed drifts by 10 % from one
minute to the next, so (b) and (d) are timed ``--repeat`` times (5) and the median counts;
(a) is already the sum of 10 separate runs, and (c) takes half a minute. (a) and (b) take
turns (two naive renders, one batch, two naive renders, ...), so that a drift in the
machine's speed weighs on both sides of their ratio alike.

Time and memory come from separate runs of the same command: reading every process's
``smaps_rollup`` 20 times a second takes the sampler about 0.15 s of CPU per second, which
a batch that keeps both cores busy pays for in wall time (0.35 s of a 10-document batch
here) and a naive render, which leaves a core idle, does not. So each command is timed
with nothing else running and then run once more, into a fresh folder, for its memory;
for (a), one of its renders (each is the same work).

Outputs go to a temporary folder that is removed afterwards (``--keep`` keeps it).

``--against CHECKOUT`` measures what a change costs instead: (c) for this checkout and for
another one (``git worktree add /tmp/before <commit>``), taking turns ``--repeat`` times,
each with its own package, brief and data, and the ratio of their medians::

    python benchmarks/batch.py --against /tmp/before --repeat 3
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "reports" / "guide.qmd"
TABLE = ROOT / "data" / "kommuner.csv"
CLI = [sys.executable, "-c", "from ipsreport.cli import main; main()"]
GIB = 1024**3

TARGETS = {
    "full_seconds": 60.0,  # (c): 98 municipalities, PDF and HTML
    "speedup": 10.0,  # (a) / (b), per document
    "speedup_all": 10.0,  # naive per document against (c) per document (issue 18)
    "nothing_changed_seconds": 2.0,  # (d)
    "peak_bytes": 2 * GIB,
}


@dataclass
class Measurement:
    name: str
    documents: int
    seconds: float  # the median of ``runs``
    runs: list[float]
    peak_rss: int
    peak_pss: int

    @property
    def per_document(self) -> float:
        return self.seconds / self.documents if self.documents else 0.0


# -- memory of a process tree ------------------------------------------------------------------


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text(encoding="utf-8").rsplit(")", 1)[1].split()
        except OSError:
            continue
        tree.setdefault(int(fields[1]), []).append(int(entry.name))
    return tree


def _descendants(root: int) -> list[int]:
    tree = _children()
    found, stack = [], [root]
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(tree.get(pid, []))
    return found


def _memory(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of one process in bytes; (0, 0) if it is gone."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text(encoding="utf-8")
        values = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
        return (int(values["Rss"].split()[0]) * 1024, int(values["Pss"].split()[0]) * 1024)
    except (OSError, KeyError, ValueError):
        return (0, 0)


class TreeSampler(threading.Thread):
    """Samples the summed RSS and PSS of a process and all its descendants."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak_rss = self.peak_pss = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            rss = pss = 0
            for pid in _descendants(self.pid):
                one_rss, one_pss = _memory(pid)
                rss, pss = rss + one_rss, pss + one_pss
            self.peak_rss, self.peak_pss = max(self.peak_rss, rss), max(self.peak_pss, pss)
            self._stop_event.wait(self.interval)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


def timed(commands: list[list[str]], name: str, checkout: Path = ROOT) -> float:
    """Wall-clock seconds to run ``commands`` one after another, nothing else running, in
    ``checkout`` with its own package first on the path."""
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    started = time.perf_counter()
    for command in commands:
        result = subprocess.run(command, cwd=checkout, capture_output=True, text=True,
                                env=env)
        _check(name, command, result.returncode, result.stderr)
    return time.perf_counter() - started


def peak_memory(command: list[str], name: str) -> tuple[int, int]:
    """Peak (RSS sum, PSS sum) of the process tree of one run of ``command``."""
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    sampler = TreeSampler(process.pid)
    sampler.start()
    _, err = process.communicate()
    sampler.stop()
    _check(name, command, process.returncode, err)
    return sampler.peak_rss, sampler.peak_pss


def measured(runs: list[list[list[str]]], name: str, documents: int,
             memory_command: list[str]) -> Measurement:
    """Time each run (its commands one after another); then the peak memory of
    ``memory_command`` (the same work, run again where it starts from the same state)."""
    return measurement(name, documents, [timed(commands, name) for commands in runs],
                       memory_command)


def measurement(name: str, documents: int, seconds: list[float],
                memory_command: list[str]) -> Measurement:
    """The median of ``seconds``, with the peak memory of ``memory_command``."""
    peak_rss, peak_pss = peak_memory(memory_command, name)
    return Measurement(name, documents, statistics.median(seconds), seconds, peak_rss,
                       peak_pss)


def taking_turns(naive: list[list[str]], batches: list[list[str]]
                 ) -> tuple[list[float], list[float]]:
    """Seconds of each naive render and of each batch, run in turns: the batches spread
    evenly between the renders (10 renders, 5 batches: two renders, a batch, ...)."""
    naive_seconds: list[float] = []
    batch_seconds: list[float] = []
    for index, command in enumerate(naive):
        naive_seconds.append(timed([command], "a naive"))
        while len(batch_seconds) < len(batches) * (index + 1) // len(naive):
            batch_seconds.append(timed([batches[len(batch_seconds)]], "b batch"))
    return naive_seconds, batch_seconds


def _check(name: str, command: list[str], returncode: int, stderr: str) -> None:
    if returncode != 0:
        sys.exit(f"{name}: {' '.join(command[3:])} failed ({returncode}):\n{stderr}")


# -- the four measurements -----------------------------------------------------------------------


def codes(count: int) -> list[str]:
    with TABLE.open(encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    step = max(1, len(rows) // count)  # spread over the regions
    return [row["kommunekode"] for row in rows[::step][:count]]


def batch_command(output: Path, *extra: str) -> list[str]:
    return [*CLI, "batch", str(GUIDE), "--table", str(TABLE), "--output-dir", str(output),
            *extra]


def run(count: int, jobs: int | None, folder: Path, full: bool, repeat: int
        ) -> list[Measurement]:
    chosen = codes(count)
    jobs_option = ["--jobs", str(jobs)] if jobs else []
    results = []

    naive = [[*CLI, "render", str(GUIDE), "-P", f"kommunekode:{code}", "--engine", "builtin",
              "--output-dir", str(folder / "naive")] for code in chosen]
    only = ["--only", ",".join(chosen), *jobs_option]
    batches = [batch_command(folder / f"some-{run}", *only) for run in range(repeat)]
    print(f"(a) naive, {count} documents, and (b) the batch for the same {count}, {repeat} "
          "times, taking turns ...", flush=True)
    naive_seconds, batch_seconds = taking_turns(naive, batches)
    results.append(measurement("a naive", count, [sum(naive_seconds)], naive[0]))
    results.append(measurement("b batch", count, batch_seconds,
                               batch_command(folder / "some-memory", *only)))

    if full:
        print("(c) batch, all 98 municipalities and the overview, PDF and HTML ...", flush=True)
        full_run = batch_command(folder / "all", *jobs_option)
        results.append(measured([[full_run]], "c all 98", 98,
                                batch_command(folder / "all-memory", *jobs_option)))
        print(f"(d) batch again, nothing changed, {repeat} times ...", flush=True)
        results.append(measured([[full_run]] * repeat, "d nothing changed", 98, full_run))
        # The municipalities' guides ("101-koebenhavn.pdf"); the brief's companion, the
        # national overview, and the index page come besides.
        pdfs = len(list((folder / "all").glob("[0-9]*.pdf")))
        htmls = len(list((folder / "all").glob("[0-9]*.html")))
        if (pdfs, htmls) != (98, 98):
            sys.exit(f"(c) wrote {pdfs} guides in PDF and {htmls} in HTML, not 98 of each")
    return results


def report(results: list[Measurement], jobs: int | None) -> dict[str, object]:
    cores = len(os.sched_getaffinity(0))
    print()
    print(f"cores: {cores}; batch jobs: {jobs or cores}; python {sys.version.split()[0]}")
    print(f"{'':20} {'docs':>5} {'seconds':>9} {'s/doc':>7} {'peak RSS sum':>13} "
          f"{'peak PSS sum':>13}")
    for m in results:
        print(f"{m.name:20} {m.documents:5d} {m.seconds:9.1f} {m.per_document:7.2f} "
              f"{m.peak_rss / 2**20:10.0f} MiB {m.peak_pss / 2**20:10.0f} MiB")
    for m in results:
        if len(m.runs) > 1:
            print(f"{m.name}: median of {', '.join(f'{x:.2f}' for x in m.runs)} s")
    by = {m.name[0]: m for m in results}
    summary: dict[str, object] = {"cores": cores, "jobs": jobs or cores,
                                  "measurements": [asdict(m) for m in results]}
    speedup = by["a"].seconds / by["b"].seconds
    summary["speedup"] = speedup
    print()
    print(f"a/b (naive / batch, {by['a'].documents} documents): {speedup:.1f}x "
          f"(target >= {TARGETS['speedup']:.0f}x)")
    if "c" in by:
        peak = max(m.peak_pss for m in results if m.name[0] in "bcd")
        peak_rss = max(m.peak_rss for m in results if m.name[0] in "bcd")
        naive_all = by["a"].per_document * 98
        summary["speedup_all"] = naive_all / by["c"].seconds
        print(f"98 municipalities, PDF and HTML: {by['c'].seconds:.1f} s "
              f"(target <= {TARGETS['full_seconds']:.0f} s); naive would take about "
              f"{naive_all:.0f} s: {naive_all / by['c'].seconds:.1f}x per document "
              f"(target >= {TARGETS['speedup_all']:.0f}x)")
        print(f"rebuild with nothing changed: {by['d'].seconds:.2f} s "
              f"(target < {TARGETS['nothing_changed_seconds']:.0f} s)")
        print(f"peak memory of the batch: {peak / GIB:.2f} GiB PSS, {peak_rss / GIB:.2f} GiB RSS "
              f"(target < {TARGETS['peak_bytes'] / GIB:.0f} GiB)")
    return summary


def against(other: Path, folder: Path, jobs: int | None, repeat: int) -> dict[str, object]:
    """(c), all 98 municipalities in PDF and HTML, for ``other`` and for this checkout in
    turns; each run into an empty folder."""
    jobs_option = ["--jobs", str(jobs)] if jobs else []
    seconds: dict[str, list[float]] = {"other": [], "this": []}
    for run in range(repeat):
        for name, checkout in (("other", other), ("this", ROOT)):
            command = [*CLI, "batch", str(checkout / "reports" / "guide.qmd"), "--table",
                       str(checkout / "data" / "kommuner.csv"), "--output-dir",
                       str(folder / f"{name}-{run}"), *jobs_option]
            print(f"(c) {name} ({checkout}), run {run + 1} of {repeat} ...", flush=True)
            seconds[name].append(timed([command], f"c {name}", checkout))
    medians = {name: statistics.median(values) for name, values in seconds.items()}
    ratio = medians["this"] / medians["other"]
    print()
    for name, values in seconds.items():
        print(f"{name:6} median {medians[name]:.1f} s of {', '.join(f'{v:.1f}' for v in values)}")
    print(f"this / other: {ratio:.3f} ({100 * (ratio - 1):+.1f} %)")
    return {"seconds": seconds, "medians": medians, "ratio": ratio}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=10, help="documents for (a) and (b)")
    parser.add_argument("--jobs", type=int, default=None, help="batch workers (default: cores)")
    parser.add_argument("--no-full", action="store_true", help="skip (c) and (d)")
    parser.add_argument("--repeat", type=int, default=5,
                        help="timed runs of (b) and (d); the median counts")
    parser.add_argument("--keep", action="store_true", help="keep the outputs")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--against", type=Path, metavar="CHECKOUT",
                        help="time (c) for this checkout and CHECKOUT in turns, and compare")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="ipsreport-benchmark-"))
    try:
        if args.against:
            summary = against(args.against.resolve(), folder, args.jobs, args.repeat)
        else:
            results = run(args.count, args.jobs, folder, full=not args.no_full,
                          repeat=args.repeat)
            summary = report(results, args.jobs)
        if args.json:
            args.json.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    finally:
        if args.keep:
            print(f"outputs kept in {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
