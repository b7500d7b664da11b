"""The decision-rights matrix editor (admins): a draft per admin saved on every change, lint beside
the cells, publish now or from a date, the three-way merge when someone else published first, the
version list with statuses and a diff between any two versions."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from html import escape  # Django's escape() adds a lazy-string wrapper per call; the output is the same

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from decisions import selectors, services
from decisions.exceptions import DecisionConflict
from decisions.models import MatrixDraft, MatrixVersion, RapidRole
from decisions.services.matrix_drafts import MINE, THEIRS, draft_cells, three_way
from governance.timezones import format_instant


def _admin_only(user) -> None:
    if not user.is_admin:
        raise Http404


def _version_or_404(request, number: int) -> MatrixVersion:
    """An admin's view of matrix version ``number`` (404 for anyone else, or when there is none)."""
    _admin_only(request.user)
    version = (MatrixVersion.objects.restrict(request.user, "view").select_related("published_by")
               .filter(number=number).first())
    if version is None:
        raise Http404
    return version


@dataclass
class Edit:
    """What the editor posts: the grid, the version it started from and how to publish."""

    cells: dict
    base_number: int | None
    note: str = ""
    later: bool = False
    effective_at: datetime | None = None
    acknowledge: bool = False
    errors: list[str] = field(default_factory=list)


def _posted_edit(post, grid) -> Edit:
    cells = {}
    for t in grid["types"]:
        for f in grid["functions"]:
            role = post.get(f"cell-{t.pk}-{f.pk}", "")
            if role in RapidRole.values:
                cells[(t.pk, f.pk)] = role
    base = post.get("base_version", "")
    edit = Edit(cells=cells, base_number=int(base) if base.isdigit() and len(base) < 10 and int(base) else None,
                note=post.get("note", "")[:2000], later=post.get("when") == "later",
                acknowledge=post.get("acknowledge_gaps") == "on")
    if edit.later:
        raw = post.get("effective_at", "")
        try:
            edit.effective_at = timezone.make_aware(datetime.fromisoformat(raw)) if raw else None
        except ValueError:
            edit.effective_at = None
        if edit.effective_at is None:
            edit.errors.append("Give the date and time the new version takes effect.")
    return edit


def _draft_edit(draft: MatrixDraft) -> Edit:
    return Edit(cells=draft_cells(draft), base_number=draft.base_number, note=draft.note,
                later=draft.effective_at is not None, effective_at=draft.effective_at)


def _save_draft(user, edit: Edit) -> MatrixDraft:
    return services.matrix_draft_save(user=user, cells=edit.cells, base_number=edit.base_number, note=edit.note,
                                      effective_at=edit.effective_at if edit.later else None)


def _check(edit: Edit, grid, *, marks_oob: bool = False) -> dict:
    """Lint of the edited grid, its diff against the newest version and the marks beside each cell:
    each cell's HTML for the editor page, or (``marks_oob``) only its marks, out-of-band, for the
    answer to a check."""
    report = services.matrix_lint(cells=edit.cells, decision_types=grid["types"], functions=grid["functions"])
    types = {t.pk: t for t in grid["types"]}
    functions = {f.pk: f for f in grid["functions"]}
    diff = [{**d, "decision_type": types.get(d["decision_type_id"]), "function": functions.get(d["function_id"])}
            for d in services.matrix_diff(grid["cells"], edit.cells)
            if d["decision_type_id"] in types and d["function_id"] in functions]
    gaps, changed = report.by_cell(), {(d["decision_type_id"], d["function_id"]): d for d in diff}
    conflicts = {i.decision_type: i for i in report.conflicts}
    # Each name escaped once, not once per cell it labels.
    names = {("t", t.pk): escape(t.name) for t in grid["types"]} | {("f", f.pk): escape(f.name)
                                                                    for f in grid["functions"]}
    functions_keyed = [(f, f.pk, f.code) for f in grid["functions"]]  # each .pk read once, not per cell
    rows = []
    for t in grid["types"]:
        tid, code, cells = t.pk, t.code, []
        for f, fid, f_code in functions_keyed:
            cell_gaps = gaps.get((code, f_code), [])
            change = changed.get((tid, fid))
            role = edit.cells.get((tid, fid), "")
            cells.append({"function": f, "key": (tid, fid), "role": role, "gaps": cell_gaps,
                          "gap_units": ", ".join(g.org_unit for g in cell_gaps),
                          "changed": change is not None, "was": change["before"] if change else None,
                          "conflict": code in conflicts and role == RapidRole.DECIDE})
        for cell in cells:
            if marks_oob:
                cell["mark_oob"] = mark_safe(_cell_mark(cell, names, oob=True))  # noqa: S308 - escaped within
            else:
                cell["html"] = mark_safe(_cell_html(cell, names))  # noqa: S308 - escaped within
        conflict = conflicts.get(code)
        rows.append({"type": t, "conflict": conflict.message.split(": ", 1)[-1] if conflict else "", "cells": cells})
    return {"report": report, "by_type": report.by_type(), "diff": diff, "rows": rows,
            "type_names": {t.code: t.name for t in grid["types"]},
            "publishable": not report.blocking and not (report.gaps and not edit.acknowledge)}


