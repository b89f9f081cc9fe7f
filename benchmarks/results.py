"""Benchmark figures and their three forms: a Rich table (the terminal), JSON and markdown (``--out``).

Pure: nothing here runs a stage. ``benchmarks.harness`` measures and builds a :class:`BenchRun` (one size) or a
:class:`Curve` (several sizes); this module derives throughput, ratios to the baselines, the daily-delivery share
of the full build, the issue's targets and the cost-versus-size fit, and renders them.

Conventions (also printed with every markdown table, see ``LEGEND``): ``seconds`` is the stage's own work,
measured inside its child process (interpreter start-up excluded); ``peak_rss_mib`` is the child's peak resident
memory including any grandchild (dbt), from ``os.wait4``, or per feed the high-water mark of that feed's part;
"× baseline" is a time ratio (stage seconds / baseline seconds), so lower is better, and throughput relative to
the baseline is its inverse.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Final

from rich.console import Group
from rich.table import Table

MB: Final = 1_000_000
SCHEMA_VERSION: Final = 1

FULL: Final = "full"
DELIVERY: Final = "delivery"
BASELINE: Final = "baseline"
SETUP: Final = "setup"

OK: Final = "ok"
FAILED: Final = "failed"
NOT_AVAILABLE: Final = "not available"
SKIPPED: Final = "skipped"

INGEST_RATIO_TARGET: Final = 2.0
"""Ingest + validate + pseudonymise at ≥ 0.5 × the lower bound's throughput, i.e. ≤ 2 × its time."""
DELIVERY_SHARE_TARGET: Final = 0.05
RSS_TARGET_MIB: Final = 12 * 1024
LINKAGE_RATIO_TARGET: Final = 2.0

PIPELINE_STAGES: Final = ("ingest", "linkage", "dbt", "publish", "report")
"""The stages a refresh runs, in order; the full build and the daily delivery are each their sum."""
STAGE_LABELS: Final = {
    "synth": "synth (partner files)",
    "setup": "lake set-up + reference data",
    "dbt_parse": "dbt parse (once per deployment)",
    "ingest": "ingest + validate + pseudonymise",
    "lower_bound": "DuckDB raw → Parquet (lower bound)",
    "linkage": "linkage (pseudonymised, Splink)",
    "linkage_baseline": "Splink on cleartext (baseline)",
    "dbt": "dbt build",
    "publish": "publishing (Delta, CSV, XLSX)",
    "report": "JSNA report + disclosure scan",
}


@dataclass
class StageFigure:
    """One measured (or unmeasured, with the reason) stage of one run."""

    stage: str
    phase: str
    status: str = OK
    feed: str | None = None
    seconds: float | None = None
    cpu_seconds: float | None = None
    peak_rss_mib: float | None = None
    rows: int | None = None
    bytes: int | None = None
    baseline_seconds: float | None = None
    baseline: str | None = None
    load_average: float | None = None
    note: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        base = STAGE_LABELS.get(self.stage, self.stage)
        return f"{base}: {self.feed}" if self.feed else base

    @property
    def measured(self) -> bool:
        return self.status == OK and self.seconds is not None

    @property
    def rows_per_s(self) -> float | None:
        return self.rows / self.seconds if self.measured and self.rows and self.seconds else None

    @property
    def mb_per_s(self) -> float | None:
        return self.bytes / MB / self.seconds if self.measured and self.bytes and self.seconds else None

    @property
    def ratio(self) -> float | None:
        """Time relative to the baseline (≤ 1 is as fast as the baseline)."""
        if self.measured and self.baseline_seconds:
            return self.seconds / self.baseline_seconds  # type: ignore[operator]
        return None

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data |= {"label": self.label, "rows_per_s": _round(self.rows_per_s, 0), "mb_per_s": _round(self.mb_per_s, 2),
                 "ratio_to_baseline": _round(self.ratio, 3)}
        return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in data.items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StageFigure:
        names = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclass(frozen=True)
class Target:
    name: str
    threshold: str
    value: str
    met: bool | None
    note: str = ""

    @property
    def verdict(self) -> str:
        return {True: "met", False: "NOT met", None: "not measured"}[self.met]


