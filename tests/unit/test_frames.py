"""The data door: mappings, readers, refusals at row, column and field; frames out."""

from __future__ import annotations

import pickle
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from leadpipeline import DEFAULT_PLAYBOOK, ConfigurationError, ValidationError
from leadpipeline.analytics import threshold_sweep
from leadpipeline.analytics.thresholds import ScoredOutcome
from leadpipeline.frames import (
    Column,
    ColumnMapping,
    LeadFrame,
    OutcomeColumns,
    RowsRefusedError,
    TouchTable,
    lead_frame,
    read_arrow,
    read_csv,
    read_pandas,
    read_records,
    score_frame,
    stream_csv,
    to_table,
)
from leadpipeline.rules.scoring import DEFAULT_SCORING_MODEL, score, score_totals
from leadpipeline.serialization import from_toml, to_toml

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)

MAPPING = ColumnMapping(
    id="Lead ID",
    time_zone="Europe/Berlin",
    date_formats=("%d.%m.%Y %H:%M", "%d.%m.%Y"),
    columns=(
        Column(header="Created", field="source.captured_at"),
        Column(
            header="Lead Source",
            field="source.channel",
            values={"Web": "web", "Trade Show": "exhibition"},
        ),
        Column(header="Job Title", field="contact.job_title"),
        Column(header="Employees", field="company.employees"),
        Column(header="Revenue", field="company.annual_revenue.amount"),
        Column(header="Decision", field="needs.purchase_decision", formats=("%d.%m.%Y",)),
        Column(header="Interests", field="interests"),
    ),
    constants={"company.annual_revenue.source": "crm"},
    touch_table=TouchTable(
        lead_id="Lead ID", kind="Activity", at="Date", kinds={"Visit": "site_visit"}
    ),
    outcome=OutcomeColumns(result="Status", results={"Won": "won", "Lost": "lost", "Open": "open"}),
)

MESSY = """Lead ID,Created,Lead Source,Job Title,Employees,Revenue,Decision,Interests,Status
L-1,01.03.2026 10:00,Web,Head of IT,800,25000000,01.09.2026,erp; cloud,Won
L-2,01.03.2026 10:00,Select,N/A,120,,,,Open
L-3,01.03.2026 10:00,Trade Show,,lots,,,,Open
L-4,31.02.2026 10:00,Web,,,,,,Open
L-5,01.03.2026 10:00,Fax,,,,,,Lost
L-1,01.03.2026 10:00,Web,,,,,,Open
L-6,01.03.2026 10:00,Web,,12.5,-3,2026-09-01,,Open
,01.03.2026 10:00,Web,,,,,,Open
L-7,29.03.2026 02:30,Web,Select,N/A,,,,Maybe
L-8,02.03.2026 09:00,Trade Show,Buyer,60,,,,Lost
"""

