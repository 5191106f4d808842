"""The weekly report's table rows, rendered in Python.

The office's report is every service staff member for four weeks (about 5,500
rows at city scale); the same rows through the template engine, with six
translated ``data-label`` attributes each, took over a second. The markup is
the one the template wrote, cell for cell.
"""

from html import escape

from django import template
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
