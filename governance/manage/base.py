"""The Manage area's one pattern: a list page and a form page per section (org units, functions,
partners, partnerships, …), server-rendered, searched with htmx.

A :class:`Section` names its model, the **API serializer** that validates and writes it, and a
Django form that only *renders* the fields (widgets, labels, choices). A submitted form is turned
into the serializer's input (:func:`form_payload`) and goes through exactly the path the API
takes — serializer validation, scoped references, the service, the "result must stay in your
scope" check — so the pages own no rule of their own. Its errors come back as field errors on
the form with a 400 (403 when the service refuses the actor), and nothing is written.

Access: sections marked ``admin_only`` answer 404 to everyone but admins, like the other admin
pages; the others (partners, partnerships) follow the access model: an object outside
``restrict(user, "view")`` is 404, one the user may see but not ``change`` is 403. Partner users
get 404 everywhere here.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import Paginator
from django.db import models, transaction
from django.forms.utils import ErrorDict, ErrorList
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_POST
from rest_framework import serializers

from governance.querysets import CHANGE, VIEW, can

PAGE_SIZE = 50


@dataclass(frozen=True)
class Section:
    """One kind of thing an admin manages. ``cells(obj)`` gives the list row's cells (text or
    ``format_html``); ``archive(actor=, obj=, archived=)`` calls the model's archive service."""

    slug: str
    title: str
    singular: str
    icon: str
    model: type[models.Model]
    serializer_class: type[serializers.Serializer]
    form_class: type[ManageForm]
    headers: tuple[str, ...]
    cells: Callable[[Any], list]
    search_fields: tuple[str, ...]
    description: str = ""
    lookup: str = "pk"
    admin_only: bool = True
    change_action: str = CHANGE
    archive: Callable[..., Any] | None = None
    archived_field: str = "archived_at"  # or "is_active" (users, decision types)
    # (do, done, undo, undone): the words for archiving here, e.g. users are deactivated.
    archive_words: tuple[str, str, str, str] = ("Archive", "archived", "Restore", "restored")
    delete: Callable[..., Any] | None = None  # only for rows nothing refers to (holidays)
    history_slug: str | None = None
    refine: Callable[[models.QuerySet], models.QuerySet] = lambda qs: qs
    after_save: Callable[..., None] | None = None  # page follow-ups, e.g. send an invitation
    order: Callable[[list], list] | None = None  # e.g. the org tree: rows in tree order, not paged
    extra_context: Callable[[Any, Any], dict] = field(default=lambda request, obj: {})
    label: Callable[[Any], str] = str  # how a page names one object (title, breadcrumb, messages)

    @property
    def archivable(self) -> bool:
        return self.archive is not None

    @property
    def archived_q(self) -> models.Q:
        if self.archived_field == "is_active":
            return models.Q(is_active=False)
        return models.Q(**{f"{self.archived_field}__isnull": False})

    def is_archived(self, obj) -> bool:
        if obj is None or self.archive is None:
            return False
        if self.archived_field == "is_active":
            return not obj.is_active
        return getattr(obj, self.archived_field) is not None

    def may_use(self, user) -> bool:
        if not (user.is_authenticated and user.is_active) or user.is_partner:
            return False
        return user.is_admin or not self.admin_only

    def url(self, name: str, obj=None) -> str:
        args = [] if obj is None else [getattr(obj, self.lookup)]
        return reverse(f"manage:{self.slug}-{name}", args=args)

    @property
    def list_url(self) -> str:
        return self.url("list")


@dataclass(frozen=True)
class Page:
    """A Manage page that is not a list + form section (e.g. the targets grid), shown beside the
    sections; its module's ``URLS`` name its main route ``<slug>-list``."""

    slug: str
    title: str
    icon: str
    description: str
    admin_only: bool = True

    may_use = Section.may_use

    @property
    def list_url(self) -> str:
        return reverse(f"manage:{self.slug}-list")


