"""The check panel shows the excerpt that decided the verdict first under "evidence" (#18)."""

from __future__ import annotations

from datetime import UTC, datetime

from textual.app import App, ComposeResult

from runbook.checks.base import CheckResult, Evidence, Verdict
from runbook.tui.widgets.check_panel import CheckPanel, CheckRow


class _PanelApp(App[None]):
    def compose(self) -> ComposeResult:
        yield CheckPanel()


async def test_deciding_excerpt_comes_first_under_evidence():
    at = datetime(2026, 3, 14, 2, 16, 30, tzinfo=UTC)
    result = CheckResult(
        "histogram_bucket_quality",
        Verdict.FAIL,
        "1 failing / 0 warning of 1 histogram series",
        {"series_fail": 1},
        {},
        (
            Evidence(at, "request", "GET http://127.0.0.1:9100/metrics"),
            Evidence(at, "response", 'HTTP 200\ngo_gc_duration_seconds{quantile="0"} 0'),
            Evidence(at, "series", 'h_bucket{le="0.05"} 0\nh_bucket{le="1"} 200\nh_count 200', deciding=True),
        ),
        at,
        0.2,
        {},
    )
    app = _PanelApp()
    async with app.run_test() as pilot:
        panel = app.query_one(CheckPanel)
        panel.finished("k1", result)
        await pilot.pause()
        row = app.query_one(CheckRow)
        text = str(row.evidence_body.render())
        assert text.startswith('decided the verdict: series\nh_bucket{le="0.05"} 0\nh_bucket{le="1"} 200\nh_count 200')
        assert text.index("decided the verdict") < text.index("02:16:30 request: GET") < text.index("go_gc_duration")
        assert row.evidence.title == "evidence (3)"