TOUCHES = """Lead ID,Activity,Date
L-1,Visit,02.03.2026 10:00
L-8,Visit,not a date
L-99,Visit,02.03.2026 10:00
L-2,Fax,02.03.2026 10:00
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


class TestMessyCsv:
    def test_every_refusal_names_row_column_and_field(self, tmp_path: Path) -> None:
        """Placeholders, wrong types, unknown values, bad dates and duplicates: each refused."""
        frame = read_csv(
            write(tmp_path, "leads.csv", MESSY),
            MAPPING,
            touches=write(tmp_path, "touches.csv", TOUCHES),
        )
        found = {(r.table, r.row, r.column, r.field, r.message) for r in frame.refused}
        expected = {
            ("leads", 2, "Lead Source", "source.channel", "required: the cell is empty"),
            ("leads", 3, "Employees", "company.employees", "expected a whole number"),
            (
                "leads",
                4,
                "Created",
                "source.captured_at",
                "expected a date like %d.%m.%Y %H:%M or %d.%m.%Y",
            ),
            (
                "leads",
                5,
                "Lead Source",
                "source.channel",
                "unknown value; the mapping knows 'Web', 'Trade Show'",
            ),
            ("leads", 6, "Lead ID", "id", "duplicate id: first given on row 1"),
            ("leads", 7, "Employees", "company.employees", "expected a whole number"),
            ("leads", 7, "Revenue", "company.annual_revenue.amount", "must not be negative"),
            ("leads", 7, "Decision", "needs.purchase_decision", "expected a date like %d.%m.%Y"),
            ("leads", 8, "Lead ID", "id", "required: the cell is empty"),
            (
                "leads",
                9,
                "Created",
                "source.captured_at",
                "does not exist in Europe/Berlin: the clocks went forward",
            ),
            (
                "leads",
                9,
                "Status",
                "outcome.result",
                "unknown value; the mapping knows 'Won', 'Lost', 'Open'",
            ),
            ("leads", 10, "", "interactions", "its touch on touches row 2 is refused"),
            ("leads", 2, "", "interactions", "its touch on touches row 4 is refused"),
            (
                "touches",
                2,
                "Date",
                "interactions.at",
                "expected a date like %d.%m.%Y %H:%M or %d.%m.%Y",
            ),
            (
                "touches",
                4,
                "Activity",
                "interactions.kind",
                "unknown value; the mapping knows 'Visit'",
            ),
            ("touches", 3, "Lead ID", "id", "no lead with this id was read"),
        }
        assert found == expected
        assert frame.leads.column("id").to_pylist() == ["L-1"]
        assert frame.read == 10

    def test_placeholders_are_missing_not_text(self, tmp_path: Path) -> None:
        """'Select', 'N/A' and empty cells become no value, and so do NaN and None."""
        rows = [
            {
                "Lead ID": "L-1",
                "Created": "01.03.2026",
                "Lead Source": "Web",
                "Job Title": float("nan"),
                "Employees": None,
                "Status": "N/A",
            },
        ]
        lead = read_records(rows, MAPPING).to_leads().items[0]
        assert lead.contact.job_title is None
        assert lead.company.employees is None
        assert score(lead, DEFAULT_SCORING_MODEL, now=NOW).total == 0.0

    def test_a_long_file_of_repeated_cells_refuses_each_bad_row(self, tmp_path: Path) -> None:
        """Values read once per distinct cell still refuse every row holding a bad one."""
        header = "Lead ID,Created,Lead Source,Job Title,Employees,Revenue,Decision,Interests,Status"
        lines = [header]
        for i in range(200):
            bad = i % 10 == 3
            source, employees = ("Fax", "lots") if bad else ("Web", "80")
            lines.append(f"L-{i},01.03.2026 10:00,{source},Head of IT,{employees},,,erp,Open")
        frame = read_csv(write(tmp_path, "leads.csv", "\n".join(lines) + "\n"), MAPPING)
        found = {(r.row, r.column, r.field, r.value) for r in frame.refused}
        expected = {
            (row, column, field, value)
            for row in range(4, 201, 10)
            for column, field, value in (
                ("Lead Source", "source.channel", "Fax"),
                ("Employees", "company.employees", "lots"),
            )
        }
        assert found == expected
        assert len(frame) == 180
        assert set(frame.leads.column("contact.job_title").to_pylist()) == {"Head of IT"}

    def test_refused_touch_refuses_its_lead(self, tmp_path: Path) -> None:
        """A lead is never imported without one of its touches."""
        frame = read_csv(
            write(tmp_path, "leads.csv", MESSY),
            MAPPING,
            touches=write(tmp_path, "touches.csv", TOUCHES),
        )
        assert "L-8" not in frame.leads.column("id").to_pylist()
        leads = frame.to_leads().items
        assert [(t.kind.value, t.at) for t in leads[0].interactions] == [
            ("site_visit", datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
        ]

    def test_stop_on_refusal_imports_nothing(self, tmp_path: Path) -> None:
        """Asked to stop, a read with a refused row raises and returns no frame."""
        with pytest.raises(RowsRefusedError) as caught:
            read_csv(write(tmp_path, "leads.csv", MESSY), MAPPING, stop_on_refusal=True)
        assert caught.value.refusals[0].row == 2
        assert "source.channel" in caught.value.problems[0][1]

    def test_streamed_batches_find_duplicates_across_batches(self, tmp_path: Path) -> None:
        """Streaming in batches of two rows reports the same refusals as one read."""
        path = write(tmp_path, "leads.csv", MESSY)
        touches = write(tmp_path, "touches.csv", TOUCHES)
        batches = list(stream_csv(path, MAPPING, touches=touches, batch_rows=2))
        assert len(batches) == 5
        streamed = {(r.table, r.row, r.field, r.message) for b in batches for r in b.refused}
        whole = {
            (r.table, r.row, r.field, r.message)
            for r in read_csv(path, MAPPING, touches=touches).refused
        }
        duplicate = ("leads", 6, "id", "duplicate id: given in an earlier batch")
        assert streamed - {duplicate} == whole - {
            ("leads", 6, "id", "duplicate id: first given on row 1")
        }


class TestSources:
    ROWS = (
        {"Lead ID": "L-1", "Created": "01.03.2026", "Lead Source": "Web", "Employees": 800},
        {"Lead ID": "L-2", "Created": "01.03.2026", "Lead Source": "Trade Show", "Employees": "x"},
    )

    def test_records_dataframes_and_arrow_agree(self) -> None:
        """The same rows read as records, a pandas DataFrame or an Arrow table give the same."""
        pd = pytest.importorskip("pandas")
        columns = (MAPPING.columns[0], MAPPING.columns[1], MAPPING.columns[3])
        mapping = ColumnMapping(id="Lead ID", columns=columns, date_formats=("%d.%m.%Y",))
        table = pa.Table.from_pylist([{**r, "Employees": str(r["Employees"])} for r in self.ROWS])
        frames = [
            read_records(self.ROWS, mapping),
            read_pandas(pd.DataFrame(list(self.ROWS)), mapping),
            read_arrow(table, mapping),
        ]
        for frame in frames:
            assert frame.leads.column("id").to_pylist() == ["L-1"]
            assert [(r.row, r.field) for r in frame.refused] == [(2, "company.employees")]

    def test_pandas_nan_never_reaches_a_lead(self) -> None:
        """NaN for a missing job title in a DataFrame becomes None, and scoring works."""
        pd = pytest.importorskip("pandas")
        mapping = ColumnMapping(
            id="Lead ID", columns=MAPPING.columns[:3], date_formats=("%d.%m.%Y",)
        )
        df = pd.DataFrame(
            {
                "Lead ID": ["L-1", "L-2"],
                "Created": ["01.03.2026"] * 2,
                "Lead Source": ["Web", "Web"],
                "Job Title": ["Head of IT", np.nan],
            }
        )
        leads = read_pandas(df, mapping).to_leads().items
        assert [lead.contact.job_title for lead in leads] == ["Head of IT", None]
        assert score_totals(leads, DEFAULT_SCORING_MODEL, now=NOW) == (10.0, 0.0)

    def test_missing_column_is_named(self) -> None:
        """A mapped column the source lacks is refused with its name."""
        with pytest.raises(ValidationError, match="'Created'"):
            read_arrow(pa.table({"Lead ID": ["L-1"]}), MAPPING)


class TestMapping:
    def test_round_trips_through_toml(self) -> None:
        """A mapping written as TOML reads back equal, value maps included."""
        assert from_toml(to_toml(MAPPING), ColumnMapping) == MAPPING

    def test_unknown_field_and_missing_required_are_refused(self) -> None:
        """A field no column can feed, and a required field without a column, name their path."""
        with pytest.raises(ConfigurationError) as caught:
            ColumnMapping(id="id", columns=(Column(header="x", field="company.turnover"),))
        assert "columns[0].field" in caught.value.paths
        assert any("source.channel is required" in m for _, m in caught.value.problems)

    def test_unknown_time_zone_and_kind(self) -> None:
        """An unknown time zone or interaction kind is a configuration error."""
        with pytest.raises(ConfigurationError) as caught:
            ColumnMapping(
                id="id",
                columns=MAPPING.columns,
                time_zone="Mars/Olympus",
                touch_table=TouchTable(kinds={"Visit": "teleport"}),
            )
        assert set(caught.value.paths) >= {"time_zone", "touch_table.kinds.Visit"}

    def test_pickles_to_an_equal_mapping(self) -> None:
        """A mapping with value maps pickles, as an executor receives it, and reads back equal."""
        shipped = pickle.loads(pickle.dumps(MAPPING))
        assert shipped == MAPPING
        assert dict(shipped.columns[1].values) == dict(MAPPING.columns[1].values)


class TestScoreFrame:
    def test_frame_of_leads_scores_like_score_totals(self) -> None:
        """A frame made from leads scores exactly as the leads do, with rule columns."""
        frame = read_csv_like()
        leads = frame.to_leads().items
        scores = score_frame(frame, DEFAULT_SCORING_MODEL, now=NOW, rules=True)
        assert scores.totals.tolist() == list(score_totals(leads, DEFAULT_SCORING_MODEL, now=NOW))
        table = to_table(scores)
        assert "rule.company size 200-5000" in table.column_names
        cards = [score(lead, DEFAULT_SCORING_MODEL, now=NOW) for lead in leads]
        assert to_table(cards).column("total").to_pylist() == scores.totals.tolist()

    def test_threshold_sweep_takes_frame_scores(self) -> None:
        """The sweep takes score_frame's output as it is, with the outcome column."""
        frame = read_csv_like()
        scores = score_frame(frame, DEFAULT_SCORING_MODEL, now=NOW)
        sweep = threshold_sweep(scores)
        pairs = [ScoredOutcome(score=s, won=w) for s, w in scores.pairs()]
        assert sweep == threshold_sweep(pairs)

    def test_a_field_without_a_column_holds_what_a_lead_without_it_holds(self) -> None:
        """Columns a frame lacks score as the fields of a lead built without them."""
        table = pa.table(
            {"id": ["L-1"], "source.channel": ["exhibition"], "company.employees": [800]}
        )
        assert score_frame(table, DEFAULT_SCORING_MODEL, now=NOW).totals.tolist() == [20.0]

    def test_naive_now_is_refused(self) -> None:
        """A naive instant is refused, as everywhere in the library."""
        with pytest.raises(ValidationError):
            score_frame(read_csv_like(), DEFAULT_SCORING_MODEL, now=datetime(2026, 3, 4))

    def test_lead_frame_round_trips_leads(self) -> None:
        """Leads made into a frame and back are equal to what they were."""
        leads = read_csv_like().to_leads().items
        assert lead_frame(leads).to_leads().items == leads


