"""Reciprocal commitments (issue 19): what each side of a partnership owes the other, as measurable
service levels, with attainment per month and the items that breached.

* ours — ``decision_sla``: decisions of a type on the partnership answered within N business days
  (measured from Accord's own decisions);
* theirs — ``submission``: the month's actuals of a KPI entered by working day N of the next month
  (measured from the partner's submissions).

``models`` here; attainment is measured from decisions and KPI submissions, so it lives above both,
in ``decisions.commitments``.
"""
