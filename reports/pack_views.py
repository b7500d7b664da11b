"""Pages of briefing books and region packs: ask for one, watch it build (htmx poll), download it.

Books are read through ``BriefingBook.objects.restrict(user, "view")`` (out of scope: 404); which
versions a reader may download is ``reports.access.audiences_for`` (partner users: the shared
version of their own partnership's books only).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from governance.models import OrgUnit
from partners.models import BusinessReview
from reports import services
from reports.access import audiences_for
from reports.models import BriefingBook, PackFile
from reports.views import CONTENT_TYPES


def _book_or_404(request, pk: int) -> BriefingBook:
    return get_object_or_404(BriefingBook.objects.restrict(request.user, "view").select_related(
        "partnership", "review", "org_unit"), pk=pk)


@login_required
@require_POST
def review_book_request(request, pk: int):
    """Build the briefing book of a business review (internal users who may log against its partnership)."""
    review = get_object_or_404(BusinessReview.objects.restrict(request.user, "view").select_related("partnership"),
                               pk=pk)
    book = services.book_request(actor=request.user, review=review)
    messages.info(request, "The briefing book is being built; it appears below when ready.")
    return redirect("reports:book", pk=book.pk)


@login_required
@require_POST
def region_pack_request(request):
    """Build the region pack of an org unit in the reader's scope (``unit`` = its code)."""
    if request.user.is_partner:
        raise Http404
    unit = get_object_or_404(OrgUnit.objects.restrict(request.user, "view"), code=request.POST.get("unit", ""))
    book = services.book_request(actor=request.user, org_unit=unit)
    return redirect("reports:book", pk=book.pk)


@login_required
def book_detail(request, pk: int):
    book = _book_or_404(request, pk)
    if request.user.is_partner and not audiences_for(request.user, book):
        raise Http404
    return render(request, "reports/book.html", {"book": book, "audiences": audiences_for(request.user, book)})


@login_required
def book_status(request, pk: int):
    """The progress fragment the book page polls (htmx) until the book is ready or failed."""
    book = _book_or_404(request, pk)
    if request.user.is_partner and not audiences_for(request.user, book):
        raise Http404
    return render(request, "reports/_book_status.html", {"book": book, "audiences": audiences_for(request.user, book)})


@login_required
def book_download(request, pk: int, audience: str, fmt: str):
    book = _book_or_404(request, pk)
    if audience not in audiences_for(request.user, book):
        raise Http404
    stored = PackFile.objects.filter(book=book, audience=audience, fmt=fmt).first()
    if stored is None:
        raise Http404
    response = HttpResponse(bytes(stored.content), content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{stored.filename}"'
    return response


@login_required
def my_packs(request):
    """The reader's own requests, newest first (internal users)."""
    if request.user.is_partner:
        raise PermissionDenied
    books = BriefingBook.objects.restrict(request.user, "view").filter(requested_by=request.user).select_related(
        "partnership", "org_unit")[:50]
    return render(request, "reports/my_packs.html", {"books": books})
