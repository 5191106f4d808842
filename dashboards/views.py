"""The leaders' overview and its downloads: thin views over the form, the
cached selectors and the figures."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpResponseBadRequest
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from approvals.forms import LedgerFilterForm
from approvals.selectors import LedgerFilters

from . import exports, figures, selectors
from .forms import OverviewForm
from .permissions import require_dashboards


def _period(request):
    """The form, the period and the overview's figures (None with a form
    error), and when they were computed."""
    require_dashboards(request.user)
    today = timezone.localdate()
    form = OverviewForm(request.GET or None, user=request.user, today=today)
    if form.is_bound and not form.is_valid():
        return form, None, None, None
    period = form.cleaned_period()
    ov = selectors.overview(period.start, period.end, period.department, today)
    return form, period, figures.build(ov), ov.computed_at


@login_required
def overview(request):
    form, period, figs, computed_at = _period(request)
    if figs is None:
        return render(request, "dashboards/overview.html", {"form": form}, status=400)
    scope = {"department": period.department.pk} if period.department else {}
    query = urlencode({"period": period.preset, "start": period.start.isoformat(),
                       "end": period.end.isoformat(), **scope})
    presets = [(value, label, urlencode({"period": value, **scope}))
               for value, label in form.fields["period"].choices if value != "custom"]
    rows_query = urlencode({"received_from": period.start.isoformat(),
                            "received_to": period.end.isoformat(), **scope})
    return render(request, "dashboards/overview.html", {
        "form": form, "period": period, "figures": figs, "query": query,
        "computed_at": computed_at,
        "presets": presets, "rows_query": rows_query,
        "charts": {f.key: f.chart for f in figs if f.chart},
    })


@login_required
def tables_export(request):
    """Every table of the overview as a sheet, or only ``?table=<key>``."""
    form, period, figs, _computed_at = _period(request)
    if figs is None:
        return HttpResponseBadRequest(" ".join(m for errs in form.errors.values() for m in errs))
    key = request.GET.get("table")
    if key:
        figs = [f for f in figs if f.key == key]
        if not figs:
            return HttpResponseBadRequest(_("No such table."))
    name = f"overview-{period.start.isoformat()}-{period.end.isoformat()}"
    return exports.tables_xlsx(figs, f"{name}-{key}.xlsx" if key else f"{name}.xlsx")


@login_required
def ledger_export(request):
    """The ledger rows behind a figure (the ledger's own filter parameters),
    streamed, at most ``exports.MAX_LEDGER_ROWS``."""
    require_dashboards(request.user)
    form = LedgerFilterForm(request.GET)
    if not form.is_valid():
        return HttpResponseBadRequest(" ".join(m for errs in form.errors.values() for m in errs))
    data = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
    return exports.ledger_rows_xlsx(request.user, LedgerFilters(**data), timezone.localdate())
