"""Every route × every role: who may reach what, and out of scope is 404 (never a revealing 403).

``EXPECT`` declares, for every (route name, HTTP method) the URL resolver and the OpenAPI schema
know, the answer each role gets for object **a** (Germany / partnership A) and object **b**
(Japan / partnership B) of the world in conftest.py. A route or operation without a declared
expectation fails ``test_every_route_and_operation_has_a_declared_expectation``.

Letters, one per role in the order admin, leader (EMEA), manager DE, manager JP, partner (A), anonymous:

    O  200                      H  404 (hidden: out of scope, or not for this role at all)
    D  403 (the role may not)   d  403 on an object the role can see (its existence is no secret to it)
    L  not signed in: 401 for the API, 302 to the sign-in page for pages
    W  write passed authorization: 200/201/204, or 400/409 from validation or workflow state
    R  301/302 (any redirect)   B  400                 M  405

Besides the declared letters, every H, D or L answer about an object must equal the answer
about an id that does not exist: a 403 is then about the role, never about the object, so it
reveals nothing. Pages a role may open must not mention the other side's objects by name.
Writes run inside a savepoint that is rolled back.

The run also records every ``Model.objects.restrict(user, action)`` its requests make: each
(model, action) pair of the access model (tests/security/test_access_model.py pins what each
pair grants per role) must be exercised by some declared route, so no rule exists that no route
is checked against.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from rest_framework.test import APIClient

from tests.security.conftest import ROLES, UNSEEN_NAMES, World
from tests.security.routes import ANY, admin_routes, all_routes, route_name_of, schema_operations

pytestmark = pytest.mark.django_db

PK, CODE, NUMBER = "pk", "code", "number"
MISSING = {PK: 987654321, CODE: "NO-SUCH-CODE", NUMBER: 987654}


@dataclass(frozen=True)
class Expect:
    name: str
    method: str
    a: str  # six letters; for routes without an object, the only expectation
    b: str | None = None
    kind: str | None = None  # world object kind the route takes
    lookup: str = PK  # URL kwarg the object fills
    extra: tuple = ()  # further URL kwargs, e.g. (("kind", "partnership"),)
    body: Any = None
    query: str = ""  # may name the object: "?org_unit={code}" (then the object goes in the query)
    fmt: str = "json"

    @property
    def key(self) -> tuple[str, str]:
        return (self.name, self.method)


def E(name, method, a, b=None, **kw) -> Expect:
    return Expect(name, method, a.replace(" ", ""), b.replace(" ", "") if b else None, **kw)


# Shorthands (admin, leader, manager DE, manager JP, partner, anon).
READ_A, READ_B = "O O O H O L", "O H H O H L"  # partnership-scoped rows: the partner sees A
INT_A, INT_B = "O O O H H L", "O H H O H L"  # org-scoped internal rows: the partner sees nothing
ALL_READ = "O O O O O L"  # reference data every signed-in user reads
INTERNAL_READ = "O O O O H L"  # internal reference data (not for partner users)
ADMIN_WRITE = "W D D D D L"  # admin-only writes: a role 403, whatever the object
SCOPED_WRITE_A, SCOPED_WRITE_B = "W W W H D L", "W H H W D L"  # leaders/managers write in scope
PARTNER_WRITE_A, PARTNER_WRITE_B = "W W W H W L", "W H H W H L"  # ... and partner users in theirs
PAGE_ALL = "O O O O O L"
OWN_A, OWN_B = "H H O H H L", "H H H O H L"  # the uploader's own rows (manager DE's a, manager JP's b)
PAGE_INTERNAL = "O O O O H L"
PAGE_ADMIN = "O H H H H L"


def detail(name, kind, lookup=PK, *, read=(READ_A, READ_B), write=(SCOPED_WRITE_A, SCOPED_WRITE_B),
           methods=("GET", "PUT", "PATCH", "DELETE"), body=None):
    out = []
    for m in methods:
        a, b = read if m == "GET" else write
        out.append(E(name, m, a, b, kind=kind, lookup=lookup, body=body if m in ("PUT", "PATCH") else None))
    return out


EXPECT: list[Expect] = [
    # --- governance pages ------------------------------------------------------------------------
    E("home", "*", "R R R R R L"),  # each role is sent to its landing page
    E("favicon", "*", "R R R R R R"),  # the icon's static file, for anyone
    E("org-structure", "*", PAGE_INTERNAL),
    E("object-history", "*", "O O H H H L", "O H H H H L", kind="partnership", extra=(("slug", "partnership"),)),
    E("login", "GET", "R R R R R O"),
    E("login", "POST", "R R R R R O"),  # signed-in users are sent on; anonymous get the form again
    E("login", "PUT", "R R R R R O"),  # Django's FormView treats PUT as POST
    E("logout", "POST", "R R R R R R"),
    # The signed-in user's own account: every role has one; a token key that is not theirs is 404.
    E("account", "*", PAGE_ALL),
    E("account-tokens-revoke-all", "*", "R R R R R L", body={}),
    E("account-token-revoke", "*", "H H H H H L", extra=(("key", "0123456789abcde"),), body={}),
    E("password-change", "*", PAGE_ALL),
    E("password-change-done", "*", PAGE_ALL),
    # Password reset is for anyone (an unknown address gets the same answer as a known one).
    E("password-reset", "*", "O O O O O O"),
    E("password-reset-done", "*", "O O O O O O"),
    E("password-reset-confirm", "*", "O O O O O O", extra=(("uidb64", "MQ"), ("token", "no-such-token"))),
    E("password-reset-complete", "*", "O O O O O O"),
    E("time-zone", "*", PAGE_ALL),
    E("notification-settings", "*", PAGE_ALL),
    # --- the Manage area (issue 17): admin-only sections 404 for everyone else; partners and
    # partnerships for leaders and managers in scope (403 where they see but may not change).
    E("manage:index", "*", "O O O O H L"),
    *[e for slug, kind, lookup in (("org-units", "org_unit", CODE), ("functions", "function", CODE),
                                   ("users", "user", PK), ("decision-types", "decision_type", CODE)) for e in (
        E(f"manage:{slug}-list", "*", PAGE_ADMIN),
        E(f"manage:{slug}-new", "*", PAGE_ADMIN),
        E(f"manage:{slug}-edit", "*", PAGE_ADMIN, PAGE_ADMIN, kind=kind, lookup=lookup),
        E(f"manage:{slug}-archive", "*", "R H H H H L", "R H H H H L", kind=kind, lookup=lookup, body={}),
        E(f"manage:{slug}-restore", "*", "R H H H H L", "R H H H H L", kind=kind, lookup=lookup, body={}),
    )],
    *[e for slug, kind in (("kpis", "kpi"),) for e in (
        E(f"manage:{slug}-list", "*", PAGE_ADMIN),
        E(f"manage:{slug}-new", "*", PAGE_ADMIN),
        E(f"manage:{slug}-edit", "*", PAGE_ADMIN, PAGE_ADMIN, kind=kind, lookup=CODE),
    )],
    # Objectives of the cascade: leaders and managers add and edit them in scope (issue 19).
    E("manage:objectives-list", "*", PAGE_INTERNAL),
    E("manage:objectives-new", "*", PAGE_INTERNAL),
    E("manage:objectives-edit", "*", INT_A, INT_B, kind="objective", lookup=CODE),
    E("manage:targets-list", "*", PAGE_ADMIN),  # the targets grid (org units × months of one KPI)
    E("manage:holidays-list", "*", PAGE_ADMIN),
    E("manage:holidays-new", "*", PAGE_ADMIN),
    # The world has no holiday: an id that does not exist (tests/manage covers real ones).
    E("manage:holidays-edit", "*", "H H H H H L", extra=(("pk", MISSING[PK]),)),
    E("manage:holidays-delete", "*", "H H H H H L", extra=(("pk", MISSING[PK]),), body={}),
    E("manage:forums-list", "*", PAGE_ADMIN),
    E("manage:forums-new", "*", PAGE_ADMIN),
    E("manage:forums-edit", "*", PAGE_ADMIN, PAGE_ADMIN, kind="forum"),
    E("manage:forums-archive", "*", "R H H H H L", "R H H H H L", kind="forum", body={}),
    E("manage:forums-restore", "*", "R H H H H L", "R H H H H L", kind="forum", body={}),
    E("manage:forum-meetings-list", "*", PAGE_ADMIN),
    E("manage:forum-meetings-new", "*", PAGE_ADMIN),
    E("manage:forum-meetings-edit", "*", "H H H H H L", extra=(("pk", MISSING[PK]),)),
    E("manage:forum-meetings-delete", "*", "H H H H H L", extra=(("pk", MISSING[PK]),), body={}),
    E("manage:partners-list", "*", PAGE_INTERNAL),
    E("manage:partners-new", "*", PAGE_INTERNAL),
    E("manage:partners-edit", "*", INT_A, INT_B, kind="partner"),
    # Archiving a partner with a partnership is refused (409); restoring an active one is a no-op.
    E("manage:partners-archive", "*", SCOPED_WRITE_A.replace("D", "H"), SCOPED_WRITE_B.replace("D", "H"),
      kind="partner", body={}),
    E("manage:partners-restore", "*", "R R R H H L", "R H H R H L", kind="partner", body={}),
    E("manage:partnerships-list", "*", PAGE_INTERNAL),
    E("manage:partnerships-new", "*", PAGE_INTERNAL),
    E("manage:partnerships-edit", "*", INT_A, INT_B, kind="partnership"),
    E("manage:partnerships-archive", "*", "R R R H H L", "R H H R H L", kind="partnership", body={}),
    E("manage:partnerships-restore", "*", "R R R H H L", "R H H R H L", kind="partnership", body={}),
    # --- governance API --------------------------------------------------------------------------
    E("api-token", "POST", "B B B B B B"),
    E("api-tokens", "GET", ALL_READ),
    E("api-token-detail", "DELETE", "H H H H H L", extra=(("key", "0123456789abcde"),)),
    E("api-object-history", "GET", "O O H H H L", "O H H H H L", kind="partnership",
      extra=(("kind", "partnership"),)),
    E("api-schema", "GET", ALL_READ),
    E("api-docs", "GET", ALL_READ),
    E("api-root", "GET", ALL_READ),
    E("orgunit-list", "GET", ALL_READ),
    E("orgunit-list", "POST", ADMIN_WRITE),
    *detail("orgunit-detail", "org_unit", CODE, read=("O O O H O L", "O H H O H L"),
            write=(ADMIN_WRITE, ADMIN_WRITE), methods=("GET", "PUT", "PATCH"), body={}),
    E("function-list", "GET", ALL_READ),
    E("function-list", "POST", ADMIN_WRITE),
    E("function-detail", "GET", ALL_READ, ALL_READ, kind="function", lookup=CODE),
    E("user-list", "GET", ALL_READ),
    E("user-list", "POST", ADMIN_WRITE),
    *detail("user-detail", "user", read=("O O O H H L", "O H H O H L"), write=(ADMIN_WRITE, ADMIN_WRITE),
            methods=("GET", "PUT", "PATCH"), body={}),
    # --- partners pages --------------------------------------------------------------------------
    E("partners:directory", "*", PAGE_ALL),
    E("partners:partner", "*", READ_A, READ_B, kind="partner"),
    E("partners:portal", "*", "R R R R R L"),
    E("partners:my-actions", "*", PAGE_ALL),
    E("partners:benchmarks", "*", "R R R R R R"),  # moved to kpis:benchmarks (issue 21): a redirect for everyone
    E("partners:action-status", "*", "R R R H R L", "R H H R H L", kind="review_action", body={"status": "done"}),
    E("partners:enablement-done", "*", "R R R H R L", "R H H R H L", kind="enablement", body={"done": "1"}),
    # Adding, editing and archiving items: internal users who may change the partnership (issue 19);
    # the partner user sees item a and partnership A but may not (403 about a visible object).
    E("partners:enablement-new", "*", "O O O H d L", "O H H O H L", kind="partnership"),
    E("partners:enablement-edit", "*", "O O O H d L", "O H H O H L", kind="enablement"),
    E("partners:enablement-archive", "*", "R R R H d L", "R H H R H L", kind="enablement", body={"archived": "1"}),
    E("partners:partnership", "*", READ_A, READ_B, kind="partnership"),
    E("partners:assess", "*", READ_A, READ_B, kind="partnership"),
    E("partners:review-new", "*", "O O O H d L", "O H H O H L", kind="partnership"),
    E("partners:share", "*", "R R R H d L", "R H H R H L", kind="partnership", body={"username": "nobody"}),
    E("partners:review", "*", READ_A, READ_B, kind="review"),
    # What a review action serves (decisions, KPIs): linked by those who may change the action's review.
    E("decisions:action-links", "*", "O O O H H L", "O H H O H L", kind="review_action"),
    # --- partners API ----------------------------------------------------------------------------
    E("partner-list", "GET", ALL_READ),
    E("partner-list", "POST", "W W W W D L"),
    *detail("partner-detail", "partner", body={}),
    E("partnership-list", "GET", ALL_READ),
    E("partnership-list", "POST", "W W W W D L"),
    *detail("partnership-detail", "partnership", body={}),
    E("partnership-maturity", "GET", READ_A, READ_B, kind="partnership"),
    E("partnership-benchmarks", "GET", READ_A, READ_B, kind="partnership"),
    E("partnership-commitments", "GET", READ_A, READ_B, kind="partnership"),
    E("partnership-share", "POST", SCOPED_WRITE_A, SCOPED_WRITE_B, kind="partnership", body={}),
    E("partnership-unshare", "POST", SCOPED_WRITE_A, SCOPED_WRITE_B, kind="partnership", body={}),
    E("assessment-list", "GET", ALL_READ),
    E("assessment-list", "POST", "W W W W W L"),
    # Assessment a is the internal side: the partner sees it but may only change the partner side.
    *detail("assessment-detail", "assessment", body={}, write=("W W W H d L", PARTNER_WRITE_B),
            methods=("GET", "PATCH")),
    E("assessment-detail", "PUT", "W W W H d L", PARTNER_WRITE_B, kind="assessment", body={}),
    E("assessment-detail", "DELETE", ADMIN_WRITE, ADMIN_WRITE, kind="assessment"),
    E("review-list", "GET", ALL_READ),
    E("review-list", "POST", "W W W W D L"),
    *detail("review-detail", "review", body={}),
    E("partnership-enablement-items", "GET", READ_A, READ_B, kind="partnership"),
    E("partnership-enablement-items", "POST", SCOPED_WRITE_A, SCOPED_WRITE_B, kind="partnership", body={}),
    E("enablement-item-list", "GET", ALL_READ),
    *detail("enablement-item-detail", "enablement", body={}, write=(PARTNER_WRITE_A, PARTNER_WRITE_B),
            methods=("GET", "PUT", "PATCH")),  # the owner (partner user, item a) may PATCH done only
    E("enablement-item-archive", "POST", SCOPED_WRITE_A, SCOPED_WRITE_B, kind="enablement", body={}),
    E("enablement-item-restore", "POST", SCOPED_WRITE_A, SCOPED_WRITE_B, kind="enablement", body={}),
    E("review-action-list", "GET", ALL_READ),
    E("review-action-list", "POST", "W W W W D L"),
    *detail("review-action-detail", "review_action", body={}, write=(PARTNER_WRITE_A, PARTNER_WRITE_B),
            methods=("GET", "PUT", "PATCH")),
    E("review-action-detail", "DELETE", SCOPED_WRITE_A, SCOPED_WRITE_B, kind="review_action"),
    # --- kpis pages ------------------------------------------------------------------------------
    E("kpis:benchmarks", "*", PAGE_INTERNAL),  # the named grid: internal users (their scope's names)
    E("kpis:index", "*", "R R R R R L"),
    E("kpis:list", "*", PAGE_ALL),  # partner users: the KPIs their partnership co-owns
    E("kpis:dashboard", "*", PAGE_INTERNAL),
    E("kpis:alignment", "*", PAGE_INTERNAL),
    E("kpis:objectives", "*", PAGE_INTERNAL),  # the cascade tree (issue 19)
    # The dashboard's unit search: out-of-scope codes find nothing (200, like a code that does not exist).
    E("kpis:units", "*", PAGE_INTERNAL, PAGE_INTERNAL, kind="org_unit", lookup=CODE, query="?q={code}"),
    E("kpis:detail", "*", "O O O O H L", "O O O O H L", kind="kpi", lookup=CODE),
    E("kpis:import", "*", PAGE_ALL),
    # Import jobs are their uploader's alone (a: manager DE's, b: manager JP's), admins included.
    E("kpis:import-job", "*", OWN_A, OWN_B, kind="import_job"),
    E("kpis:import-job-status", "*", OWN_A, OWN_B, kind="import_job"),
    E("kpis:import-job-confirm", "*", OWN_A.replace("O", "R"), OWN_B.replace("O", "R"), kind="import_job", body={}),
    E("kpis:import-template", "*", PAGE_ALL),
    E("kpis:unit-template", "*", PAGE_ALL),  # the user's first unit they may record for
    E("kpis:entry", "*", PAGE_ALL),
    E("kpis:entry-check", "*", "H H H H H L"),  # htmx POST only
    E("kpis:late", "*", PAGE_ALL),  # partner users: their partnership's rows only
    E("kpis:export", "*", PAGE_ALL),
    E("kpis:export-xlsx", "*", PAGE_ALL),
    E("kpis:partnerships", "*", PAGE_ALL),
    # Target catch-ball: internal users negotiate on the unit page (partner users on their partnership
    # page); accept from a page is a redirect back (refusals as a message), out of scope 404.
    E("kpis:proposals", "*", PAGE_INTERNAL),
    E("kpis:proposal-act", "*", "R R R H R L", "R H H R H L", kind="proposal", extra=(("action", "accept"),),
      body={}),
    # --- kpis API --------------------------------------------------------------------------------
    E("kpi-list", "GET", ALL_READ),
    E("kpi-list", "POST", ADMIN_WRITE),
    *detail("kpi-detail", "kpi", CODE, read=(ALL_READ, INTERNAL_READ), body={}, write=(ADMIN_WRITE, ADMIN_WRITE)),
    E("target-list", "GET", ALL_READ),
    E("target-list", "POST", ADMIN_WRITE),
    *detail("target-detail", "target", body={}, write=(ADMIN_WRITE, ADMIN_WRITE)),
    # Target proposals: the side whose turn it is answers (proposal a waits on partner A, b on partner B).
    E("target-proposal-list", "GET", ALL_READ),
    E("target-proposal-list", "POST", "W W W W W L", body={}),
    E("target-proposal-detail", "GET", READ_A, READ_B, kind="proposal"),
    E("target-proposal-accept", "POST", "d d d H W L", "d H H d H L", kind="proposal", body={}),
    E("target-proposal-counter", "POST", PARTNER_WRITE_A, PARTNER_WRITE_B, kind="proposal", body={}),
    E("import-job-list", "GET", ALL_READ),
    E("import-job-detail", "GET", OWN_A, OWN_B, kind="import_job"),
    E("measurement-list", "GET", ALL_READ),
    E("measurement-list", "POST", "W W W W W L"),
    E("measurement-import-csv", "POST", "W W W W W L", body={}, fmt="multipart"),
    E("measurement-detail", "GET", READ_A, READ_B, kind="measurement"),
    E("scorecard-list", "GET", "O O O H O L", "O H H O H L", kind="org_unit", lookup=CODE,
      query="?org_unit={code}&period=2026-01"),
    E("objective-list", "GET", ALL_READ),  # scoped; empty for partner users (see LISTS)
    E("objective-list", "POST", "W W W W D L", body={}),  # leaders and managers add children in scope
    *detail("objective-detail", "objective", CODE, read=(INT_A, INT_B), body={}),
    # --- decisions pages -------------------------------------------------------------------------
    E("decisions:index", "*", "R R R R R L"),
    E("decisions:queue", "*", PAGE_INTERNAL),
    E("decisions:list", "*", PAGE_ALL),
    E("decisions:log", "*", PAGE_INTERNAL),
    E("decisions:preview", "*", PAGE_INTERNAL),
    E("decisions:detail", "*", READ_A, READ_B, kind="decision"),
    # Only the requester edits or revises their decision: anyone else gets the 404 of a missing one.
    E("decisions:edit", "*", "H H O H H L", "H H H O H L", kind="decision"),
    E("decisions:revise", "*", "H H O H H L", "H H H O H L", kind="decision"),
    E("decisions:filter-save", "*", "R R R R R L", body={}),
    E("decisions:filter-delete", "*", "H H H H H L", kind="decision", body={}),  # no saved filter has that id
    E("decisions:act", "*", "R R R H H L", "R H H R H L", kind="decision", extra=(("action", "withdraw"),),
      body={"reason": "test"}),
    E("decisions:matrix", "*", PAGE_ADMIN),
    E("decisions:matrix-check", "*", PAGE_ADMIN, body={}),
    E("decisions:matrix-publish", "*", "W H H H H L", body={}),  # admin: no base version → 409 three-way view
    E("decisions:matrix-discard", "*", "R H H H H L", body={}),
    E("decisions:matrix-merge", "*", "R H H H H L"),  # admin without a draft: back to the editor
    E("decisions:matrix-versions", "*", PAGE_ADMIN),
    E("decisions:matrix-version", "*", PAGE_ADMIN, PAGE_ADMIN, kind="matrix_version", lookup=NUMBER),
    E("decisions:matrix-version-copy", "*", "R H H H H L", "R H H H H L", kind="matrix_version", lookup=NUMBER,
      body={}),
    E("decisions:matrix-version-cancel", "*", "R H H H H L", "R H H H H L", kind="matrix_version", lookup=NUMBER,
      body={}),
    E("decisions:matrix-diff", "*", "B H H H H L"),  # without ?from=&to=
    E("decisions:analytics", "*", PAGE_INTERNAL),
    E("decisions:forums", "*", PAGE_INTERNAL),
    E("decisions:forum", "*", INT_A, INT_B, kind="forum"),  # only who sees the forum's unit; never partners
    E("decisions:notifications", "*", PAGE_ALL),
    E("decisions:notifications-read", "*", "R R R R R L", body={}),
    # --- reports: exports of the pages above, the same answers as the page (issue 16) ---------------
    E("reports:dashboard", "*", PAGE_INTERNAL, extra=(("fmt", "xlsx"),)),
    E("reports:kpi", "*", "O O O O H L", "O O O O H L", kind="kpi", lookup=CODE, extra=(("fmt", "pdf"),)),
    E("reports:partnership-scorecard", "*", READ_A, READ_B, kind="partnership", extra=(("fmt", "xlsx"),)),
    E("reports:latency", "*", PAGE_INTERNAL, extra=(("fmt", "xlsx"),)),
    E("reports:decisions", "*", PAGE_ALL, extra=(("fmt", "pdf"),)),
    E("reports:forum-agenda", "*", INT_A, INT_B, kind="forum", extra=(("fmt", "xlsx"),)),
    # Briefing books: the partner user reads their partnership's (shared version) but asks for none.
    E("reports:packs", "*", "O O O O D L"),
    E("reports:region-pack", "*", "R R R H H L", body={"unit": "DE"}),
    E("reports:review-book", "*", "R R R H d L", "R H H R H L", kind="review", body={}),
    # The next review's agenda, drafted by those who may change the review; the partner reads it only.
    E("reports:review-agenda-draft", "*", "R R R H H L", "R H H R H L", kind="review", body={}),
    E("reports:book", "*", READ_A, READ_B, kind="book"),
    E("reports:book-status", "*", READ_A, READ_B, kind="book"),
    E("reports:book-download", "*", READ_A, READ_B, kind="book", extra=(("audience", "shared"), ("fmt", "pdf"))),
    # --- decisions API ---------------------------------------------------------------------------
    E("decision-analytics", "GET", "O O O O D L"),
    E("decisiontype-list", "GET", ALL_READ),
    E("decisiontype-list", "POST", ADMIN_WRITE),
    *detail("decisiontype-detail", "decision_type", CODE, read=(ALL_READ, ALL_READ), body={},
            write=(ADMIN_WRITE, ADMIN_WRITE)),
    E("decisiontype-versions", "GET", "O O O O d L", "O O O O d L", kind="decision_type", lookup=CODE),
    E("matrixversion-list", "GET", ALL_READ),
    E("matrixversion-list", "POST", ADMIN_WRITE, body={"cells": [], "base_version": 0}),
    E("matrixversion-cancel", "POST", ADMIN_WRITE, ADMIN_WRITE, kind="matrix_version", lookup=NUMBER),
    E("matrixversion-diff", "GET", "B B B B B L"),  # without ?from=&to=
    E("matrixversion-lint", "GET", "O O O O D L"),
    E("matrixversion-lint", "POST", ADMIN_WRITE, body={"cells": []}),
    E("matrixversion-detail", "GET", INTERNAL_READ, INTERNAL_READ, kind="matrix_version", lookup=NUMBER),
    E("decision-list", "GET", ALL_READ),
    E("decision-list", "POST", "W W W W D L"),
    E("decision-detail", "GET", READ_A, READ_B, kind="decision"),
    # The requester edits (PATCH) and revises; others who see it get 403, partner users 403 by role.
    E("decision-detail", "PATCH", "d d W H D L", "d H H W D L", kind="decision", body={}),
    E("decision-revise", "POST", "d d W H D L", "d H H W D L", kind="decision", body={}),
    # Requester, decider or admin remind (409 when only the caller holds it up).
    E("decision-nudge", "POST", "W d W H D L", "W H H W D L", kind="decision", body={}),
    # Partner users answer where the matrix names the partner: on decision a (shared with them) the
    # workflow decides (here: 400 for the empty body); decision b does not exist for them.
    *[E(f"decision-{step}", "POST", PARTNER_WRITE_A, PARTNER_WRITE_B, kind="decision", body={})
      for step in ("agree", "decide", "input")],
    E("decision-reassign", "POST", SCOPED_WRITE_A, SCOPED_WRITE_B, kind="decision", body={}),
    # Only the requester, the decider or an admin may withdraw, reopen or change what is shared (the
    # leader sees it: 403).
    *[E(f"decision-{step}", "POST", "W d W H D L", SCOPED_WRITE_B, kind="decision", body={})
      for step in ("reopen", "withdraw", "visibility")],
    E("decision-events", "GET", READ_A, READ_B, kind="decision"),
    # Stage intervals and pauses read like the timeline; leaders and managers in scope pause and
    # resume (the type's rules decide who: here 400 for the empty body, 409 with nothing paused).
    E("decision-stages", "GET", READ_A, READ_B, kind="decision"),
    E("decision-pauses", "GET", READ_A, READ_B, kind="decision"),
    E("decision-pause", "POST", SCOPED_WRITE_A, SCOPED_WRITE_B, kind="decision", body={}),
    E("decision-resume", "POST", SCOPED_WRITE_A, SCOPED_WRITE_B, kind="decision", body={}),
    E("notification-list", "GET", ALL_READ),
    E("notification-mark-read", "POST", "W W W W W L", body={}),
]

# Lists: exactly these world objects, per role (admin, leader, manager DE, manager JP, partner).
SCOPED_LIST = ("ab", "a", "a", "b", "a")
LISTS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    # route name: (world kind, JSON key, per-role letters)
    "partner-list": ("partner", "id", SCOPED_LIST),
    "partnership-list": ("partnership", "id", SCOPED_LIST),
    "assessment-list": ("assessment", "id", SCOPED_LIST),
    "review-list": ("review", "id", SCOPED_LIST),
    "review-action-list": ("review_action", "id", SCOPED_LIST),
    "enablement-item-list": ("enablement", "id", SCOPED_LIST),
    "target-list": ("target", "id", SCOPED_LIST),
    "target-proposal-list": ("proposal", "id", SCOPED_LIST),
    "measurement-list": ("measurement", "id", SCOPED_LIST),
    "import-job-list": ("import_job", "id", ("", "", "a", "b", "")),  # one's own, admins included
    "decision-list": ("decision", "id", SCOPED_LIST),
    "kpi-list": ("kpi", "code", ("ab", "ab", "ab", "ab", "a")),
    "decisiontype-list": ("decision_type", "code", ("ab", "ab", "ab", "ab", "ab")),
    "matrixversion-list": ("matrix_version", "number", ("ab", "ab", "ab", "ab", "")),
}
# Lists of things the fixtures make beyond the world's a/b pairs: the exact keys.
EXACT_LISTS: dict[str, tuple[str, tuple[set, ...]]] = {
    "orgunit-list": ("code", ({"GLOBAL", "EMEA", "APAC", "DACH", "JAPAN", "DE", "AT", "JP"},
                              {"EMEA", "DACH", "DE", "AT"}, {"DE"}, {"JP"}, {"DE"})),
    # Internal users see their subtree, their line above them and the partner users of their partnerships.
    "user-list": ("username", ({"ada.admin", "lena.leader", "max.de", "yuki.jp", "pat.partner", "otto.at"},
                               {"lena.leader", "max.de", "otto.at", "pat.partner"},
                               {"max.de", "lena.leader", "pat.partner"}, {"yuki.jp"}, {"pat.partner"})),
    "function-list": ("code", ({"SALES", "ACCESS", "COMPLIANCE", "MKT", "FINANCE"},) * 5),
    # The cascade: the global objective reaches every internal user; a and b their line and scope only.
    "objective-list": ("code", ({"OBJG", "OBJA", "OBJB"}, {"OBJG", "OBJA"}, {"OBJG", "OBJA"}, {"OBJG", "OBJB"},
                                set())),
}
ALLOWED_ROUTE_RULES = "admin:* — superusers only (see test_django_admin_is_for_superusers_only)"
# (model, action) pairs no route uses yet, and why; a pair listed here that a route does exercise fails too.
NOT_ROUTED: dict[tuple[str, str], str] = {
    ("decisions.Escalation", "view"): "escalations show as timeline events; no route lists Escalation rows",
    ("decisions.Chase", "view"): "chases show as timeline events (agree_escalated, input_escalated)",
}


# --- helpers -------------------------------------------------------------------------------------


def _client(world: World, role: str) -> APIClient:
    client = APIClient()
    if role != "anon":
        client.force_login(world.user(role))
    return client


def _url(entry: Expect, world: World, side: str | None) -> str:
    kwargs, query = dict(entry.extra), entry.query
    if entry.kind is not None:
        obj = None if side == "missing" else getattr(world, side)[entry.kind]
        value = MISSING[entry.lookup] if obj is None else getattr(obj, entry.lookup)
        if "{" in query:
            query = query.format(**{entry.lookup: value})
        else:
            kwargs[entry.lookup] = value
    return reverse(entry.name, kwargs=kwargs) + query


def _request(client: APIClient, entry: Expect, url: str):
    method = entry.method if entry.method != ANY else ("POST" if entry.body is not None else "GET")
    is_api = url.startswith("/api/")
    kwargs = {"format": entry.fmt} if is_api and method != "GET" else {}
    data = entry.body if entry.body is not None else ({} if method != "GET" else None)
    if method == "GET":
        return client.get(url)
    with transaction.atomic():  # every write is rolled back: the world stays the same for the next one
        response = getattr(client, method.lower())(url, data, **kwargs)
        transaction.set_rollback(True)
    return response


def _letter(response, url: str) -> str:
    code = response.status_code
    if code in (301, 302):
        return "L" if "next=" in response.get("Location", "") else "R"
    if code == 401:
        return "L"
    return {200: "O", 201: "W", 204: "W", 404: "H", 403: "D", 400: "B", 405: "M", 409: "W"}.get(code, str(code))


def _matches(expected: str, got: str, code: int) -> bool:
    if expected == got or (expected == "d" and got == "D"):
        return True
    if expected == "W":
        return code in (200, 201, 204, 400, 409)
    return False


SESSION_CHANGING = {"login", "logout"}  # these get a fresh client: they change the session


def _run(entry: Expect, world: World, role: str, side: str | None, clients: dict | None = None):
    url = _url(entry, world, side)
    client = clients[role] if clients and entry.name not in SESSION_CHANGING else _client(world, role)
    try:
        response = _request(client, entry, url)
    except Exception as exc:  # a server error: report it with the route, not as a crash
        return url, f"500 ({type(exc).__name__}: {exc})"[:200], 500, None
    return url, _letter(response, url), response.status_code, response


def _leaked_names(response, role: str) -> list[str]:
    """Names of objects outside ``role``'s scope that a page it may open shows anyway."""
    if response is None or response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
        return []
    html = response.content.decode()
    return [n for n in UNSEEN_NAMES[role] if re.search(rf"\b{re.escape(n)}\b", html)]