def _cell_mark(cell: dict, names: dict, *, oob: bool = False) -> str:
    """The marks beside a cell: conflict, gap, changed (the page, and out-of-band after a check).
    ``names``: the escaped type and function names (``_check``)."""
    tid, fid = cell["key"]
    swap = ' hx-swap-oob="true"' if oob else ""
    out = [f'<span class="cell-mark" id="mark-{tid}-{fid}"{swap}>']
    if cell["conflict"]:
        out.append(f'<i class="bi bi-x-octagon-fill text-danger" title="More than one D for {names["t", tid]}" '
                   'role="img" aria-label="Conflict: more than one decider"></i>')
    if cell["gaps"]:
        where = f"{names['f', fid]} at or above"
        out.append(f'<i class="bi bi-exclamation-triangle-fill text-warning" title="Nobody holds {where}: '
                   f'{escape(cell["gap_units"])}" role="img" aria-label="Gap: nobody holds {where} '
                   f'{escape(cell["gap_units"])}" data-testid="gap-mark"></i>')
    if cell["changed"]:
        out.append(f'<i class="bi bi-circle-fill text-primary cell-changed" title="Changed from '
                   f'{escape(cell["was"] or "—")}" role="img" aria-label="Changed from '
                   f'{escape(cell["was"] or "no role")}"></i>')
    out.append("</span>")
    return "".join(out)


def _role_options(selected: str) -> str:
    """The role select's options with ``selected`` chosen (one string per role, built once)."""
    return _ROLE_OPTIONS.get(selected) or _options_html(selected)


def _options_html(selected: str) -> str:
    empty = f'<option value=""{"" if selected else " selected"}>·</option>'
    return empty + "\n                  " + "".join(
        f'<option value="{escape(value)}"{" selected" if value == selected else ""}>{escape(value)}</option>'
        for value, _label in RapidRole.choices)


_ROLE_OPTIONS = {role: _options_html(role) for role in ["", *RapidRole.values]}


def _cell_html(cell: dict, names: dict) -> str:
    """One cell of the grid: the role select and its marks. Written here, not in the template: the
    grid is types × functions cells of six options each, ~0.3 ms of template work per cell."""
    (tid, fid), role = cell["key"], cell["role"]
    return ('<td class="text-center matrix-cell"><div class="d-flex align-items-center justify-content-center gap-1">\n'
            f'                <select class="form-select form-select-sm role-select role-{escape(role or "none")}" '
            f'id="cell-{tid}-{fid}" name="cell-{tid}-{fid}" aria-label="{names["t", tid]} — {names["f", fid]}">\n'
            f'                  {_role_options(role)}\n'
            f'                </select>{_cell_mark(cell, names)}\n</div></td>')


def _lint_trigger(check: dict) -> str:
    report = check["report"]
    return json.dumps({"matrix-lint": {"blocking": report.blocking, "gaps": len(report.gaps)}})


def _editor(request, edit: Edit, *, draft: MatrixDraft | None, status: int = 200, error: str = "", grid=None):
    grid = grid or selectors.matrix_grid()
    head = grid["version"]
    check = _check(edit, grid)
    stale = draft is not None and (draft.base_number or 0) != (head.number if head else 0)
    versions = list(MatrixVersion.objects.select_related("published_by").order_by("-number")[:12])
    in_force = MatrixVersion.objects.in_force(timezone.now())
    return render(request, "decisions/matrix.html", {
        "functions": grid["functions"], "head": head, "in_force": in_force, "edit": edit, "draft": draft,
        "stale": stale, "error": error, "roles": RapidRole.choices, "now": timezone.now(),
        "versions": [(v, v.status(now=timezone.now(), in_force=in_force)) for v in versions],
        "effective_value": timezone.localtime(edit.effective_at).strftime("%Y-%m-%dT%H:%M") if edit.effective_at
        else "", **check,
    }, status=status)