def _share(part: StageFigure, whole: StageFigure, measure: str) -> float | None:
    """``part``'s seconds (wall or CPU) as a share of ``whole``'s; None unless both were measured."""
    if not (part.measured and whole.measured):
        return None
    numerator, denominator = (
        (part.seconds, whole.seconds) if measure == "wall" else (part.cpu_seconds, whole.cpu_seconds)
    )
    return numerator / denominator if numerator is not None and denominator else None


def total(figures: Iterable[StageFigure], stage: str, phase: str) -> StageFigure:
    """The sum of a stage's per-feed figures (seconds, rows, bytes, baselines); the maximum peak RSS."""
    parts = [f for f in figures if f.stage == stage and f.phase == phase]
    if not parts:
        return StageFigure(stage=stage, phase=phase, status=SKIPPED, note="no figures")
    failed = [f for f in parts if f.status != OK]
    summed = StageFigure(stage=stage, phase=phase, status=FAILED if failed else OK, feed="all feeds")
    if failed:
        summed.note = "; ".join(f"{f.feed or f.stage}: {f.status} {f.note}".strip() for f in failed)
        return summed
    summed.seconds = sum(f.seconds or 0.0 for f in parts)
    summed.cpu_seconds = sum(f.cpu_seconds or 0.0 for f in parts)
    summed.peak_rss_mib = max((f.peak_rss_mib or 0.0) for f in parts)
    summed.rows = sum(f.rows or 0 for f in parts)
    summed.bytes = sum(f.bytes or 0 for f in parts)
    if all(f.baseline_seconds for f in parts):
        summed.baseline_seconds = sum(f.baseline_seconds or 0.0 for f in parts)
        summed.baseline = parts[0].baseline
    return summed