# --- the tests -----------------------------------------------------------------------------------


def test_every_route_and_operation_has_a_declared_expectation(api, admin_user):
    declared = {e.key for e in EXPECT}
    declared_names = {e.name for e in EXPECT}
    missing = []
    for route in all_routes():
        for method in route.methods:
            if method == ANY:
                if route.name not in declared_names:
                    missing.append(f"{route.name} ({route.pattern})")
            elif (route.name, method) not in declared and (route.name, ANY) not in declared:
                missing.append(f"{method} {route.name} ({route.pattern})")
    schema = api(admin_user).get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operations = schema_operations(schema)
    for path, method, operation_id in operations:
        name = route_name_of(path)
        if (name, method) not in declared:
            missing.append(f"API operation {operation_id}: {method} {path} -> {name}")
    assert not missing, "Routes with no declared expectation in EXPECT:\n" + "\n".join(sorted(set(missing)))
    assert len(operations) > 50  # the schema really was read


def test_no_declared_expectation_is_stale():
    """Every entry names a real route, so the table cannot silently drift from the URLconf."""
    known = {(r.name, m) for r in all_routes() for m in r.methods}
    names = {r.name for r in all_routes()}
    stale = [e.key for e in EXPECT if (e.key not in known and not (e.method == ANY and e.name in names))]
    assert not stale, f"Entries for routes that do not exist: {stale}"


