"""From the overview's numbers to what the page and the workbook show: for
each figure a title, what it counts, a table (the accessible and printable
form of the chart, and the XLSX sheet) and the chart's data for ECharts.

Every number carries the link to the ledger rows (or the list) that make it
up, with the ledger's own filter parameters. Labels are translated here, per
request; the cached ``Overview`` holds only numbers and names from the
database, so one cache entry serves every language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _

from approvals.choices import Colour, Rating

from .selectors import Overview

# the desk's palette (static/desk/desk.css)
COLOUR_HEX = {"yellow": "#f0b429", "red": "#c62828", "green": "#2e7d32", "grey": "#7b8794"}
RATING_HEX = {5: "#2e7d32", 4: "#66bb6a", 3: "#f0b429", 2: "#ef6c00", 1: "#c62828"}
BLUE, GREEN = "#0b5cad", "#2e7d32"


@dataclass
class Cell:
    value: Any
    href: str = ""
    label: str = ""  # the column's name, for the stacked phone layout

    @property
    def text(self) -> str:
        """The value as the page shows it (the workbook keeps the value)."""
        v = self.value
        if v is None:
            return "—"
        if isinstance(v, bool):
            return str(v)
        if isinstance(v, float):
            return f"{v:,.1f}"
        if isinstance(v, int):
            return f"{v:,}"
        if isinstance(v, date):
            return v.isoformat()
        return str(v)


@dataclass
class Table:
    columns: list[tuple[str, int]]  # (header, XLSX column width)
    rows: list[list[Cell]] = field(default_factory=list)
    footer: list[Cell] | None = None

    def add(self, *cells: Cell | Any) -> None:
        self.rows.append(self._row(cells))

    def total(self, *cells: Cell | Any) -> None:
        self.footer = self._row(cells)

    def _row(self, cells) -> list[Cell]:
        row = [c if isinstance(c, Cell) else Cell(c) for c in cells]
        for cell, (label, _w) in zip(row, self.columns, strict=True):
            cell.label = label
        return row


@dataclass
class Figure:
    key: str
    title: str
    note: str
    table: Table
    chart: dict | None = None
    more: tuple[str, str] | None = None  # (text, url) of the full list


def _iso(value):
    return value.isoformat() if isinstance(value, date) else value


class Links:
    """URLs of the ledger (and other lists) narrowed to the overview's scope."""

    def __init__(self, ov: Overview):
        self.ov = ov
        self.ledger_url = reverse("approvals:ledger")

    def ledger(self, **params) -> str:
        query = {k: _iso(v) for k, v in params.items() if v not in (None, "")}
        if self.ov.department is not None:
            query["department"] = self.ov.department.pk
        return f"{self.ledger_url}?{urlencode(query)}"

    def received(self, **params) -> str:
        return self.ledger(received_from=self.ov.start, received_to=self.ov.end, **params)

    def resolved(self, start: date | None = None, end: date | None = None, **params) -> str:
        return self.ledger(resolved_from=start or self.ov.start, resolved_to=end or self.ov.end,
                           **params)


def _bar_chart(labels, values, links, *, name: str, horizontal=False, colors=None,
               color=BLUE, unit="") -> dict:
    return {
        "type": "hbar" if horizontal else "bar", "labels": labels, "unit": unit,
        "series": [{"name": name, "data": values, "links": links, "colors": colors,
                    "color": color}],
    }


def _count_figure(key, title, note, ov_bars, links: Links, param: str, *, header: str,
                  label=lambda b: b.name) -> Figure:
    """A figure of obstacles received in the period per category, street or
    industry: a horizontal bar chart and its table."""
    table = Table([(header, 28), (_("Obstacles"), 12)])
    for bar in ov_bars:
        href = links.received(**{param: bar.key}) if bar.key is not None else ""
        table.add(Cell(label(bar) or _("Not recorded"), href), Cell(bar.count, href))
    table.total(_("Total"), Cell(sum(b.count for b in ov_bars), links.received()))
    chart = _bar_chart(
        [r[0].value for r in table.rows], [r[1].value for r in table.rows],
        [r[1].href for r in table.rows], name=_("Obstacles"), horizontal=True)
    return Figure(key, title, note, table, chart)