@dataclass
class BenchRun:
    """Every figure of one benchmark run at one size."""

    scale: dict[str, Any]
    machine: dict[str, Any]
    figures: list[StageFigure]
    started_at: str = ""
    wall_seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def find(self, stage: str, phase: str) -> StageFigure | None:
        return next((f for f in self.figures if f.stage == stage and f.phase == phase and f.feed is None), None)

    def stage(self, stage: str, phase: str) -> StageFigure:
        """A pipeline stage of a phase: the one figure, or the per-feed total for ingestion."""
        if stage in ("ingest", "lower_bound"):
            return total(self.figures, stage, phase)
        return self.find(stage, phase) or StageFigure(stage=stage, phase=phase, status=SKIPPED, note="not run")

    def pipeline(self, phase: str) -> StageFigure:
        """The whole refresh of a phase (ingest → report): summed seconds, maximum peak RSS."""
        parts = [self.stage(s, phase) for s in PIPELINE_STAGES]
        label = "full build" if phase == FULL else "daily delivery"
        summed = StageFigure(stage=label, phase=phase)
        counted = [p for p in parts if p.measured]
        if not counted:
            summed.status, summed.note = SKIPPED, "nothing measured"
            return summed
        summed.seconds = sum(p.seconds or 0.0 for p in counted)
        summed.cpu_seconds = sum(p.cpu_seconds or 0.0 for p in counted)
        summed.peak_rss_mib = max(p.peak_rss_mib or 0.0 for p in counted)
        ingest = self.stage("ingest", phase)
        summed.rows, summed.bytes = ingest.rows, ingest.bytes
        failed = [p.stage for p in parts if p.status == FAILED]
        left_out = [p.stage for p in parts if p.status in (SKIPPED, NOT_AVAILABLE)]
        summed.details = {"stages": [p.stage for p in counted]}
        notes = []
        if failed:
            summed.status = FAILED
            notes.append(f"incomplete: {', '.join(failed)} failed")
        if left_out:
            notes.append(f"without {', '.join(left_out)} (not run or not available)")
        summed.note = "; ".join(notes)
        return summed

    def delivery_share(self, measure: str = "wall") -> float | None:
        """The daily delivery's cost as a share of the full build's (``wall`` or ``cpu`` seconds), over the stages
        both measured."""
        full, delivery = self.pipeline(FULL), self.pipeline(DELIVERY)
        if full.status != OK or delivery.status != OK:
            return None
        if full.details.get("stages") != delivery.details.get("stages"):
            return None
        return _share(delivery, full, measure)

    def targets(self) -> list[Target]:
        at = f"(at {self.scale.get('name', '?')} scale; the issue sets them at force scale)"
        ingest = self.stage("ingest", FULL)
        ratio = ingest.ratio
        linkage = self.stage("linkage", FULL)
        full = self.pipeline(FULL)
        share, cpu_share = self.delivery_share(), self.delivery_share("cpu")
        # Both must pass: wall-clock is what an analyst waits for, CPU is what other work on the machine distorts
        # least.
        shares = [x for x in (share, cpu_share) if x is not None]
        return [
            Target(
                "ingest + validate + pseudonymise vs DuckDB raw → Parquet",
                f"throughput ≥ 0.5 × lower bound (time ≤ {INGEST_RATIO_TARGET:g} ×)",
                "—" if ratio is None else f"{1 / ratio:.2f} × lower-bound throughput ({ratio:.2f} × its time)",
                None if ratio is None else ratio <= INGEST_RATIO_TARGET,
                at,
            ),
            Target(
                "daily delivery vs full build",
                f"≤ {DELIVERY_SHARE_TARGET:.0%} of the full build's time",
                "—" if share is None else f"{share:.1%} of wall-clock, " + (
                    "CPU not measured" if cpu_share is None else f"{cpu_share:.1%} of CPU"),
                None if not shares or full.note else max(shares) <= DELIVERY_SHARE_TARGET,
                f"{at}; {full.note}" if full.note else at,
            ),
            Target(
                "full build peak RSS",
                f"≤ {RSS_TARGET_MIB / 1024:g} GiB",
                "—" if full.peak_rss_mib is None else f"{full.peak_rss_mib / 1024:.2f} GiB",
                None if full.peak_rss_mib is None else full.peak_rss_mib <= RSS_TARGET_MIB,
                at,
            ),
            self._linkage_target(linkage, at),
        ]

    @staticmethod
    def _linkage_target(linkage: StageFigure, at: str) -> Target:
        """Judged like for like: training + linking against the cleartext arm's training + linking."""
        name, threshold = "linkage vs Splink on cleartext", f"≤ {LINKAGE_RATIO_TARGET:g} × the cleartext time"
        like_for_like = linkage.details.get("train_and_link_seconds")
        if linkage.ratio is None or not like_for_like or not linkage.baseline_seconds:
            return Target(name, threshold, "—", None, linkage.note or at)
        ratio = like_for_like / linkage.baseline_seconds
        value = (f"{ratio:.2f} × (train + link, like for like); {linkage.ratio:.2f} × with the lake read and "
                 "index write")
        return Target(name, threshold, value, ratio <= LINKAGE_RATIO_TARGET, at)

    def as_dict(self) -> dict[str, Any]:
        full, delivery = self.pipeline(FULL), self.pipeline(DELIVERY)
        return {
            "schema_version": SCHEMA_VERSION,
            "kind": "run",
            "scale": self.scale,
            "machine": self.machine,
            "started_at": self.started_at,
            "wall_seconds": round(self.wall_seconds, 1),
            "stages": [f.as_dict() for f in self.figures],
            "totals": {
                "ingest_full": self.stage("ingest", FULL).as_dict(),
                "lower_bound": self.stage("lower_bound", BASELINE).as_dict(),
                "full_build": full.as_dict(),
                "daily_delivery": delivery.as_dict(),
                "daily_delivery_share_of_full_build": _round(self.delivery_share(), 4),
                "daily_delivery_cpu_share_of_full_build": _round(self.delivery_share("cpu"), 4),
            },
            "targets": [asdict(t) | {"verdict": t.verdict} for t in self.targets()],
            "notes": self.notes,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BenchRun:
        return cls(
            scale=data["scale"], machine=data["machine"], figures=[StageFigure.from_dict(s) for s in data["stages"]],
            started_at=data.get("started_at", ""), wall_seconds=data.get("wall_seconds", 0.0),
            notes=list(data.get("notes", [])),
        )


# --- cost versus size ------------------------------------------------------------------------------------------


WALL: Final = "wall"
CPU: Final = "cpu"
FIT_R_SQUARED_MIN: Final = 0.9
"""Below this, the straight-line fit explains too little of the variation to call the growth linear."""
FIXED_COST_EXPONENT: Final = 0.5
"""Below this exponent (including negative ones, which are noise), cost barely depends on size at the sizes run."""


@dataclass(frozen=True)
class Fit:
    """``seconds ≈ a · rows^exponent`` (log-log least squares) and ``seconds ≈ intercept + slope · rows``.

    ``measure`` is ``wall`` (elapsed seconds) or ``cpu`` (CPU seconds, which other work on a shared machine
    disturbs much less; it includes each process's start-up, a constant that lands in the intercept).
    """

    series: str
    measure: str
    points: list[tuple[int, float]]
    exponent: float | None
    slope_s_per_million_rows: float | None
    intercept_s: float | None
    r_squared: float | None

    @property
    def verdict(self) -> str:
        if self.exponent is None or self.r_squared is None or self.slope_s_per_million_rows is None:
            return "too few points"
        if self.slope_s_per_million_rows <= 0:
            return "flat or falling: fixed costs and noise dominate"
        if self.r_squared < FIT_R_SQUARED_MIN:
            return "inconclusive: too noisy" if self.exponent >= FIXED_COST_EXPONENT else "mostly fixed cost; noisy"
        if self.exponent > 1.3:
            return "SUPER-LINEAR"
        if self.exponent > 1.15:
            return "slightly super-linear"
        if self.exponent < FIXED_COST_EXPONENT:
            return "linear; fixed costs dominate at these sizes"
        return "linear"


def fit(series: str, points: Sequence[tuple[int, float]], measure: str = WALL) -> Fit:
    """Fit growth over ``(rows, seconds)`` points; needs two or more distinct positive sizes."""
    usable = sorted((int(x), float(y)) for x, y in points if x > 0 and y > 0)
    if len({x for x, _ in usable}) < 2:
        return Fit(series, measure, usable, None, None, None, None)
    xs, ys = [x for x, _ in usable], [y for _, y in usable]
    exponent, _ = _least_squares([math.log(x) for x in xs], [math.log(y) for y in ys])
    slope, intercept = _least_squares(xs, ys)
    mean = sum(ys) / len(ys)
    total_ss = sum((y - mean) ** 2 for y in ys)
    residual_ss = sum((y - (intercept + slope * x)) ** 2 for x, y in zip(xs, ys, strict=True))
    r_squared = 1.0 - residual_ss / total_ss if total_ss else 1.0
    return Fit(series, measure, usable, exponent, slope * 1_000_000, intercept, r_squared)


def _least_squares(xs: Sequence[float], ys: Sequence[float]) -> tuple[float, float]:
    """(slope, intercept) of the ordinary least-squares line through the points."""
    n = len(xs)
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mean_x) ** 2 for x in xs)
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    slope = sxy / sxx
    return slope, mean_y - slope * mean_x