@pytest.mark.slow  # every route × every role: about a minute; make test runs it
def test_every_route_answers_each_role_as_declared(world, monkeypatch):
    from governance.querysets import ScopedQuerySet, registered_actions

    exercised: set[tuple[str, str]] = set()
    restrict = ScopedQuerySet.restrict

    def recording_restrict(self, user, action="view"):
        exercised.add((self.model._meta.label, action))
        return restrict(self, user, action)

    monkeypatch.setattr(ScopedQuerySet, "restrict", recording_restrict)
    failures, clients = [], {role: _client(world, role) for role in ROLES}
    for entry in EXPECT:
        sides = ("a", "b") if entry.kind else (None,)
        for side in sides:
            expected = (entry.a if side in (None, "a") else entry.b) or entry.a
            for i, role in enumerate(ROLES):
                url, got, code, response = _run(entry, world, role, side, clients)
                if not _matches(expected[i], got, code):
                    failures.append(f"{entry.method:6} {entry.name:32} {side or '-'} {role:10} {url}: "
                                    f"expected {expected[i]}, got {got} ({code})")
                leaked = _leaked_names(response, role)
                if leaked:
                    failures.append(f"{entry.method:6} {entry.name:32} {side or '-'} {role:10} {url}: "
                                    f"the page shows out-of-scope {leaked}")
                # Not visible (or not allowed) must look exactly like "does not exist".
                if side is not None and expected[i] in "HDL":
                    _, missing_got, missing_code, _ = _run(entry, world, role, "missing", clients)
                    if missing_code != code:
                        failures.append(f"{entry.method:6} {entry.name:32} {side} {role:10} {url}: answers {code} "
                                        f"but a missing object answers {missing_code} (existence revealed)")
    pairs = {(m._meta.label, a) for m, actions in registered_actions().items() for a in actions}
    for pair in sorted(pairs - exercised - set(NOT_ROUTED)):
        failures.append(f"no declared route exercises {pair[0]}.objects.restrict(user, {pair[1]!r})")
    for pair in sorted(set(NOT_ROUTED) & exercised):
        failures.append(f"{pair} is exercised now: remove it from NOT_ROUTED")
    assert not failures, f"{len(failures)} route × role mismatches:\n" + "\n".join(failures)


