"""Issue 22: the partner directory's rows are written in Python (``partners.presenters``) rather
than by the template loop. Their output must be what that loop wrote, character for character: every
kind, status, maturity level (or none), overdue review, a partner without org units or partnerships,
and names with markup characters (escaped)."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest
from django.template import Context, Template

from partners.choices import PartnerKind, PartnershipStatus, PartnershipType, PartnerStatus
from partners.models import MATURITY_LEVELS
from partners.presenters import directory_rows_html

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