@login_required
def matrix_editor(request):
    """Decision types × functions with a role per cell, from the admin's draft (or the newest
    version); live lint beside the cells and diff; publish now or later."""
    _admin_only(request.user)
    draft = MatrixDraft.objects.filter(user=request.user).first()
    grid = selectors.matrix_grid()
    if draft is not None:
        edit = _draft_edit(draft)
    else:
        edit = Edit(cells=grid["cells"], base_number=grid["version"].number if grid["version"] else None)
    return _editor(request, edit, draft=draft, grid=grid)


@login_required
@require_POST
def matrix_check(request):
    """htmx: save the edited grid as the admin's draft; answer the lint/diff panel, the marks beside
    each cell (out-of-band) and an event the page uses to enable Publish."""
    _admin_only(request.user)
    grid = selectors.matrix_grid()
    edit = _posted_edit(request.POST, grid)
    _save_draft(request.user, edit)
    check = _check(edit, grid, marks_oob=True)
    response = render(request, "decisions/_matrix_check_response.html", {**check, "version": grid["version"],
                                                                          "edit": edit})
    response["HX-Trigger"] = _lint_trigger(check)
    return response


@login_required
@require_POST
def matrix_publish(request):
    """Publish the edited grid. A failed publish keeps the draft and shows why beside the cells
    (400); a stale base shows the three-way merge (409)."""
    _admin_only(request.user)
    grid = selectors.matrix_grid()
    edit = _posted_edit(request.POST, grid)
    draft = _save_draft(request.user, edit)
    if edit.errors:
        return _editor(request, edit, draft=draft, status=400, error=" ".join(edit.errors))
    try:
        version = services.matrix_publish(
            actor=request.user, cells=edit.cells, base_version=edit.base_number or 0,
            acknowledge_gaps=edit.acknowledge, effective_at=edit.effective_at if edit.later else None,
            note=edit.note, only_types=grid["types"])
    except services.StaleMatrixVersion as exc:
        return _merge_page(request, draft, status=409, error=exc.message)
    except ValidationError as exc:
        text = " ".join(m for ms in exc.message_dict.values() for m in ms)
        return _editor(request, edit, draft=draft, status=400, error=f"Not published — your draft is kept. {text}")
    services.matrix_draft_discard(user=request.user)
    if grid["version"] is not None and version.pk == grid["version"].pk:
        messages.info(request, "Nothing changed; the published matrix stays as it is.")
    elif version.effective_at > timezone.now():
        current = MatrixVersion.objects.in_force(timezone.now())
        until = f" Until then v{current.number} stays in force." if current else ""
        messages.success(request, f"Published matrix v{version.number}; it takes effect {_when(version)}.{until}")
    else:
        messages.success(request, f"Published matrix v{version.number}. New decisions use it from now on.")
    return redirect("decisions:matrix")


def _when(version: MatrixVersion) -> str:
    return format_instant(version.effective_at)


@login_required
@require_POST
def matrix_draft_discard(request):
    _admin_only(request.user)
    if services.matrix_draft_discard(user=request.user):
        messages.info(request, "Draft discarded; the editor shows the newest published version.")
    return redirect("decisions:matrix")


def _merge_page(request, draft: MatrixDraft, *, status: int = 200, error: str = ""):
    head = MatrixVersion.objects.head()
    versions = MatrixVersion.objects.restrict(request.user, "view")
    base = versions.filter(number=draft.base_number).first() if draft.base_number else None
    grid = selectors.matrix_grid()
    types = {t.pk: t for t in grid["types"]}
    functions = {f.pk: f for f in grid["functions"]}
    rows = [r for r in three_way(base=services.matrix_cells(base), theirs=services.matrix_cells(head),
                                 mine=draft_cells(draft)) if r.decision_type_id in types]
    newer = list(MatrixVersion.objects.published().filter(number__gt=draft.base_number or 0)
                 .select_related("published_by").order_by("number"))
    return render(request, "decisions/matrix_merge.html", {
        "draft": draft, "base": base, "head": head, "newer": newer, "error": error, "MINE": MINE, "THEIRS": THEIRS,
        "rows": [{"row": r, "type": types[r.decision_type_id], "function": functions[r.function_id]} for r in rows],
        "conflicts": sum(r.conflict for r in rows),
    }, status=status)