class ManageForm(forms.Form):
    """A form that renders a section's fields; validation is the serializer's. Field names are
    the serializer's, values in its format (codes for org units and functions, ids otherwise).
    Subclasses set querysets in ``setup(user, instance)``; fields listed in ``not_sent`` are
    page options, not data (e.g. "send an invitation"); ``extra_payload`` adds serializer input
    built from several fields (e.g. the SLA hours per priority, assignment rows)."""

    not_sent: tuple[str, ...] = ()

    def __init__(self, *args, user, instance=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user, self.instance = user, instance
        self.setup(user, instance)
        for f in self.fields.values():
            widget = f.widget
            if isinstance(widget, forms.CheckboxInput | forms.CheckboxSelectMultiple | forms.RadioSelect):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select")
            else:
                widget.attrs.setdefault("class", "form-control")

    def setup(self, user, instance) -> None:
        """Narrow choices to the user's scope (``restrict``), archived ones hidden."""

    def extra_payload(self, data) -> dict:
        return {}

    def option(self, name: str) -> bool:
        """A ticked page option (``not_sent``) of the submitted form."""
        return self.data.get(name, "") not in ("", "0", "false", "off")

    def set_errors(self, errors: dict[str, list[str]]) -> None:
        """Show ``errors`` (the serializer's) on the fields; unknown keys become form errors."""
        out = ErrorDict()
        for name, messages_ in errors.items():
            key = name if name in self.fields else forms.forms.NON_FIELD_ERRORS
            prefix = "" if key == name or name in ("non_field_errors", "__all__") else f"{name}: "
            out.setdefault(key, ErrorList()).extend(f"{prefix}{m}" for m in messages_)
            if key == name:
                attrs = self.fields[name].widget.attrs
                attrs["class"] = f"{attrs.get('class', '')} is-invalid".strip()
                attrs["aria-invalid"] = "true"
        self._errors = out


def active_or_current(qs: models.QuerySet, current) -> models.QuerySet:
    """Pickers offer what is not archived, plus what the record already refers to."""
    ids = [o.pk for o in current if o is not None]
    return qs.filter(models.Q(archived_at__isnull=True) | models.Q(pk__in=ids))


def _flatten(detail, prefix: str = "") -> list[str]:
    if isinstance(detail, dict):
        return [m for k, v in detail.items() for m in _flatten(v, f"{prefix}{k}: " if k != "non_field_errors"
                                                                 else prefix)]
    if isinstance(detail, list):
        return [m for item in detail for m in _flatten(item, prefix)]
    return [f"{prefix}{detail}"]


def serializer_errors(errors: dict) -> dict[str, list[str]]:
    return {name: _flatten(detail) for name, detail in errors.items()}


def django_errors(exc: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {name: list(msgs) for name, msgs in exc.message_dict.items()}
    return {"non_field_errors": list(exc.messages)}


def form_payload(form: ManageForm, data, serializer: serializers.Serializer, *, partial: bool) -> dict:
    """The serializer's input from a submitted form: its fields only (a field the form does not
    show — e.g. members for a manager — is not sent, so it is not changed); lists for multiple
    choices (none ticked clears them); blanks as the serializer reads them."""
    payload: dict[str, Any] = {}
    for name, f in form.fields.items():
        if f.disabled or name in form.not_sent:
            continue
        target = serializer.fields.get(name)
        if isinstance(f, forms.MultipleChoiceField | forms.ModelMultipleChoiceField):
            payload[name] = [v for v in data.getlist(name) if v != ""]
        elif isinstance(f, forms.BooleanField):
            payload[name] = data.get(name, "") not in ("", "0", "false", "off")
        else:
            value = data.get(name, "")
            if value != "" or target is None:
                payload[name] = value
            elif getattr(target, "allow_blank", False):
                payload[name] = ""
            elif target.allow_null:
                payload[name] = None
            elif partial:
                payload[name] = ""  # an emptied required field: let the serializer say so
    payload.update(form.extra_payload(data))
    return payload


def save_through_api(section: Section, request, instance, data) -> tuple[Any, dict | None, int]:
    return save_through_api_in(section.serializer_class, request, instance, data)


def save_through_api_in(serializer_class, request, instance, data) -> tuple[Any, dict | None, int]:
    """Validate and write ``data`` with ``serializer_class``, as the API would; returns the saved
    object, or the errors and the status to answer with (nothing written)."""
    serializer = serializer_class(instance=instance, data=data, partial=instance is not None,
                                  context={"request": request})
    if not serializer.is_valid():
        return None, serializer_errors(serializer.errors), 400
    try:
        with transaction.atomic():
            obj = serializer.save()
            if not can(request.user, VIEW, obj):  # as the API's perform_create/update
                raise PermissionDenied("The result would lie outside your scope; nothing was saved.")
    except DjangoValidationError as exc:
        return None, django_errors(exc), 400
    except PermissionDenied as exc:
        return None, {"non_field_errors": [str(exc) or "You may not make this change."]}, 403
    return obj, None, 200


# --- views -------------------------------------------------------------------------------------


def _require(section: Section, request) -> None:
    if not section.may_use(request.user):
        raise Http404


def _object(section: Section, request, key):
    return get_object_or_404(section.model._default_manager.restrict(request.user, VIEW), **{section.lookup: key})


def _search(section: Section, qs, q: str):
    if not q:
        return qs
    cond = models.Q()
    for f in section.search_fields:
        cond |= models.Q(**{f"{f}__icontains": q})
    return qs.filter(cond)


SHOW_CHOICES = {"active": "Active", "archived": "Archived", "all": "All"}


def list_view(request, section: Section):
    _require(section, request)
    user = request.user
    qs = section.refine(section.model._default_manager.restrict(user, VIEW))
    q = request.GET.get("q", "").strip()[:100]
    show = request.GET.get("show", "active")
    show = show if show in SHOW_CHOICES else "active"
    qs = _search(section, qs, q)
    if section.archive is not None and show != "all":
        qs = qs.filter(section.archived_q) if show == "archived" else qs.exclude(section.archived_q)
    if section.order is not None:
        rows, page = section.order(list(qs)), None
    else:
        page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
        rows = list(page)
    editable = set(section.model._default_manager.restrict(user, section.change_action)
                   .filter(pk__in=[o.pk for o in rows]).values_list("pk", flat=True))
    context = {
        "section": section, "sections": sections_for(user), "page": page, "q": q, "show": show,
        "show_choices": SHOW_CHOICES,
        "rows": [{"obj": o, "cells": section.cells(o), "edit_url": section.url("edit", o),
                  "editable": o.pk in editable, "archived": section.is_archived(o)}
                 for o in rows],
    }
    template = "manage/_table.html" if request.htmx and request.htmx.target == "manage-table" else "manage/list.html"
    return render(request, template, context)


def form_view(request, section: Section, key=None):
    """New (``key`` None) or edit. GET shows the form; POST saves through the API's serializer."""
    _require(section, request)
    user = request.user
    instance = None
    if key is not None:
        instance = _object(section, request, key)
        if not can(user, section.change_action, instance):
            raise PermissionDenied(f"You may not change this {section.singular}.")
    status = 200
    if request.method == "POST":
        form = section.form_class(request.POST, user=user, instance=instance)
        payload = form_payload(form, request.POST, section.serializer_class(), partial=instance is not None)
        obj, errors, status = save_through_api(section, request, instance, payload)
        if errors is None:
            messages.success(request, f"{section.singular.capitalize()} “{section.label(obj)}” saved.")
            if section.after_save is not None:
                section.after_save(request, obj, form, created=instance is None)
            return redirect(section.url("edit", obj))
        form.set_errors(errors)
    else:
        initial = section.serializer_class(instance, context={"request": request}).data if instance else None
        if instance is None:  # a new record may start from the query string (e.g. ?parent=CODE)
            initial = {k: v for k, v in request.GET.items() if k in section.form_class.base_fields}
        form = section.form_class(initial=initial, user=user, instance=instance)
    return _render_form(request, section, form, instance, status)


def _render_form(request, section: Section, form, instance, status: int):
    context = {"section": section, "sections": sections_for(request.user), "form": form, "object": instance,
               "archived": section.is_archived(instance), "object_label": section.label(instance) if instance else "",
               **section.extra_context(request, instance)}
    if instance is not None and section.archive is not None:
        context.update(archive_url=section.url("archive", instance), restore_url=section.url("restore", instance))
    if instance is not None and section.delete is not None:
        context.update(delete_url=section.url("delete", instance))
    return render(request, "manage/form.html", context, status=status)


@require_POST
def archive_view(request, section: Section, key, *, archived: bool):
    """Archive (or restore) through the section's service; a refusal re-shows the form with the reason."""
    _require(section, request)
    obj = _object(section, request, key)
    if section.archive is None:
        raise Http404
    try:
        section.archive(actor=request.user, obj=obj, archived=archived)
    except DjangoValidationError as exc:
        form = section.form_class(initial=section.serializer_class(obj, context={"request": request}).data,
                                  user=request.user, instance=obj)
        form.set_errors({"non_field_errors": [m for ms in django_errors(exc).values() for m in ms]})
        return _render_form(request, section, form, obj, 409)
    done = section.archive_words[1 if archived else 3]
    messages.success(request, f"{section.singular.capitalize()} “{section.label(obj)}” {done}.")
    return redirect(section.url("edit", obj))


@require_POST
def delete_view(request, section: Section, key):
    """Delete a row nothing refers to (its history keeps a deletion entry)."""
    _require(section, request)
    obj = _object(section, request, key)
    if section.delete is None or not can(request.user, section.change_action, obj):
        raise Http404
    label = section.label(obj)
    section.delete(actor=request.user, obj=obj)
    messages.success(request, f"{section.singular.capitalize()} “{label}” deleted.")
    return redirect(section.url("list"))


# --- registry ----------------------------------------------------------------------------------

_SECTION_MODULES = ("governance.manage.sections", "governance.manage.people", "partners.manage",
                    "kpis.manage", "decisions.manage")


def _modules() -> list:
    return [importlib.import_module(name) for name in _SECTION_MODULES]


def all_sections() -> list[Section]:
    return [s for m in _modules() for s in getattr(m, "SECTIONS", [])]


def extra_urls() -> list:
    """Routes of the pages that are not sections (each module's ``URLS``)."""
    return [u for m in _modules() for u in getattr(m, "URLS", [])]


def sections_for(user) -> list[Section | Page]:
    """What ``user`` may manage, in nav order: each module's sections, then its pages."""
    return [s for m in _modules() for s in [*getattr(m, "SECTIONS", []), *getattr(m, "PAGES", [])]
            if s.may_use(user)]


def section_urls(section: Section) -> list:
    """list, new, edit (and archive, restore) routes of a section; the object's URL kwarg is
    named after its lookup (``pk`` or ``code``)."""
    conv = "int" if section.lookup == "pk" else "str"
    s, key = section.slug, f"<{conv}:{section.lookup}>"

    def by_key(view, **options):
        return login_required(lambda request, **kw: view(request, section, kw[section.lookup], **options))

    urls = [
        path(f"{s}/", login_required(lambda request: list_view(request, section)), name=f"{s}-list"),
        path(f"{s}/new/", login_required(lambda request: form_view(request, section)), name=f"{s}-new"),
        path(f"{s}/{key}/", by_key(form_view), name=f"{s}-edit"),
    ]
    if section.archive is not None:
        urls += [
            path(f"{s}/{key}/archive/", by_key(archive_view, archived=True), name=f"{s}-archive"),
            path(f"{s}/{key}/restore/", by_key(archive_view, archived=False), name=f"{s}-restore"),
        ]
    if section.delete is not None:
        urls.append(path(f"{s}/{key}/delete/", by_key(delete_view), name=f"{s}-delete"))
    return urls
