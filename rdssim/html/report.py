"""The HTML report: one self-contained page (plotly.js inlined) from a run's Records.

Three sections: the summary table (the terminal's rows, rdssim.report.summary_rows: the
same names and numbers), the interactive timeline (rdssim.html.timeline) and the event log
(every event of every variant, as events.csv has them; the summary's event log, what
``rdssim run`` prints, is shown first, the rest a click away). Nothing is fetched when the
page is opened: it works from a file, offline.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from html import escape
from pathlib import Path

from rdssim import __version__
from rdssim.metrics import LOGGED_KINDS, Summary, summarize
from rdssim.record import Record
from rdssim.report import summary_rows
from rdssim.timebase import origin_s

TIMELINE_ID = "timeline"

STYLE = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1a1a1a;
  margin: 0 auto; padding: 1.2em 2em 3em; max-width: 1500px; background: #fafafa; }
h1 { font-size: 1.5em; margin: 0 0 .1em; } h2 { font-size: 1.15em; margin: 1.6em 0 .5em; }
.meta, .hint { color: #555; margin: 0 0 .6em; } .hint { font-size: .9em; }
section { background: white; border: 1px solid #e3e3e3; border-radius: 6px; padding: .3em 1em 1em; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { padding: .22em .8em; text-align: left; border-bottom: 1px solid #eee; }
th { background: #f3f3f3; }
table.events th { position: sticky; top: 0; }  /* in its scrolling box */
table.summary td.value, table.summary th.value { text-align: right; }
table.summary td.metric { white-space: nowrap; }
table.summary tr.sub td.metric { padding-left: 2em; color: #333; }
table.summary tr.head td { font-weight: 600; padding-top: .7em; }
.events-box { max-height: 65vh; overflow: auto; border: 1px solid #eee; }
table.events td.num { text-align: right; }
table.events td.num, table.events td.word, table.events th { white-space: nowrap; }
table.events tr.rds td { background: #f7f3fb; }
table.events tbody tr { cursor: pointer; } table.events tbody tr:hover td { background: #fff7d6; }
.filters { display: flex; gap: 1.2em; align-items: center; margin: .3em 0 .6em; flex-wrap: wrap; }
.filters input[type=search] { width: 18em; padding: .2em .4em; }
footer { color: #777; font-size: .85em; margin-top: 2em; }
"""

SCRIPT = """
(function () {
  const rows = Array.from(document.querySelectorAll("table.events tbody tr"));
  const only = document.getElementById("only-log"), text = document.getElementById("search");
  const variant = document.getElementById("variant"), count = document.getElementById("shown");
  function filter() {
    const words = text.value.trim().toLowerCase();
    let shown = 0;
    for (const row of rows) {
      const keep = (!only.checked || row.dataset.logged === "1")
        && (!variant || variant.value === "" || row.dataset.variant === variant.value)
        && (!words || row.textContent.toLowerCase().includes(words));
      row.hidden = !keep;
      shown += keep;
    }
    count.textContent = shown + " of " + rows.length + " events shown";
  }
  for (const input of [only, text, variant]) if (input) input.addEventListener("input", filter);
  filter();
  // A click on an event centres the timeline on it, keeping the zoom.
  const plot = document.getElementById("__TIMELINE__");
  for (const row of rows) row.addEventListener("click", function () {
    const range = plot.layout.xaxis.range, t = parseFloat(row.dataset.t);
    const half = (range[1] - range[0]) / 2;
    Plotly.relayout(plot, {"xaxis.range": [t - half, t + half]});
    plot.scrollIntoView({behavior: "smooth", block: "center"});
  });
})();
""".replace("__TIMELINE__", TIMELINE_ID)


def render(records: Mapping[str, Record]) -> str:
    """The page for the variants of one run (by variant name, in the run's order)."""
    from rdssim.html.timeline import build_figure

    if not records:
        raise ValueError("a report needs at least one run")
    summaries = {name: summarize(record) for name, record in records.items()}
    first = next(iter(records.values()))
    figure = build_figure(records).to_html(
        full_html=False,
        include_plotlyjs=True,  # inlined: the page works offline, from a file
        div_id=TIMELINE_ID,
        config={"displaylogo": False, "responsive": True},
    )
    title = f"{first.meta.get('scenario')} — seed {first.meta.get('seed')}"
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{escape(title)} · rdssim report</title>",
            f"<style>{STYLE}</style></head><body>",
            f"<h1>{escape(title)}</h1>",
            f'<p class="meta">{escape(_meta_line(first, list(records)))}</p>',
            '<h2 id="summary">Summary</h2><section>',
            _summary_table(summaries),
            "</section>",
            '<h2 id="timeline-title">Timeline</h2><section>',
            '<p class="hint">Drag to zoom in (on the axis: pan), double-click to go back to the'
            " first view; hover over a bar or a marker for its state or its events. Time is in"
            " seconds from the first fault or action; the tooltips give the run's seconds too."
            "</p>",
            figure,
            "</section>",
            '<h2 id="events">Event log</h2><section>',
            _event_log(records),
            "</section>",
            f"<footer>Written by rdssim {escape(__version__)} from the run's Record "
            "(record.jsonl): <code>rdssim report RUN_DIR</code> writes it again.</footer>",
            f"<script>{SCRIPT}</script>",
            "</body></html>",
            "",
        ]
    )