def build(ov: Overview) -> list[Figure]:
    """The overview's figures in page order."""
    links = Links(ov)
    zh = (get_language() or "").startswith("zh")
    figures = [_colours(ov, links), _weeks(ov, links), _overdue(ov, links)]
    figures += [
        _count_figure("categories", _("Obstacles by category"),
                      _("Obstacles received in the period, by top-level category."),
                      ov.categories, links, "category", header=_("Category")),
        _count_figure("streets", _("Obstacles by street"),
                      _("Obstacles received in the period, by the firm's street."),
                      ov.streets, links, "street", header=_("Street")),
        _count_figure("industries", _("Obstacles by industry"),
                      _("Obstacles received in the period, by the firm's industry "
                        "(GB/T 4754 section)."),
                      ov.industries, links, "industry", header=_("Industry"),
                      label=lambda b: b.name if zh or not b.name_en else b.name_en),
        _satisfaction(ov, links),
    ]
    if ov.teams is not None:
        figures += [_teams(ov), _key_firms(ov)]
    figures.append(_league(ov))
    for fig in figures:
        if not fig.table.rows:
            fig.chart = None  # the table says "nothing in this period"
    return figures


def _colours(ov: Overview, links: Links) -> Figure:
    table = Table([(_("Colour"), 24), (_("Obstacles"), 12)])
    for colour in Colour:
        href = links.received(colour=colour.value)
        table.add(Cell(colour.label, href), Cell(ov.colours[colour.value], href))
    table.total(_("Total"), Cell(sum(ov.colours.values()), links.received()))
    # the chart's axis has room for the colour's name; the table says what it means
    short = {"yellow": _("Yellow"), "red": _("Red"), "green": _("Green"), "grey": _("Grey")}
    chart = _bar_chart(
        [short[c.value] for c in Colour], [ov.colours[c.value] for c in Colour],
        [r[1].href for r in table.rows], name=_("Obstacles"),
        colors=[COLOUR_HEX[c.value] for c in Colour])
    return Figure("colours", _("Three-colour ledger"), _(
        "Obstacles received in the period, by their colour today."), table, chart)


def _weeks(ov: Overview, links: Links) -> Figure:
    new = pgettext("obstacles per week", "New")
    table = Table([(_("Week of"), 12), (new, 10), (_("Resolved"), 10)])
    for w in ov.weeks:
        table.add(w.monday,
                  Cell(w.new, links.ledger(received_from=w.start, received_to=w.end)),
                  Cell(w.resolved, links.resolved(w.start, w.end)))
    table.total(_("Total"), Cell(sum(w.new for w in ov.weeks), links.received()),
                Cell(sum(w.resolved for w in ov.weeks), links.resolved()))
    labels = [f"{w.monday:%m-%d}" for w in ov.weeks]
    chart = {
        "type": "bar", "labels": labels, "unit": "", "series": [
            {"name": new, "data": [r[1].value for r in table.rows],
             "links": [r[1].href for r in table.rows], "color": BLUE, "colors": None},
            {"name": _("Resolved"), "data": [r[2].value for r in table.rows],
             "links": [r[2].href for r in table.rows], "color": GREEN, "colors": None},
        ],
    }
    return Figure("weeks", _("New and resolved per week"), _(
        "Obstacles received, and lead tasks resolved, in each week of the period "
        "(weeks start on Monday)."), table, chart)


def _overdue(ov: Overview, links: Links) -> Figure:
    table = Table([(_("Department"), 28), (_("Overdue tasks"), 12)])
    for bar in ov.overdue:
        href = links.ledger(overdue="on", role="all", department=bar.key) if bar.key else ""
        table.add(Cell(bar.name or _("Not assigned"), href), Cell(bar.count, href))
    table.total(_("Total"), Cell(sum(b.count for b in ov.overdue),
                                 links.ledger(overdue="on", role="all")))
    chart = _bar_chart(
        [r[0].value for r in table.rows], [r[1].value for r in table.rows],
        [r[1].href for r in table.rows], name=_("Overdue tasks"), horizontal=True,
        color=COLOUR_HEX["red"])
    return Figure("overdue", _("Overdue tasks by department"), _(
        "Lead and co-handling tasks open past their deadline today, whenever they "
        "were received."), table, chart)


