"""The form renderer: Django's own form and widget templates through Jinja2.

Django ships every built-in form and widget template twice, for its template
language and for Jinja2, with the same markup. A ``<select>`` of a hundred
options or a team's checkboxes is an include per option in the template
language; Jinja2 renders the same templates several times faster (the visit
form's Python time fell from 61 to 34 ms, the ledger's from 68 to 58 ms, at
bench scale). Templates Django does not ship (Wagtail's admin widgets, the
Django admin's) are not Jinja2 templates: they fall through to the Django
engine, exactly as the default renderer would render them.
"""

from __future__ import annotations

from django.forms.renderers import BaseRenderer, DjangoTemplates, Jinja2
from django.template import TemplateDoesNotExist


class DeskFormRenderer(BaseRenderer):
    def __init__(self):
        self.jinja2 = Jinja2()
        self.django = DjangoTemplates()

    def get_template(self, template_name):
        try:
            return self.jinja2.get_template(template_name)
        except TemplateDoesNotExist:
            return self.django.get_template(template_name)