def write(path: str | os.PathLike[str], records: Mapping[str, Record]) -> Path:
    """Write the page to ``path`` whole (a temporary file renamed into place, so an
    interrupted write leaves no half page); returns the path."""
    target = Path(path)
    page = render(records)
    # A scratch name of its own beside the target: two reports written to one place at once
    # each rename a whole page (the last wins) instead of sharing one scratch file.
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    scratch = Path(name)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(page)
        scratch.chmod(0o644)  # mkstemp's 0600 would hide the page from others sharing it
        scratch.replace(target)
    finally:
        scratch.unlink(missing_ok=True)
    return target


def _meta_line(record: Record, variants: list[str]) -> str:
    meta = record.meta
    parts = [
        str(meta.get("deployment", "")),
        f"{meta.get('engine', '')} {meta.get('engine_version', '') or ''}".strip(),
        f"{record.duration_s:,.0f} s simulated",
    ]
    if len(variants) > 1:
        parts.append(f"{len(variants)} variants on the same seed: {', '.join(variants)}")
    return " · ".join(p for p in parts if p)


def _summary_table(summaries: Mapping[str, Summary]) -> str:
    """The terminal's summary table: its rows, labels and printed values."""
    head = "".join(f'<th class="value">{escape(name)}</th>' for name in summaries)
    out = [f'<table class="summary"><thead><tr><th>metric</th>{head}</tr></thead><tbody>']
    for label, cells in summary_rows(summaries):
        kind = "sub" if label.startswith(" ") else "head" if not any(cells) else "top"
        values = "".join(f'<td class="value">{escape(cell)}</td>' for cell in cells)
        out.append(
            f'<tr class="{kind}"><td class="metric">{escape(label.strip())}</td>{values}</tr>'
        )
    out.append("</tbody></table>")
    return "\n".join(out)


def _event_log(records: Mapping[str, Record]) -> str:
    """Every event of every variant; the summary's event log marked (data-logged)."""
    several = len(records) > 1
    filters = [
        '<div class="filters">',
        '<label><input type="checkbox" id="only-log" checked> the RDS event log only'
        " (as <code>rdssim run</code> prints it)</label>",
        '<input type="search" id="search" placeholder="filter: text in any column">',
    ]
    if several:
        options = "".join(f'<option value="{escape(n)}">{escape(n)}</option>' for n in records)
        filters.append(
            f'<label>variant <select id="variant"><option value="">all</option>{options}'
            "</select></label>"
        )
    filters += ['<span id="shown"></span>', "</div>"]
    columns = ["variant"] if several else []
    columns += ["t (s)", "from fault/action (s)", "event", "source", "kind", "message"]
    out = [
        *filters,
        '<div class="events-box"><table class="events"><thead><tr>',
        "".join(f"<th>{escape(c)}</th>" for c in columns),
        "</tr></thead><tbody>",
    ]
    for name, record in records.items():
        zero = origin_s(record)
        for event in record.events:
            logged = event.rds_event is not None or event.kind in LOGGED_KINDS
            cells = [escape(name)] if several else []
            cells += [
                f'<td class="num">{event.time_s:.3f}</td>',
                f'<td class="num">{event.time_s - zero:+.3f}</td>',
                f'<td class="word">{escape(event.rds_event or "—")}</td>',
                f'<td class="word">{escape(event.source)}</td>',
                f'<td class="word">{escape(event.kind)}</td>',
                f"<td>{escape(event.message)}</td>",
            ]
            if several:
                cells[0] = f"<td>{cells[0]}</td>"
            out.append(
                f'<tr class="{"rds" if event.rds_event else ""}" data-variant="{escape(name)}"'
                f' data-logged="{int(logged)}" data-t="{event.time_s - zero:.3f}">'
                + "".join(cells)
                + "</tr>"
            )
    out.append("</tbody></table></div>")
    return "\n".join(out)