CURVE_SERIES: Final = ("full build", "ingest", "lower_bound", "linkage", "dbt", "publish", "report")


@dataclass
class Curve:
    """The same benchmark at several sizes, and how each stage's cost grows with the number of partner rows."""

    runs: list[BenchRun]
    name: str = "curve"
    notes: list[str] = field(default_factory=list)

    def series(self, name: str, measure: str = WALL) -> list[tuple[int, float]]:
        """(partner rows, seconds) of one stage (or the full build) at each size."""
        points = []
        for run in self.runs:
            if name == "full build":
                figure = run.pipeline(FULL)
            elif name == "lower_bound":
                figure = run.stage("lower_bound", BASELINE)
            else:
                figure = run.stage(name, FULL)
            rows = run.stage("ingest", FULL).rows
            value = figure.seconds if measure == WALL else figure.cpu_seconds
            if figure.status == OK and value and rows:
                points.append((rows, value))
        return points

    def fits(self) -> list[Fit]:
        return [fit(name, self.series(name, measure), measure) for name in CURVE_SERIES for measure in (WALL, CPU)]

    def as_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "kind": "curve",
            "name": self.name,
            "fits": [asdict(f) | {"verdict": f.verdict} for f in self.fits()],
            "runs": [run.as_dict() for run in self.runs],
            "notes": self.notes,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Curve:
        return cls([BenchRun.from_dict(r) for r in data["runs"]], data.get("name", "curve"), data.get("notes", []))