def test_lists_contain_exactly_the_objects_in_scope(world):
    failures = []
    for name, (kind, key, per_role) in LISTS.items():
        for role, letters in zip(ROLES, per_role, strict=False):
            expected = {str(getattr(getattr(world, side)[kind], _attr(key))) for side in letters}
            got = _list_keys(_client(world, role), name, key)
            if got != expected:
                failures.append(f"{name} as {role}: expected {sorted(expected)}, got {sorted(got)}")
    for name, (key, per_role) in EXACT_LISTS.items():
        for role, expected in zip(ROLES, per_role, strict=False):
            got = _list_keys(_client(world, role), name, key)
            if got != {str(x) for x in expected}:
                failures.append(f"{name} as {role}: expected {sorted(expected)}, got {sorted(got)}")
    assert not failures, "\n".join(failures)


def test_notifications_are_only_ever_the_callers_own(world):
    from governance.models import Notification

    for role in ROLES[:-1]:
        user = world.user(role)
        body = _client(world, role).get("/api/v1/notifications/?page_size=500").json()
        ids = {n["id"] for n in body["results"]}
        assert ids == set(Notification.objects.filter(recipient=user).values_list("pk", flat=True)), role
    assert Notification.objects.exclude(recipient=world.cast["manager_de"]).exists()  # others' exist


