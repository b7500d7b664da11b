"""Reciprocal commitments (issue 19), measured here, above the KPIs and decisions they are measured
from: the commitments themselves are ``partners.commitments.models`` (partnership data).

* ``attainment``: each side's share on time per month and the items that breached;
* ``demo``: the demo partnership's commitments.
"""