def _satisfaction(ov: Overview, links: Links) -> Figure:
    rated = sum(ov.satisfaction.values())
    table = Table([(_("Rating"), 24), (pgettext("number of", "Tasks"), 10), (_("Share %"), 10)])
    for level, count in ov.satisfaction.items():
        href = links.resolved(rating=level)
        share = round(100.0 * count / rated, 1) if rated else None
        table.add(Cell(Rating(level).label, href), Cell(count, href), share)
    table.total(_("Rated"), rated, 100.0 if rated else None)
    chart = _bar_chart(
        [str(Rating(level).label) for level in ov.satisfaction],
        list(ov.satisfaction.values()), [r[1].href for r in table.rows],
        name=pgettext("number of", "Tasks"),
        colors=[RATING_HEX[level] for level in ov.satisfaction])
    return Figure("satisfaction", _("Satisfaction"), _(
        "The latest counted callback rating of the lead tasks resolved in the "
        "period, on the five-level scale; a rating set aside on appeal is not "
        "counted."), table, chart)


def _teams(ov: Overview) -> Figure:
    report = reverse("visits:weekly-report")
    href = f"{report}?{urlencode({'week': ov.team_weeks[-1].isoformat()})}" \
        if ov.team_weeks else report
    table = Table([(_("Service team"), 22), (_("Staff"), 8), (_("Person-weeks"), 12),
                   (_("Quota met"), 10), (_("Rate %"), 10)])
    for t in ov.teams:
        table.add(Cell(t.name or _("No team"), href), t.people, t.owed, Cell(t.met, href),
                  t.rate)
    owed, met = sum(t.owed for t in ov.teams), sum(t.met for t in ov.teams)
    table.total(_("Total"), sum(t.people for t in ov.teams), owed, met,
                round(100.0 * met / owed, 1) if owed else None)
    chart = _bar_chart(
        [r[0].value for r in table.rows], [r[4].value for r in table.rows],
        [href] * len(table.rows), name=_("Quota met (%)"), horizontal=True, color=GREEN,
        unit="%")
    weeks = len(ov.team_weeks)
    return Figure("teams", _("Visit quota met per team"), _(
        "Each service staff member owes the weekly visit quota in every week of the "
        "period that has begun (%(weeks)s): the share of those person-weeks in which "
        "they visited enough distinct firms.") % {"weeks": weeks}, table, chart)


def _key_firms(ov: Overview) -> Figure:
    table = Table([(_("Enterprise"), 36), (_("Street"), 16)])
    for firm in ov.key_firms:
        href = reverse("enterprises:enterprise-detail", args=[firm.pk])
        table.add(Cell(firm.name, href), firm.street)
    coverage = reverse("visits:coverage")
    return Figure("key-firms", _("Key enterprises not visited"), _(
        "%(count)s key enterprises (above designated size, key projects, specialised "
        "and innovative) had no submitted visit in the period; the first %(shown)s by "
        "name:") % {"count": ov.key_unvisited, "shown": len(ov.key_firms)}, table,
        more=(_("Every firm not visited recently, in the coverage list"), coverage))


def _league(ov: Overview) -> Figure:
    ledger = reverse("approvals:ledger")
    table = Table([
        (_("Rank"), 6), (_("Department"), 26), (_("Received"), 10), (_("Resolved"), 10),
        (_("Completion rate %"), 14), (_("On-time rate %"), 14),
        (_("Satisfaction rate %"), 14), (_("Returns per task"), 14),
        (_("Median working days"), 14)])

    def cells(r):
        return [r.received, r.resolved, r.completion_rate, r.on_time_rate,
                r.satisfaction_rate, r.returns_per_task, r.median_days]

    for rank, r in enumerate(ov.league_rows, start=1):
        href = f"{ledger}?{urlencode({'department': r.department.pk, 'role': 'all'})}"
        table.add(rank, Cell(r.department.name, href), *cells(r))
    if ov.league_rows:
        table.total("", _("All departments"), *cells(ov.league_total))
    chart = _bar_chart(
        [r[1].value for r in table.rows], [r[4].value for r in table.rows],
        [r[1].href for r in table.rows], name=_("Completion rate %"), horizontal=True,
        color=GREEN, unit="%")
    kpi = reverse("approvals:kpis")
    return Figure("league", _("Department league table"), _(
        "Tasks assigned in the period. Completion: resolved or closed / received. On "
        "time: resolved by the deadline in force / resolved. Satisfaction: satisfied "
        "or very satisfied / rated."), table, chart,
        more=(_("Open the league table"),
              f"{kpi}?{urlencode({'start': ov.start.isoformat(), 'end': ov.end.isoformat()})}"))