# --- rendering ---------------------------------------------------------------------------------------------------

COLUMNS: Final = ("stage", "rows", "MB", "seconds", "rows/s", "MB/s", "peak RSS MiB", "baseline s", "× baseline",
                  "CPU s")
LABEL_WIDTH: Final = 32
DELIVERY_COLUMNS: Final = ("stage", "rows", "seconds", "CPU s", "peak RSS MiB", "full build s", "full build CPU s",
                           "share (wall)", "share (CPU)")


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def _number(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "—"
    return f"{value:,.{digits}f}"


def _seconds(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.2f}" if value < 10 else f"{value:,.1f}"


def _main_rows(run: BenchRun) -> list[tuple[StageFigure, bool]]:
    """(figure, emphasise) in table order: set-up, per-feed ingestion, the pipeline stages, the full build."""
    ordered: list[tuple[StageFigure, bool]] = []
    for stage in ("synth", "setup", "dbt_parse"):
        figure = run.find(stage, SETUP)
        if figure:
            ordered.append((figure, False))
    feeds = [f for f in run.figures if f.stage == "ingest" and f.phase == FULL]
    ordered.extend((f, False) for f in sorted(feeds, key=lambda f: f.feed or ""))
    if feeds:
        ordered.append((run.stage("ingest", FULL), True))
        ordered.append((run.stage("lower_bound", BASELINE), False))
    for stage, phase in (("linkage", FULL), ("linkage_baseline", BASELINE), ("dbt", FULL), ("publish", FULL),
                         ("report", FULL)):
        figure = run.find(stage, phase)
        if figure:
            ordered.append((figure, False))
    ordered.append((run.pipeline(FULL), True))
    return ordered


def _cells(figure: StageFigure) -> list[str]:
    label = figure.label if figure.status == OK else f"{figure.label} ({figure.status})"
    ratio = figure.ratio
    return [
        label,
        _number(figure.rows),
        _number(figure.bytes / MB if figure.bytes else None, 1),
        _seconds(figure.seconds if figure.status == OK else None),
        _number(figure.rows_per_s),
        _number(figure.mb_per_s, 1),
        _number(figure.peak_rss_mib),
        _seconds(figure.baseline_seconds),
        "—" if ratio is None else f"{ratio:.2f}",
        _seconds(figure.cpu_seconds),
    ]


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _delivery_row(label: str, delivery: StageFigure, full: StageFigure, rows: int | None) -> list[str]:
    return [label, _number(rows), _seconds(delivery.seconds if delivery.measured else None),
            _seconds(delivery.cpu_seconds if delivery.measured else None), _number(delivery.peak_rss_mib),
            _seconds(full.seconds if full.measured else None), _seconds(full.cpu_seconds if full.measured else None),
            _percent(_share(delivery, full, "wall")), _percent(_share(delivery, full, "cpu"))]


def _delivery_rows(run: BenchRun) -> list[list[str]]:
    rows = []
    for stage in PIPELINE_STAGES:
        delivery, full = run.stage(stage, DELIVERY), run.stage(stage, FULL)
        if delivery.status == SKIPPED and full.status == SKIPPED:
            continue
        label = STAGE_LABELS.get(stage, stage) + ("" if delivery.status == OK else f" ({delivery.status})")
        rows.append(_delivery_row(label, delivery, full, delivery.rows if stage == "ingest" else None))
    delivery, full = run.pipeline(DELIVERY), run.pipeline(FULL)
    label = "daily delivery (ingest → report)" + ("" if delivery.status == OK else f" ({delivery.status})")
    rows.append(_delivery_row(label, delivery, full, delivery.rows))
    return rows


def _title(run: BenchRun) -> str:
    scale = run.scale
    return (f"vrlake bench — {scale.get('name')} scale: {scale.get('people', 0):,} people, "
            f"{scale.get('months')} months of history")


def rich_run(run: BenchRun) -> Group:
    """The run as Rich tables: every stage, the daily delivery, the targets."""
    main = Table(title=_title(run), title_justify="left")
    for index, column in enumerate(COLUMNS):
        main.add_column(column, justify="left" if index == 0 else "right", no_wrap=index != 0,
                        min_width=LABEL_WIDTH if index == 0 else None)
    for figure, emphasise in _main_rows(run):
        main.add_row(*_cells(figure), style="bold" if emphasise else None)
    delivery = Table(title=f"Daily delivery ({run.scale.get('delivery_period', '?')}) on top of the full history",
                     title_justify="left")
    for index, column in enumerate(DELIVERY_COLUMNS):
        delivery.add_column(column, justify="left" if index == 0 else "right",
                            min_width=LABEL_WIDTH if index == 0 else None)
    for row in _delivery_rows(run):
        delivery.add_row(*row)
    targets = Table(title="Targets (issue 8)", title_justify="left")
    for column in ("target", "threshold", "measured", "verdict"):
        targets.add_column(column)
    for target in run.targets():
        style = {True: "green", False: "bold red", None: "yellow"}[target.met]
        targets.add_row(target.name, target.threshold, target.value, target.verdict, style=style)
    return Group(main, delivery, targets)


def rich_curve(curve: Curve) -> Group:
    sizes = Table(title="Cost versus size (full build, seconds per stage)", title_justify="left")
    for column in ("people", "partner rows", "full build s", "ingest s", "lower bound s", "linkage s", "dbt s",
                   "publish s", "report s", "peak RSS MiB"):
        sizes.add_column(column, justify="right")
    for run in curve.runs:
        sizes.add_row(*_curve_cells(run))
    fits = Table(title="Growth: seconds ≈ a·rows^k and seconds ≈ intercept + slope·rows", title_justify="left")
    for column in FIT_COLUMNS:
        fits.add_column(column, justify="left" if column in ("series", "measure", "verdict") else "right")
    for item in curve.fits():
        fits.add_row(*_fit_cells(item))
    return Group(sizes, fits)


def _curve_cells(run: BenchRun) -> list[str]:
    full = run.pipeline(FULL)
    stages = [run.stage(s, FULL) for s in ("ingest",)] + [run.stage("lower_bound", BASELINE)] + [
        run.stage(s, FULL) for s in ("linkage", "dbt", "publish", "report")]
    return [_number(run.scale.get("people")), _number(full.rows), _seconds(full.seconds if full.seconds else None),
            *[_seconds(s.seconds if s.measured else None) for s in stages], _number(full.peak_rss_mib)]


FIT_COLUMNS: Final = ("series", "measure", "k (exponent)", "slope s / 1M rows", "intercept s", "R²", "verdict")


def _fit_cells(item: Fit) -> list[str]:
    return [item.series, item.measure, _number(item.exponent, 2), _seconds(item.slope_s_per_million_rows),
            _seconds(item.intercept_s), _number(item.r_squared, 3), item.verdict]


def _markdown_table(
    header: Sequence[str], rows: Iterable[Sequence[str]], numeric_from: int = 1, text_columns: Sequence[str] = ()
) -> str:
    """A markdown table: columns before ``numeric_from`` and those named in ``text_columns`` left-aligned."""
    align = ["---" if i < numeric_from or name in text_columns else "---:" for i, name in enumerate(header)]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def _machine_lines(machine: dict[str, Any]) -> list[str]:
    cpus = machine.get("cpus")
    hardware = (f"- Machine: {cpus} CPUs, {machine.get('memory_gib')} GiB RAM, Python {machine.get('python')}, "
                f"{machine.get('platform')}.")
    load = (f"- Load average (1 min) at start {machine.get('load_start')}, at end {machine.get('load_end')}, mean "
            f"over stage starts {machine.get('load_mean')} on {cpus} CPUs. When it exceeds the CPU count, other work "
            "shared the machine: compare ratios measured in the same run (stage vs baseline, delivery vs full "
            "build), not absolute seconds across runs. CPU s against seconds shows how much of the machine a "
            "stage got.")
    return [hardware, load]


LEGEND: Final = (
    "seconds: the stage's own work (interpreter start-up excluded). CPU s: CPU time of that work, every thread "
    "and any child process (dbt) included; on a shared machine it varies far less than seconds (for the cleartext "
    "Splink baseline it is the whole process's). Peak RSS: the process's high-water mark including dbt (per feed: "
    "during that feed). × baseline: seconds / baseline seconds, lower is better; for "
    "ingestion the baseline is DuckDB parsing the same raw files and writing Parquet, for linkage Splink on the "
    "same records in cleartext. The full build and the daily delivery are the sums of ingest, linkage, dbt build, "
    "publishing and report; synth, set-up and baselines are not part of a refresh."
)


def markdown_run(run: BenchRun, heading: str = "#") -> str:
    parts = [f"{heading} {_title(run)}", ""]
    parts += [f"Started {run.started_at}; whole benchmark {run.wall_seconds:,.0f} s wall-clock.", ""]
    parts += _machine_lines(run.machine) + [""]
    parts += [LEGEND, ""]
    parts.append(_markdown_table(COLUMNS, [_cells(f) for f, _ in _main_rows(run)]))
    parts += ["", f"{heading}# Daily delivery ({run.scale.get('delivery_period', '?')}) on top of the full history", ""]
    parts.append(_markdown_table(DELIVERY_COLUMNS, _delivery_rows(run)))
    parts += ["", f"{heading}# Targets (issue 8)", ""]
    parts.append(_markdown_table(("target", "threshold", "measured", "verdict", "note"),
                                 [(t.name, t.threshold, t.value, t.verdict, t.note) for t in run.targets()],
                                 numeric_from=99))
    problems = [f for f in run.figures if f.status != OK]
    if run.notes or problems:
        parts += ["", f"{heading}# Notes", ""]
        parts += [f"- {note}" for note in run.notes]
        parts += [f"- {f.label} ({f.phase}): {f.status}. {f.note}".rstrip() for f in problems]
    detailed = [f for f in run.figures if f.details and f.stage in ("linkage", "dbt", "report", "linkage_baseline")]
    if detailed:
        parts += ["", f"{heading}# Stage details", ""]
        for figure in detailed:
            summary = ", ".join(f"{k}: {v}" for k, v in figure.details.items())
            parts.append(f"- {figure.label} ({figure.phase}): {summary}")
    return "\n".join(parts) + "\n"


GROWTH_EXPLANATION: Final = (
    "Exponent k from a log-log least-squares fit of seconds against partner rows (k ≈ 1 is linear; k < 1 means "
    "fixed costs still dominate at these sizes); slope and intercept from a straight-line fit, whose R² near 1 "
    "says the cost is a fixed part plus a part proportional to the rows. Each series is fitted on wall-clock "
    "seconds and on CPU seconds: on a shared machine the CPU fit is the steadier one. A verdict on growth needs "
    f"R² ≥ {FIT_R_SQUARED_MIN:g}: linear when k ≤ 1.15 (with k < {FIXED_COST_EXPONENT:g}, the fixed part still "
    "dominates), super-linear above. The quick curve's sizes mostly measure fixed costs: judge growth on "
    "curve-medium or curve-force."
)


def markdown_curve(curve: Curve) -> str:
    header = ("people", "partner rows", "full build s", "ingest s", "lower bound s", "linkage s", "dbt s",
              "publish s", "report s", "peak RSS MiB")
    parts = ["# vrlake bench — cost versus size", ""]
    if curve.runs:
        parts += _machine_lines(curve.runs[-1].machine) + [""]
    parts += [_markdown_table(header, [_curve_cells(r) for r in curve.runs]), ""]
    parts += ["## Growth", "", GROWTH_EXPLANATION, ""]
    parts.append(_markdown_table(FIT_COLUMNS, [_fit_cells(f) for f in curve.fits()], numeric_from=2,
                                 text_columns=("verdict",)))
    if curve.notes:
        parts += ["", "## Notes", ""] + [f"- {note}" for note in curve.notes]
    for run in curve.runs:
        parts += ["", markdown_run(run, heading="##")]
    return "\n".join(parts) + "\n"
