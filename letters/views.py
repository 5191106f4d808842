"""Pages of the letters app: thin views over selectors and services.

Lookups go through the user's scope, so a letter out of scope is a 404 with
the same text as a missing one; in scope but not allowed is a 403.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from enterprises.selectors import enterprises_visible_to

from . import documents, permissions, selectors, services
from .archive import stream_zip
from .choices import BatchStatus, ItemStatus
from .forms import BatchForm, BulletinForm, LetterForm
from .models import Letter, LetterBatchItem

PAGE_SIZE = 25


def pdf_response(document, filename: str) -> FileResponse:
    """An archived PDF as a download (never inline), or a clear 404."""
    try:
        handle = document.file.open("rb")
    except FileNotFoundError:
        raise Http404(_("The file is missing from the store.")) from None
    response = FileResponse(handle, as_attachment=True, filename=filename,
                            content_type="application/pdf")
    response["X-Content-Type-Options"] = "nosniff"
    return response


# ------------------------------------------------------------------ letters


@login_required
def letter_list(request):
    if not permissions.can_view_letters(request.user):
        raise PermissionDenied
    page = Paginator(selectors.letters_visible_to(request.user), PAGE_SIZE).get_page(
        request.GET.get("page"))
    return render(request, "letters/letter_list.html", {
        "page": page, "can_batch": permissions.can_run_batches(request.user),
        "can_bulletins": permissions.can_view_bulletins(request.user)})


@login_required
def letter_create_view(request, enterprise_pk: int):
    enterprise = get_object_or_404(enterprises_visible_to(request.user), pk=enterprise_pk)
    if not permissions.can_write_letter(request.user, enterprise):
        raise PermissionDenied
    form = LetterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            letter = services.letter_create(
                enterprise=enterprise, actor=request.user, scope=form.cleaned_data["scope"],
                obstacle_id=form.cleaned_data["obstacle"])
        except services.LetterError as e:
            form.add_error(None, e)
        else:
            messages.success(request, _("Letter %(reference)s issued.") % {
                "reference": letter.reference})
            return redirect(letter)
    return render(request, "letters/letter_form.html", {
        "form": form, "enterprise": enterprise,
        "letters": list(selectors.letters_of_enterprise(enterprise)[:10]),
    }, status=400 if form.errors else 200)


@login_required
def letter_detail(request, pk: int):
    letter = get_object_or_404(selectors.letters_visible_to(request.user), pk=pk)
    return render(request, "letters/letter_detail.html", {"letter": letter})


@login_required
def letter_download(request, pk: int):
    letter = get_object_or_404(selectors.letters_visible_to(request.user), pk=pk)
    return pdf_response(letter, letter.download_name)


def letter_verify(request, token: str):
    """Public: what the QR code leads to. Shows the reference number, the
    firm's name, the issue date and the SHA-256, and nothing else."""
    try:
        year, number = documents.verification_key(token)
    except (signing.BadSignature, ValueError):
        return render(request, "letters/letter_verify.html", {"state": "invalid"},
                      status=404)
    letter = (Letter.objects.filter(year=year, number=number)
              .select_related("enterprise").first())
    if letter is None:
        return render(request, "letters/letter_verify.html", {"state": "unknown"},
                      status=404)
    return render(request, "letters/letter_verify.html", {
        "state": "ok", "reference": letter.reference, "firm": letter.enterprise.name,
        "issued_on": letter.issued_on, "sha256": letter.sha256})


# ------------------------------------------------------------------ batches


def _require_batches(user):
    if not permissions.can_run_batches(user):
        raise PermissionDenied


@login_required
def batch_list(request):
    _require_batches(request.user)
    form = BatchForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            batch = services.batch_create(actor=request.user, **form.cleaned_data)
        except services.LetterError as e:
            form.add_error(None, e)
        else:
            messages.success(request, _("Batch started: %(n)s letters.") % {"n": batch.total})
            return redirect(batch)
    page = Paginator(selectors.batches(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "letters/batch_list.html", {"form": form, "page": page},
                  status=400 if form.errors else 200)


@login_required
def batch_detail(request, pk: int):
    _require_batches(request.user)
    batch = get_object_or_404(selectors.batches(), pk=pk)
    errors = LetterBatchItem.objects.filter(batch=batch, status=ItemStatus.ERROR).select_related(
        "enterprise")[:50]
    return render(request, "letters/batch_detail.html", {
        "batch": batch, "eta": services.batch_eta(batch), "errors": errors,
        "percent": round(100 * batch.processed / batch.total) if batch.total else 100,
    })


@login_required
@require_POST
def batch_cancel_view(request, pk: int):
    _require_batches(request.user)
    batch = get_object_or_404(selectors.batches(), pk=pk)
    try:
        services.batch_cancel(batch_id=batch.pk, actor=request.user)
    except services.LetterError as e:
        messages.error(request, " ".join(e.messages))
    else:
        messages.success(request, _("The batch is cancelled."))
    return redirect(batch)


@login_required
@require_POST
def batch_resume_view(request, pk: int):
    """Re-queue a batch's pending items (after a lost queue); never writes a
    firm's letter twice."""
    _require_batches(request.user)
    batch = get_object_or_404(selectors.batches(), pk=pk)
    if batch.is_active:
        services.batch_dispatch(batch_id=batch.pk)
        messages.success(request, _("The batch's remaining letters are queued again."))
    else:
        messages.error(request, _("Only a waiting or running batch can be resumed."))
    return redirect(batch)


@login_required
def batch_download(request, pk: int):
    """The batch's letters as one ZIP, streamed from the archive."""
    _require_batches(request.user)
    batch = get_object_or_404(selectors.batches(), pk=pk)
    if batch.status != BatchStatus.DONE and not batch.done_count:
        raise Http404(_("The batch has no letters yet."))
    letters = Letter.objects.filter(batch_item__batch=batch).select_related(
        "enterprise").order_by("number")
    response = StreamingHttpResponse(stream_zip(letters), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="letters-batch-{batch.pk}.zip"'
    return response


# ------------------------------------------------------------------ bulletins


@login_required
def bulletin_list(request):
    if not permissions.can_view_bulletins(request.user):
        raise PermissionDenied
    can_issue = permissions.can_issue_bulletins(request.user)
    form = BulletinForm(request.POST or None)
    if request.method == "POST":
        if not can_issue:
            raise PermissionDenied
        if form.is_valid():
            bulletin = services.bulletin_create(form.cleaned_data["start"],
                                                form.cleaned_data["end"], actor=request.user)
            messages.success(request, _("Bulletin %(reference)s issued.") % {
                "reference": bulletin.reference})
            return redirect("letters:bulletin-list")
    page = Paginator(selectors.bulletins(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "letters/bulletin_list.html", {
        "form": form if can_issue else None, "page": page,
    }, status=400 if form.errors else 200)


@login_required
def bulletin_download(request, pk: int):
    if not permissions.can_view_bulletins(request.user):
        raise PermissionDenied
    bulletin = get_object_or_404(selectors.bulletins(), pk=pk)
    return pdf_response(bulletin, f"{bulletin.reference}.pdf")
