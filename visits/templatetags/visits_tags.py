"""The weekly report's table rows and coverage's firm lists, rendered in Python.

The office's report is every service staff member for four weeks (about 5,500
rows at city scale); the same rows through the template engine, with six
translated ``data-label`` attributes each, took over a second. The markup is
the one the template wrote, cell for cell.
"""

from html import escape

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

register = template.Library()


@register.simple_tag(takes_context=True)
def report_rows(context, rows) -> SafeString:
    team, staff, visits, firms, quota, raised = (escape(label) for label in (
        _("Team"), _("Staff member"), _("Visits"), _("Distinct firms"), _("Quota"),
        _("Obstacles raised")))
    met = f'<span class="pill green">{escape(_("met"))}</span>'
    not_met = f'<span class="pill red">{escape(_("not met"))}</span>'
    html = []
    # a person appears once a week (the same across the page's weeks) and a
    # team on many rows: escape each once per page
    people: dict[int, str] = context.render_context.setdefault("visits_report_people", {})
    for r in rows:
        person = people.get(r.user.pk)
        if person is None:
            person = people[r.user.pk] = (
                f'<tr><td data-label="{team}">{escape(r.team)}</td>'
                f'<td data-label="{staff}">{escape(r.name)}</td>')
        html.append(
            f'{person}<td data-label="{visits}">{r.visits:d}</td>'
            f'<td data-label="{firms}">{r.firms:d}</td>'
            f'<td data-label="{quota}">{r.quota:d} {met if r.is_met else not_met}</td>'
            f'<td data-label="{raised}">{r.obstacles:d}</td></tr>\n')
    return mark_safe("".join(html))  # noqa: S308 - every value above is escaped or an int


@register.simple_tag
def firm_items(firms, last_visit: bool = False) -> SafeString:
    """Coverage's lists (up to 200 firms each): ``<li>`` links to the firms'
    pages, with street and last visit date when ``last_visit``. One ``reverse``
    for the list, not one per firm."""
    marker = "987654321"
    head, tail = reverse("enterprises:enterprise-detail", args=[int(marker)]).split(marker)
    never = escape(_("never"))
    html = []
    for e in firms:
        link = f'<li><a href="{escape(head)}{e.pk:d}{escape(tail)}">{escape(e.name)}</a>'
        if last_visit:
            street = escape(e.street.name) if e.street_id else ""
            when = (timezone.localtime(e.last_visit_at).strftime("%Y-%m-%d")
                    if e.last_visit_at else never)
            link += f' <span class="muted">{street} · {when}</span>'
        html.append(link + "</li>")
    return mark_safe("".join(html))  # noqa: S308 - every value above is escaped or an int
