"""Issue 22: the partnership page's "Commitments" panel is written in Python
(``decisions.commitments.presenters``) rather than by templates/partners/commitments/_panel.html.
Its output must be what that template wrote, character for character: both sides for a partner and
an internal reader, months with nothing due, met and missed, breaches done late and still open (in
the reader's time zone), no breach at all, no commitment, and names with markup characters."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.template import Context, Template
from django.utils import timezone

from decisions.commitments.attainment import Breach, MonthResult
from decisions.commitments.presenters import commitments_html
from decisions.templatetags.commitment_tags import commitment_rows

# templates/partners/commitments/_panel.html before issue 22.
PANEL_TEMPLATE = """{% if rows %}
<div class="card mb-4" data-testid="commitments">
  <div class="card-header"><i class="bi bi-arrow-left-right"></i> Commitments <span class="small text-body-secondary">— what each side owes the other, share on time per month</span></div>
  <div class="table-responsive"><table class="table table-sm mb-0 align-middle">
    <thead><tr class="small text-uppercase text-body-secondary"><th style="min-width: 12rem">Commitment</th><th class="text-end">Target</th>{% for m in months %}<th class="text-end">{{ m|date:"M" }}</th>{% endfor %}</tr></thead>
    <tbody>{% for row in rows %}
      <tr data-testid="commitment-{{ row.commitment.pk }}"><td><span class="badge {% if row.commitment.side == 'ours' %}text-bg-primary{% else %}text-bg-secondary{% endif %} me-1">{% if row.commitment.side == 'ours' %}{% if user.is_partner %}the company's{% else %}ours{% endif %}{% else %}{% if user.is_partner %}yours{% else %}theirs{% endif %}{% endif %}</span>{{ row.commitment.name }}</td>
        <td class="text-end">{% widthratio row.commitment.target 1 100 %}%</td>
        {% for r in row.months %}<td class="text-end">{% if r.attainment is None %}<span class="text-body-secondary">—</span>{% else %}<span class="rag {% if r.met %}rag-green{% else %}rag-red{% endif %}" title="{{ r.on_time }} on time, {{ r.breaches|length }} breached">{% widthratio r.attainment 1 100 %}%</span>{% endif %}</td>{% endfor %}
      </tr>{% endfor %}</tbody>
  </table></div>
  {% if any_breaches %}<div class="card-body small border-top" data-testid="breaches"><div class="fw-semibold mb-1">Latest breaches</div>
    {% for row in rows %}{% for b in row.breaches %}<div class="text-danger-emphasis">{{ row.commitment.name }} — {{ b.item }}: due {{ b.due|date:"j M" }}, {% if b.done %}done {{ b.done|date:"j M" }}{% else %}not yet{% endif %}</div>{% endfor %}{% endfor %}
  </div>{% endif %}
</div>
{% endif %}
"""  # noqa: E501 - the template's lines as they were
MONTHS = [date(2026, m, 1) for m in range(1, 7)]


def _commitment(pk, name, side, target):
    return SimpleNamespace(pk=pk, name=name, side=side, target=Decimal(target))


def _results(commitment, per_month):
    """``per_month``: (on time, breaches) for each of MONTHS."""
    return [MonthResult(commitment, m, on_time, list(breaches))
            for m, (on_time, breaches) in zip(MONTHS, per_month, strict=True)]


LATE = Breach("An internal decision", datetime(2026, 3, 31, 22, 30, tzinfo=UTC), datetime(2026, 4, 2, 9, tzinfo=UTC))
OPEN = Breach('SELLOUT Mar 2026, <Germany> & "co"', datetime(2026, 4, 7, 21, 59, tzinfo=UTC), None)
OURS = _commitment(1, "Price exceptions within 2 days", "ours", "0.9")
THEIRS = _commitment(2, "Sell-out <by> day 5 & \"on time\"", "theirs", "0.875")
RESULTS = [
    *_results(OURS, [(0, []), (3, []), (2, [LATE]), (1, [LATE, LATE]), (0, [LATE]), (7, [])]),
    *_results(THEIRS, [(1, []), (0, [OPEN]), (0, []), (2, [OPEN]), (1, []), (0, [])]),
]
CLEAN = _results(_commitment(3, "Clean", "theirs", "1"), [(1, [])] * 3 + [(0, [])] * 3)


@pytest.mark.parametrize("results", [RESULTS, RESULTS[6:], CLEAN, []], ids=["both", "theirs", "no breach", "none"])
@pytest.mark.parametrize("is_partner", [True, False], ids=["partner", "internal"])
@pytest.mark.parametrize("zone", ["Europe/Berlin", "Asia/Tokyo"])
def test_the_panel_is_the_template(results, is_partner, zone):
    rows = commitment_rows(results)
    user = SimpleNamespace(is_partner=is_partner)
    with timezone.override(zone):
        expected = Template(PANEL_TEMPLATE).render(Context({
            "rows": rows, "months": MONTHS, "user": user, "any_breaches": any(r["breaches"] for r in rows)}))
        assert commitments_html(rows, MONTHS, is_partner=is_partner) == expected
