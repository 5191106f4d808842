"""Public views around the CMS pages: search, the printable checklist, feedback."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wagtail.models import Page

from enterprises.models import Industry

from . import selectors, services
from .forms import FeedbackForm, SearchForm
from .models import ChecklistPage, PolicyGuidePage, Topic
from .pdf import checklist_pdf


def search_view(request):
    form = SearchForm(request.GET)
    data = form.cleaned_data if form.is_valid() else {}
    query = data.get("q", "")
    filters = selectors.SearchFilters(topic=data.get("topic", ""),
                                      industry=data.get("industry", ""))
    results = selectors.pages_search(query, filters)
    page_obj = Paginator(results, 20).get_page(request.GET.get("page"))
    return render(request, "cms/search.html", {
        "form": form, "query": query, "filters": filters, "page_obj": page_obj,
        "result_count": len(results), "topics": Topic.objects.all(),
        "industries": Industry.objects.all(),
    })


def related_pages_view(request):
    """An HTML fragment of the guides and checklists for an obstacle category,
    for the obstacle forms to show next to the category they chose."""
    try:
        category_id = int(request.GET.get("category", ""))
    except ValueError:
        category_id = None
    return render(request, "cms/includes/_related_pages.html",
                  selectors.pages_for_category(category_id))


def checklist_pdf_view(request, page_id: int):
    page = get_object_or_404(selectors.checklists_searchable(), pk=page_id)
    # the host the reader used, so the QR code works wherever the PDF is printed from
    pdf = checklist_pdf(page, page_url=request.build_absolute_uri(page.get_url(request)))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="checklist-{page.pk}.pdf"'
    return response


@require_POST
def feedback_create_view(request, page_id: int):
    page = get_object_or_404(
        Page.objects.live().public().type(ChecklistPage, PolicyGuidePage), pk=page_id)
    form = FeedbackForm(request.POST)
    if form.is_valid():
        services.feedback_create(page=page, is_helpful=form.cleaned_data["is_helpful"],
                                 comment=form.cleaned_data["comment"])
        messages.success(request, _("Thank you for your feedback."))
    else:
        messages.error(request, _("Please answer yes or no."))
    return redirect(page.url + "#feedback")