@login_required
def matrix_merge(request):
    """The three-way view (base, theirs = the newest version, mine = my draft); POST merges my draft
    onto the newest version with my choice for each cell both changed."""
    _admin_only(request.user)
    draft = MatrixDraft.objects.filter(user=request.user).first()
    if draft is None:
        messages.info(request, "You have no draft to merge.")
        return redirect("decisions:matrix")
    if request.method == "POST":
        choices = {}
        for name, value in request.POST.items():
            parts = name.split("-")
            if len(parts) == 3 and parts[0] == "choice" and parts[1].isdigit() and parts[2].isdigit():
                choices[(int(parts[1]), int(parts[2]))] = value
        try:
            merged = services.matrix_draft_rebase(user=request.user, choices=choices)
        except ValidationError as exc:
            return _merge_page(request, draft, status=400,
                               error=" ".join(m for ms in exc.message_dict.values() for m in ms))
        messages.success(request, f"Your draft now starts from v{merged.base_number}. Review it, then publish.")
        return redirect("decisions:matrix")
    return _merge_page(request, draft)


@login_required
def matrix_versions(request):
    """Every version: status, effective time, who published it, when and why; pick two to diff."""
    _admin_only(request.user)
    now = timezone.now()
    in_force = MatrixVersion.objects.in_force(now)
    versions = MatrixVersion.objects.select_related("published_by", "cancelled_by").order_by("-number")
    rows = [(v, v.status(now=now, in_force=in_force)) for v in versions]
    return render(request, "decisions/matrix_versions.html", {"rows": rows, "in_force": in_force})


@login_required
def matrix_version(request, number: int):
    """One version's grid, read-only, with a way to copy it into the admin's draft."""
    version = _version_or_404(request, number)
    grid = selectors.matrix_grid(version=version)
    rows = [{"type": t, "cells": [(f, grid["cells"].get((t.pk, f.pk), "")) for f in grid["functions"]]}
            for t in grid["types"]]
    now = timezone.now()
    return render(request, "decisions/matrix_version.html", {
        "version": version, "functions": grid["functions"], "rows": rows,
        "status": version.status(now=now, in_force=MatrixVersion.objects.in_force(now))})


@login_required
@require_POST
def matrix_version_copy(request, number: int):
    """Start (or replace) my draft with this version's cells, on top of the newest version."""
    version = _version_or_404(request, number)
    head = MatrixVersion.objects.head()
    services.matrix_draft_save(user=request.user, cells=services.matrix_cells(version),
                               base_number=head.number if head else None,
                               note=f"Restore v{version.number}")
    messages.info(request, f"Your draft now holds v{version.number}'s roles. Review and publish to restore them.")
    return redirect("decisions:matrix")


@login_required
@require_POST
def matrix_version_cancel(request, number: int):
    version = _version_or_404(request, number)
    try:
        services.matrix_version_cancel(version=version, actor=request.user)
    except DecisionConflict as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"v{version.number} is cancelled; it will not take effect.")
    return redirect("decisions:matrix-versions")


@login_required
def matrix_diff(request):
    """The cells that differ between two versions (``?from=N&to=M``)."""
    _admin_only(request.user)
    numbers = [request.GET.get(k, "") for k in ("from", "to")]
    if not all(n.isdigit() and len(n) < 10 for n in numbers):
        return HttpResponse("Choose two versions to compare.", status=400, content_type="text/plain")
    found = {v.number: v for v in MatrixVersion.objects.select_related("published_by")
             .filter(number__in=[int(n) for n in numbers])}
    if any(int(n) not in found for n in numbers):
        raise Http404
    before, after = found[int(numbers[0])], found[int(numbers[1])]
    return render(request, "decisions/matrix_diff.html", {
        "before": before, "after": after, "pair": (before, after),
        "changes": selectors.matrix_version_diff(before, after),
        "versions": MatrixVersion.objects.order_by("-number").values_list("number", flat=True)})
