"""Timing: medians of repeated runs, paired with a baseline, and how the table shows them."""

from __future__ import annotations

import statistics
import time
import timeit
from collections.abc import Callable
from typing import Any

REPEATS = 5
WARM_UP = 5
Row = tuple[str, str, str, str]


def median_us(fn: Callable[[], Any], number: int, repeat: int = REPEATS) -> float:
    """Median microseconds per call over ``repeat`` runs of ``number`` calls."""
    runs = timeit.repeat(fn, number=number, repeat=repeat, timer=time.perf_counter)
    return statistics.median(runs) / number * 1e6


def paired_us(
    measured: Callable[[], Any], baseline: Callable[[], Any], number: int, repeat: int = REPEATS
) -> tuple[float, float]:
    """Median microseconds per call of each, their runs interleaved so that drift hits both alike."""
    runs: tuple[list[float], list[float]] = ([], [])
    for _ in range(WARM_UP):  # first calls fill caches (botocore's, the emulator's) untimed
        measured()
        baseline()
    for _ in range(repeat):
        for fn, times in ((measured, runs[0]), (baseline, runs[1])):
            times.append(timeit.timeit(fn, number=number, timer=time.perf_counter) / number * 1e6)
    return statistics.median(runs[0]), statistics.median(runs[1])


def ms(us: float) -> str:
    sign = "-" if us < 0 else ""
    us = abs(us)
    return f"{sign}{us / 1000:.2f} ms" if us >= 1000 else f"{sign}{us:.0f} µs"


def ratio(value: float, baseline: float) -> str:
    return f"{value / baseline:.1f}×"


def paired_prepared_us(
    api: Callable[[], Any], bare: Callable[[], Any], prepare: Callable[[], None], number: int
) -> tuple[float, float]:
    """Median microseconds of each, every call after an untimed ``prepare``, interleaved."""
    times: tuple[list[float], list[float]] = ([], [])
    for i in range(WARM_UP + number * REPEATS):
        for fn, found in ((api, times[0]), (bare, times[1])):
            prepare()
            started = time.perf_counter()
            fn()
            if i >= WARM_UP:
                found.append((time.perf_counter() - started) * 1e6)
    return statistics.median(times[0]), statistics.median(times[1])


def timed_us(fn: Callable[[], Any], budget_us: float = 300_000) -> float:
    """Median microseconds per call, about ``budget_us`` a run (one call at least)."""
    started = time.perf_counter()
    fn()
    first = (time.perf_counter() - started) * 1e6
    return median_us(fn, max(1, int(budget_us / max(first, 1))))
