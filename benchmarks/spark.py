"""Scoring and sweeping generated leads on a local Spark session, against one process.

Generates 10,000,000 leads (``--quick``: 200,000) with 0-4 touches each inside Spark
(``spark.range`` and hash expressions, so the driver never holds them), as a lead table
with columns named by field path and a long touch table, then, in one run:

1. scores and sweeps them with `leadpipeline.spark.threshold_sweep` on ``local[2]``: the
   touches grouped per lead and joined (a shuffle), every batch read through the frames
   door and scored by `score_frame` in `mapInArrow`, leads and wins counted per distinct
   score in Spark, the cumulative pass on the driver; reported as leads per second;
2. measures the driver's memory over that job: the Python driver's peak resident set
   before and after it (it must not grow with the rows: only one count per distinct score
   comes back) and the JVM's peak (in local mode the JVM is driver and executor at once);
3. takes a slice of the same rows as Arrow tables into this process (after the memory
   figures) and runs the same work in one process: `read_arrow`, `score_frame`,
   `threshold_sweep`; the ratio is Spark's leads per second over this process's.

Rounds interleave (``--quick``: three Spark rounds, each followed by a baseline round;
the full run: one Spark round, then three baseline rounds); medians are reported. The
model is the library's default scoring model.

Targets: at least 100,000 leads/s on ``local[2]``; at least 1.0x the single process (two
workers against one, after the shuffle and the trips between the JVM and Python); the
Python driver's peak memory grows over the Spark job by less than a quarter of what the
leads' rows take as Arrow tables (so no rows came back; what does come back is one count
per distinct score, and the sweep itself holds one entry per distinct score).

Measured (full run, 10,000,000 leads, 19,999,217 touches, 2 cores shared with other test
runs at a load of about 10, Python 3.11.7, pyspark 4.3.0, Java 17, pyarrow 26):
    Spark scored and swept 10,000,000 leads in 714 s (14,013 leads/s, target 100,000: SHORT)
    one process, 500,000 leads: 47,498 / 54,564 / 57,945 leads/s (median 54,564)
    ratio 0.26x (target 1.0x: SHORT)
    6,680,329 distinct scores; Python driver peak 131 MB before, 1,422 MB after (growth
    1,291 MB against rows of about 1,537 MB as Arrow: SHORT); JVM peak 3,507 MB
An earlier run, before the repeated-id window and the sweep's pass on numpy columns, gave
9,869 leads/s, 0.18x and 1,750 MB on a busier machine.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F  # noqa: N812

sys.path.insert(0, str(Path(__file__).parent.parent / "src"))

from leadpipeline import spark as lps
from leadpipeline.analytics import threshold_sweep
from leadpipeline.frames import read_arrow, score_frame
from leadpipeline.rules.scoring import DEFAULT_SCORING_MODEL

NOW = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
CHANNELS = ("web", "exhibition", "referral", "ads")
TITLES = ("Head of IT", "Director Finance", "Chief Digital Officer", "Intern", None)
INDUSTRIES = ("manufacturing", "software", "retail", None)
COUNTRIES = ("DE", "FR", "US", "GB")
KINDS = ("site_visit", "email_open", "email_click", "form_submit", "webinar", "download")
RESULTS = ("won", "lost", "open", None)
FIXED_MB = 64
"""Beyond the sweep, what the driver may hold whatever the size: its first job's imports."""
PER_SCORE = 64
"""Beyond the sweep, what the driver may hold per distinct score: the counts as they arrive
(24 bytes as Arrow, memory the allocator keeps for reuse) and numpy's working columns (8
bytes each); a lead's row takes about 150 bytes as Arrow, so rows coming back would not fit."""


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def jvm_peak_mb(spark: SparkSession) -> float:
    pid = spark.sparkContext._jvm.ProcessHandle.current().pid()  # type: ignore[union-attr]
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def value_mb(sweep: Any) -> float:
    """The sweep's own size: its three tuples and every number object they hold.

    Each float and each int above Python's small-int cache is an object of its own
    (``tolist`` makes a new one per entry); the cached small ints are shared, so free.
    """
    size = sys.getsizeof(sweep)
    for part in (sweep.thresholds, sweep.volumes, sweep.wins):
        size += sys.getsizeof(part)
        size += sum(sys.getsizeof(x) for x in part if not (type(x) is int and -5 <= x <= 256))
    return size / 2**20


def pick(values: tuple[Any, ...], seed: int, on: str = "n") -> Any:
    choices = F.array(*(F.lit(v).cast("string") for v in values))
    index = F.pmod(F.xxhash64(F.col(on), F.lit(seed)), F.lit(len(values))) + 1
    return F.element_at(choices, index.cast("int"))


