"""Issue 22: the partner directory's rows are written in Python (``partners.presenters``) rather
than by the template loop. Their output must be what that loop wrote, character for character: every
kind, status, maturity level (or none), overdue review, a partner without org units or partnerships,
and names with markup characters (escaped)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest
from django.template import Context, Template
from django.utils import timezone

from governance.models import User
from partners.choices import PartnerKind, PartnershipStatus, PartnershipType, PartnerStatus
from partners.models import MATURITY_LEVELS
from partners.presenters import (
    directory_rows_html,
    enablement_items_html,
    maturity_rows_html,
    open_actions_html,
    reviews_html,
)
from partners.selectors import DimensionGap

# The rows of templates/partners/directory.html before issue 22 (the loop with its indentation).
ROWS_TEMPLATE = """{% for partner in page %}
        <tr>
          <td class="fw-semibold"><a class="link-body-emphasis text-decoration-none" href="{% url 'partners:partner' partner.pk %}">{{ partner.name }}</a></td>
          <td><span class="badge kind-badge kind-{{ partner.kind }}">{{ partner.get_kind_display }}</span></td>
          <td class="small text-body-secondary">{% for u in partner.org_units.all %}{{ u.code }}{% if not forloop.last %}, {% endif %}{% empty %}—{% endfor %}</td>
          <td>
            {% for p in partner.visible_partnerships %}
            <div class="partnership-line">
              <a class="fw-medium" href="{% url 'partners:partnership' p.pk %}">{{ p.name }}</a>
              <div class="d-flex flex-wrap align-items-center gap-2 mt-1">
              <span class="small text-body-secondary">{{ p.get_type_display }}{% if p.status != 'active' %} · {{ p.get_status_display|lower }}{% endif %}</span>
              {% include "partners/_level.html" with level=p.maturity_level name=p.maturity_name %}
              {% if p.review_is_overdue %}<span class="badge text-bg-danger" title="Review was due {{ p.next_review_due|date:'j M Y' }}"><i class="bi bi-alarm"></i> review overdue</span>{% endif %}
              </div>
            </div>
            {% empty %}<span class="small text-body-secondary">No partnership yet</span>{% endfor %}
          </td>
          <td class="text-end"><span class="badge rounded-pill partner-status-{{ partner.status }}">{{ partner.get_status_display }}</span></td>
        </tr>
      {% endfor %}"""  # noqa: E501 - the template's lines as they were


def _partnership(pk, name, *, type_=PartnershipType.DISTRIBUTION, status=PartnershipStatus.ACTIVE, level=None,
                 overdue=False, due=date(2026, 9, 3)):
    return SimpleNamespace(
        pk=pk, name=name, status=status, get_status_display=lambda: PartnershipStatus(status).label,
        get_type_display=lambda: PartnershipType(type_).label, maturity_level=level,
        maturity_name=MATURITY_LEVELS.get(level, ""), review_is_overdue=overdue, next_review_due=due)


def _partner(pk, name, *, kind=PartnerKind.DISTRIBUTOR, status=PartnerStatus.ACTIVE, units=(), partnerships=()):
    return SimpleNamespace(
        pk=pk, name=name, kind=kind, get_kind_display=lambda: PartnerKind(kind).label, status=status,
        get_status_display=lambda: PartnerStatus(status).label,
        org_units=SimpleNamespace(all=lambda: [SimpleNamespace(code=c) for c in units]),
        visible_partnerships=list(partnerships))


PARTNERS = [
    _partner(1, "MedLogistik", units=("DE", "AT"), partnerships=[
        _partnership(10, "MedLogistik Germany distribution", level=3, overdue=True),
        _partnership(11, "MedLogistik <Austria> & co", type_=PartnershipType.CO_PROMOTION,
                     status=PartnershipStatus.UNDER_REVIEW, level=5, due=date(2025, 12, 31)),
        _partnership(12, "Planned 'one'", status=PartnershipStatus.PLANNED),
    ]),
    _partner(2, 'Clinic "Nord" <b>', kind=PartnerKind.HOSPITAL, status=PartnerStatus.ON_HOLD),
    _partner(3, "GPO & Partners", kind=PartnerKind.GPO, status=PartnerStatus.PROSPECT, units=("EMEA",),
             partnerships=[_partnership(13, "Tenders", type_=PartnershipType.LICENSING, level=1)]),
]


@pytest.mark.parametrize("partners", [PARTNERS, PARTNERS[:1], PARTNERS[1:2], []], ids=["all", "one", "bare", "none"])
def test_directory_rows_are_the_template_loop(partners):
    expected = Template(ROWS_TEMPLATE).render(Context({"page": partners}))
    assert directory_rows_html(partners) == expected


# The partnership page's review and open-action loops of templates/partners/partnership_detail.html
# before issue 22 (the follow-ups were review.actions.all and the count review.attendees.all|length
# before the selector read them once; the markup is the same).
REVIEWS_TEMPLATE = """{% for review in reviews %}
        <li class="list-group-item py-3">
          <div class="d-flex flex-wrap justify-content-between gap-2">
            <div>
              <a class="fw-semibold" href="{% url 'partners:review' review.pk %}">{{ review }}</a>
              <div class="small text-body-secondary">{{ review.date|date:"j M Y" }} · {{ review.get_kind_display }} · {{ review.attendee_count }} attendee{{ review.attendee_count|pluralize }}</div>
            </div>
            <span class="badge {% if review.status == 'held' %}text-bg-light border{% elif review.status == 'planned' %}text-bg-info{% else %}text-bg-secondary{% endif %} align-self-start">{{ review.get_status_display }}</span>
          </div>
          {% if review.follow_ups %}
          <ul class="list-unstyled small mt-2 mb-0 ps-3 border-start">
            {% for a in review.follow_ups %}
            <li class="d-flex flex-wrap gap-2 align-items-center py-1">
              <i class="bi {% if a.status == 'done' %}bi-check-circle-fill text-success{% elif a.due_date < today %}bi-exclamation-circle-fill text-danger{% else %}bi-circle text-body-secondary{% endif %}" aria-hidden="true"></i>
              <span class="{% if a.status == 'done' %}text-decoration-line-through text-body-secondary{% endif %}">{{ a.title }}</span>
              <span class="text-body-secondary">· {{ a.owner|name_for:user }} · due {{ a.due_date|date:"j M Y" }}</span>
              {% if a.status == 'open' and a.due_date < today %}<span class="badge text-bg-danger">overdue</span>{% endif %}
            </li>
            {% endfor %}
          </ul>
          {% endif %}
        </li>
        {% endfor %}"""  # noqa: E501 - the template's lines as they were

OPEN_ACTIONS_TEMPLATE = """{% for a in open_actions %}
        <li class="list-group-item{% if a.due_date < today %} action-overdue{% endif %}">
          <div class="d-flex justify-content-between gap-2">
            <div>
              <div class="fw-semibold small">{{ a.title }}</div>
              <div class="small text-body-secondary">{{ a.owner|name_for:user }} · due <span class="{% if a.due_date < today %}text-danger fw-semibold{% endif %}">{{ a.due_date|date:"j M Y" }}</span></div>
            </div>
            {% if a.owner_id == user.pk or can_review %}
            <form method="post" action="{% url 'partners:action-status' a.pk %}" class="flex-shrink-0">{% csrf_token %}
              <input type="hidden" name="status" value="done"><input type="hidden" name="next" value="{{ request.path }}">
              <button class="btn btn-sm btn-outline-success" type="submit" title="Mark done"><i class="bi bi-check-lg"></i><span class="visually-hidden">Mark “{{ a.title }}” done</span></button>
            </form>
            {% endif %}
          </div>
        </li>
        {% endfor %}"""  # noqa: E501 - the template's lines as they were

TODAY = date(2026, 3, 10)
CSRF = '<input type="hidden" name="csrfmiddlewaretoken" value="token123">'


def _user(pk, username, first="", last="", role="manager"):
    return User(pk=pk, username=username, first_name=first, last_name=last, role=role)


ANNA, PARTNER = _user(7, "manager.de", "Anna", "<Müller>"), _user(9, "partner.demo", role="partner")
OPS = _user(8, "ops.bot")  # an internal person without a name: a partner reader is not given the login


def _action(pk, title, owner, due, status="open"):
    return SimpleNamespace(pk=pk, title=title, owner=owner, owner_id=owner.pk, due_date=due, status=status)


ACTIONS = [
    _action(1, "Send the forecast", ANNA, date(2026, 3, 1)),
    _action(2, "Agree <targets> & \"terms\"", PARTNER, date(2026, 3, 10)),
    _action(3, "Book the QBR", PARTNER, date(2026, 4, 2)),
    _action(6, "Refresh the <price> list", OPS, date(2026, 3, 20)),
    _action(4, "Closed one", ANNA, date(2026, 1, 5), status="done"),
]


class _Review(SimpleNamespace):
    """A review as the template reads it: it prints ``str(review)``."""

    def __str__(self):
        return self.title


def _review(pk, title, *, kind="qbr", status="held", attendees=2, follow_ups=()):
    labels = {"qbr": "Quarterly business review", "joint_planning": "Joint planning"}
    return _Review(pk=pk, title=title, date=date(2026, 2, 3), status=status, attendee_count=attendees,
                   follow_ups=list(follow_ups), get_kind_display=lambda: labels[kind],
                   get_status_display=lambda: status.title())


REVIEWS = [
    _review(1, "Q1 <QBR> & plan", attendees=1, follow_ups=ACTIONS),
    _review(2, "Planning", kind="joint_planning", status="planned", attendees=0),
    _review(3, "Cancelled one", status="cancelled", attendees=5, follow_ups=ACTIONS[2:3]),
]


@pytest.mark.parametrize("viewer", [ANNA, PARTNER], ids=["internal", "partner"])
@pytest.mark.parametrize("reviews", [REVIEWS, REVIEWS[1:2], []], ids=["all", "no-actions", "none"])
def test_reviews_are_the_template_loop(reviews, viewer):
    expected = Template(REVIEWS_TEMPLATE).render(Context({"reviews": reviews, "today": TODAY, "user": viewer}))
    assert reviews_html(reviews, today=TODAY, viewer=viewer) == expected


def test_a_partner_reader_is_not_given_an_internal_login_name():
    """Internal people are named to partner users by their names; one without a name reads "Internal
    team", never their login (the API gives partner users no other people at all). Internal readers,
    and partner users among themselves, read the login."""
    for_partner, for_anna = (reviews_html(REVIEWS[:1], today=TODAY, viewer=v) for v in (PARTNER, ANNA))
    assert "ops.bot" not in for_partner and "· Internal team · due 20 Mar 2026" in for_partner
    assert "· Anna &lt;Müller&gt; · due" in for_partner and "· partner.demo · due" in for_partner
    assert "· ops.bot · due 20 Mar 2026" in for_anna and "Internal team" not in for_anna
    actions = open_actions_html([a for a in ACTIONS if a.status == "open"], today=TODAY, user=PARTNER,
                                can_review=False, csrf_input=CSRF, path="/")
    assert "ops.bot" not in actions and "Internal team · due" in actions
    nameless = [_item(5, "Price list training", owner=OPS)]
    assert "ops.bot" not in enablement_items_html(nameless, today=TODAY, viewer=PARTNER, can_manage=False,
                                                  csrf_input=CSRF)
    assert "ops.bot" in enablement_items_html(nameless, today=TODAY, viewer=ANNA, can_manage=False, csrf_input=CSRF)


@pytest.mark.parametrize(("user", "can_review"), [(PARTNER, False), (ANNA, False), (ANNA, True)])
def test_open_actions_are_the_template_loop(user, can_review):
    actions = [a for a in ACTIONS if a.status == "open"]
    path = "/partners/partnerships/1/?a=<b>"
    expected = Template(OPEN_ACTIONS_TEMPLATE).render(Context({
        "open_actions": actions, "today": TODAY, "user": user, "can_review": can_review,
        "request": SimpleNamespace(path=path), "csrf_token": "token123"}))
    assert open_actions_html(actions, today=TODAY, user=user, can_review=can_review, csrf_input=CSRF,
                             path=path) == expected


# The enablement loop of templates/partners/_enablement.html before issue 22.
ENABLEMENT_TEMPLATE = """{% for e in enablement %}
        <li class="list-group-item enablement-item" id="enablement-item-{{ e.pk }}">
          <div class="d-flex justify-content-between gap-2">
            <div>
              <div class="fw-semibold small">{% if e.done_at %}<i class="bi bi-check-circle-fill text-success"></i> {% endif %}{{ e.title }}</div>
              <div class="small text-body-secondary">{{ e.get_kind_display }} · {{ e.owner|name_for:user }} ·
                {% if e.done_at %}done {{ e.done_at|date:"j M Y" }}{% if e.done_at.date > e.due_date %} (late){% endif %}{% else %}due <span class="{% if e.due_date < today %}text-danger fw-semibold{% endif %}">{{ e.due_date|date:"j M Y" }}</span>{% endif %}</div>
            </div>
            <div class="d-flex gap-1 flex-shrink-0 align-items-start">
            {% if e.changeable %}
            <form method="post" action="{% url 'partners:enablement-done' e.pk %}">{% csrf_token %}
              <input type="hidden" name="done" value="{% if e.done_at %}0{% else %}1{% endif %}">
              {% if e.done_at %}<button class="btn btn-sm btn-outline-secondary" type="submit" title="Reopen"><i class="bi bi-arrow-counterclockwise"></i><span class="visually-hidden">Reopen “{{ e.title }}”</span></button>
              {% else %}<button class="btn btn-sm btn-outline-success" type="submit" title="Mark done"><i class="bi bi-check-lg"></i><span class="visually-hidden">Mark “{{ e.title }}” done</span></button>{% endif %}
            </form>
            {% endif %}
            {% if can_manage_enablement %}
            <a class="btn btn-sm btn-outline-secondary" href="{% url 'partners:enablement-edit' e.pk %}" hx-get="{% url 'partners:enablement-edit' e.pk %}" hx-target="#enablement-form" hx-swap="innerHTML" title="Edit"><i class="bi bi-pencil"></i><span class="visually-hidden">Edit “{{ e.title }}”</span></a>
            <form method="post" action="{% url 'partners:enablement-archive' e.pk %}" hx-post="{% url 'partners:enablement-archive' e.pk %}" hx-target="#enablement" hx-swap="outerHTML">{% csrf_token %}
              <input type="hidden" name="archived" value="1">
              <button class="btn btn-sm btn-outline-danger" type="submit" title="Archive"><i class="bi bi-archive"></i><span class="visually-hidden">Archive “{{ e.title }}”</span></button>
            </form>
            {% endif %}
            </div>
          </div>
        </li>
        {% endfor %}"""  # noqa: E501 - the template's lines as they were


def _item(pk, title, *, done_at=None, due=date(2026, 3, 20), changeable=True, owner=ANNA):
    return SimpleNamespace(pk=pk, title=title, done_at=done_at, due_date=due, changeable=changeable, owner=owner,
                           get_kind_display=lambda: "Training")


ITEMS = [
    _item(1, "Product <training> & quiz"),
    _item(2, "Overdue cert", due=date(2026, 3, 1), changeable=False, owner=PARTNER),
    # Done late at 23:30 UTC on 20 March: 21 March in Berlin, where the page is read.
    _item(3, "Onboarding \"kit\"", done_at=datetime(2026, 3, 20, 23, 30, tzinfo=UTC), due=date(2026, 3, 19)),
    _item(4, "Done on time", done_at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC), changeable=False),
]


@pytest.mark.parametrize("viewer", [ANNA, PARTNER], ids=["internal", "partner"])
@pytest.mark.parametrize("can_manage", [False, True])
def test_enablement_items_are_the_template_loop(can_manage, viewer):
    items = [*ITEMS, _item(5, "Price list training", owner=OPS)]
    with timezone.override("Europe/Berlin"):
        expected = Template(ENABLEMENT_TEMPLATE).render(Context({
            "enablement": items, "today": TODAY, "can_manage_enablement": can_manage, "csrf_token": "token123",
            "user": viewer}))
        assert enablement_items_html(items, today=TODAY, viewer=viewer, can_manage=can_manage,
                                     csrf_input=CSRF) == expected
    assert "21 Mar 2026 (late)" in expected


# The maturity table's loop of templates/partners/partnership_detail.html before issue 22.
MATURITY_TEMPLATE = """{% for d in dimensions %}
              <tr>
                <td>{{ d.label }}</td>
                <td class="text-center">{{ d.internal|default:"—" }}</td>
                <td class="text-center">{{ d.partner|default:"—" }}</td>
                <td class="text-center">{% if d.gap is None %}<span class="text-body-secondary">—</span>{% elif d.gap == 0 %}<span class="gap-pill gap-0">aligned</span>{% else %}<span class="gap-pill {% if d.gap >= 2 or d.gap <= -2 %}gap-big{% else %}gap-small{% endif %}">{% if d.gap > 0 %}+{% endif %}{{ d.gap }}</span>{% endif %}</td>
              </tr>
            {% endfor %}"""  # noqa: E501 - the template's lines as they were


@pytest.mark.parametrize("scores", [
    [(5, 1), (1, 5), (3, 3), (4, 3), (2, 3), (4, 2)],  # big and small gaps both ways, aligned
    [(None, 4), (3, None), (None, None), (1, 1), (5, 3), (2, 4)],  # one side missing
    [(None, None)] * 6,
], ids=["gaps", "one side", "none"])
def test_maturity_rows_are_the_template_loop(scores):
    labels = ["Strategy alignment", "Shared KPIs", "Governance & decision <rights>", 'Data "sharing"',
              "Joint planning", "Value delivery"]
    dimensions = [DimensionGap(field=f"f{i}", label=label, internal=internal, partner=partner)
                  for i, (label, (internal, partner)) in enumerate(zip(labels, scores, strict=True))]
    expected = Template(MATURITY_TEMPLATE).render(Context({"dimensions": dimensions}))
    assert maturity_rows_html(dimensions) == expected