def test_django_admin_is_for_superusers_only(world):
    """One rule for all of Django's admin: superusers get in; everyone else — business admins
    included, who use the Manage area — is sent to the admin sign-in, and no admin page answers
    anything else to them."""
    from django.contrib import admin as django_admin

    urls = ["/admin/"] + [reverse(f"admin:{m._meta.app_label}_{m._meta.model_name}_changelist")
                          for m in django_admin.site._registry]
    urls += [reverse(f"admin:{m._meta.app_label}_{m._meta.model_name}_change", args=[world.a["partnership"].pk])
             for m in django_admin.site._registry if m._meta.label == "partners.Partnership"]
    assert len(admin_routes()) > 20 and len(urls) > 10
    superuser = APIClient()
    superuser.force_login(type(world.cast["admin"]).objects.create_superuser("root", "root@example.com", "pw-root"))
    for url in urls:  # every admin page renders (a superuser holds every model permission)
        assert superuser.get(url).status_code == 200, url
    for role in ROLES:
        client = _client(world, role)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 302 and "/admin/login/" in response["Location"], (role, url)


# --- list helpers --------------------------------------------------------------------------------


def _attr(key: str) -> str:
    return "pk" if key == "id" else key


def _list_keys(client, name: str, key: str) -> set[str]:
    try:
        url = reverse(name)
    except NoReverseMatch:  # pragma: no cover - the route test reports it
        return set()
    body = client.get(url + "?page_size=500").json()
    rows = body["results"] if isinstance(body, dict) else body
    return {str(r[key]) for r in rows}