def generate(spark: SparkSession, n: int, partitions: int) -> tuple[DataFrame, DataFrame]:
    """Leads named by field path, and their touches, as Spark expressions of the row number."""
    base = spark.range(0, n, numPartitions=partitions).withColumnRenamed("id", "n")
    lead_id = F.concat(F.lit("L-"), F.col("n").cast("string"))
    now_s = int(NOW.timestamp())
    some = F.pmod(F.xxhash64(F.col("n"), F.lit(9)), F.lit(10))
    leads = base.select(
        lead_id.alias("id"),
        pick(CHANNELS, 1).alias("source.channel"),
        F.timestamp_seconds(F.lit(now_s - 400 * 86_400)).alias("source.captured_at"),
        pick(TITLES, 2).alias("contact.job_title"),
        F.when(some == 0, F.lit(None))
        .otherwise(F.pmod(F.xxhash64(F.col("n"), F.lit(3)), F.lit(9000)) + 1)
        .alias("company.employees"),
        pick(INDUSTRIES, 4).alias("company.industry"),
        pick(COUNTRIES, 5).alias("company.country"),
        F.when(some < 6, F.lit("2026-09-01").cast("date")).alias("needs.purchase_decision"),
        F.when(some < 6, F.lit(500).cast("long")).alias("needs.expected_volume"),
        pick(RESULTS, 6).alias("outcome.result"),
    )
    count = F.pmod(F.xxhash64(F.col("n"), F.lit(7)), F.lit(5)).cast("int")
    touches = base.select(
        lead_id.alias("lead_id"), F.posexplode(F.array_repeat(F.col("n"), count))
    ).select(
        "lead_id",
        pick(KINDS, 8, on="pos").alias("kind"),
        F.timestamp_seconds(
            F.lit(now_s) - F.pmod(F.xxhash64(F.col("col"), F.col("pos")), F.lit(300 * 86_400))
        ).alias("at"),
    )
    return leads, touches


def local_round(leads: Any, touches: Any) -> tuple[float, Any]:
    mapping = lps.canonical_mapping(leads.column_names, touches.column_names)
    started = time.perf_counter()
    frame = read_arrow(leads, mapping, touches=touches)
    sweep = threshold_sweep(score_frame(frame, DEFAULT_SCORING_MODEL, now=NOW))
    return time.perf_counter() - started, sweep


def target(name: str, measured: float, goal: float, unit: str, *, at_most: bool = False) -> None:
    ok = measured <= goal if at_most else measured >= goal
    verdict = "ok" if ok else "SHORT"
    print(f"TARGET {name}: measured {measured:,.2f} {unit}, target {goal:,.2f} {unit}, {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200,000 leads, not 10,000,000")
    args = parser.parse_args()
    n = 200_000 if args.quick else 10_000_000
    sample = 100_000 if args.quick else 500_000
    rounds = 3
    spark = lps.local_session(
        2,
        **{
            "spark.sql.shuffle.partitions": "16",
            "spark.driver.memory": "6g",
            "spark.sql.execution.arrow.maxRecordsPerBatch": "50000",
        },
    )
    spark.sparkContext.setLogLevel("ERROR")
    leads, touches = generate(spark, n, partitions=16)
    touches_n = touches.count()
    print(f"{n:,} leads, {touches_n:,} touches (generated in Spark, never on the driver)")

    spark_times: list[float] = []
    local_times: list[float] = []
    before = peak_mb()
    local_slice: tuple[Any, Any] | None = None
    sweep = None
    for r in range(rounds):
        started = time.perf_counter()
        sweep = lps.threshold_sweep(leads, DEFAULT_SCORING_MODEL, now=NOW, touches=touches)
        spark_times.append(time.perf_counter() - started)
        print(
            f"round {r + 1}: Spark scored and swept {n:,} leads in {spark_times[-1]:.1f} s"
            f" ({n / spark_times[-1]:,.0f} leads/s), {len(sweep):,} distinct scores"
        )
        if r == 0:
            after = peak_mb()
            jvm = jvm_peak_mb(spark)
            print(
                f"  driver peak: Python {before:,.0f} MB before, {after:,.0f} MB after;"
                f" JVM (driver and executor in local mode) {jvm:,.0f} MB"
            )
            # the baseline's slice comes to this process only now, after the memory figures
            number = "cast(substring({}, 3) as long) < {}"
            local_slice = (
                leads.where(F.expr(number.format("id", sample))).toArrow(),
                touches.where(F.expr(number.format("lead_id", sample)))
                .orderBy("lead_id", "at", "kind")
                .toArrow(),
            )
        assert local_slice is not None
        seconds, _ = local_round(*local_slice)
        local_times.append(seconds)
        print(f"  one process: {sample:,} leads in {seconds:.2f} s ({sample / seconds:,.0f}/s)")
    assert sweep is not None
    assert sweep.leads == n
    row_mb = (local_slice[0].nbytes + local_slice[1].nbytes) / sample * n / 1e6
    own = value_mb(sweep)
    spark_rate = n / statistics.median(spark_times)
    local_rate = sample / statistics.median(local_times)
    target("spark leads per second (local[2])", spark_rate, 100_000, "leads/s")
    target("spark / single-process columnar", spark_rate / local_rate, 1.0, "x")
    print(f"the {n:,} leads' rows as Arrow tables: about {row_mb:,.0f} MB")
    print(
        f"the sweep itself ({len(sweep):,} distinct scores as three tuples of Python numbers):"
        f" {own:,.0f} MB; counts as Arrow: {len(sweep) * 24 / 2**20:,.0f} MB"
    )
    target("driver peak growth", after - before, row_mb / 4, "MB", at_most=True)
    allowance = FIXED_MB + PER_SCORE * len(sweep) / 2**20
    target(
        f"driver peak growth beyond the sweep's own size ({FIXED_MB} MB"
        f" + {PER_SCORE} B a distinct score)",
        after - before - own,
        allowance,
        "MB",
        at_most=True,
    )
    spark.stop()


if __name__ == "__main__":
    main()
