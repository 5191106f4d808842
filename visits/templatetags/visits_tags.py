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


@register.simple_tag
def report_rows(rows) -> SafeString:
    team, staff, visits, firms, quota, raised = (escape(label) for label in (
        _("Team"), _("Staff member"), _("Visits"), _("Distinct firms"), _("Quota"),
        _("Obstacles raised")))
    met = f'<span class="pill green">{escape(_("met"))}</span>'
    not_met = f'<span class="pill red">{escape(_("not met"))}</span>'
    html = []
    names: dict[int, str] = {}  # a person appears once a week: escape them once
    for r in rows:
        name = names.get(r.user.pk)
        if name is None:
            name = names[r.user.pk] = escape(r.name)
        html.append(
            f'<tr><td data-label="{team}">{escape(r.team)}</td>'
            f'<td data-label="{staff}">{name}</td>'
            f'<td data-label="{visits}">{r.visits:d}</td>'
            f'<td data-label="{firms}">{r.firms:d}</td>'
            f'<td data-label="{quota}">{r.quota:d} {met if r.is_met else not_met}</td>'
            f'<td data-label="{raised}">{r.obstacles:d}</td></tr>\n')
    return mark_safe("".join(html))  # noqa: S308 - every value above is escaped or an int