class TestHistories:
    def test_outcomes_make_histories_the_playbook_decided(self) -> None:
        """A won row becomes capture, moves to opportunity, and a won completion."""
        histories = read_csv_like().to_histories(DEFAULT_PLAYBOOK).items
        kinds = [type(e).__name__ for e in histories[0]]
        assert kinds[0] == "LeadCaptured"
        assert "Completed" in kinds
        assert histories[0][-1].lead_id == "L-1"


def read_csv_like() -> LeadFrame:
    rows = [
        {
            "Lead ID": "L-1",
            "Created": "01.03.2026 10:00",
            "Lead Source": "Trade Show",
            "Job Title": "Head of IT",
            "Employees": "800",
            "Revenue": "25000000",
            "Decision": "01.09.2026",
            "Interests": "erp",
            "Status": "Won",
        },
        {
            "Lead ID": "L-2",
            "Created": "01.03.2026 10:00",
            "Lead Source": "Web",
            "Job Title": "Student",
            "Employees": "",
            "Revenue": "",
            "Decision": "",
            "Interests": "",
            "Status": "Open",
        },
    ]
    touches = [
        {"Lead ID": "L-1", "Activity": "Visit", "Date": "02.03.2026 10:00"},
        {"Lead ID": "L-1", "Activity": "Visit", "Date": "03.03.2026 10:00"},
    ]
    return read_records(rows, MAPPING, touches=touches)


class TestOptionalExtra:
    def test_core_imports_neither_numpy_nor_pyarrow(self) -> None:
        """Importing the library and running a decision loads no numpy or pyarrow."""
        code = (
            "import sys, leadpipeline, leadpipeline.analytics, leadpipeline.rules;"
            "print(sorted(m for m in ('numpy', 'pyarrow', 'pandas') if m in sys.modules))"
        )
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
        assert out.stdout.strip() == "[]"
