"""Target catch-ball (Hoshin): a parent proposes a target, the child accepts or counters, the parent
accepts or revises; the agreed value becomes the target (``kpis.services.definitions.target_set``).

* ``models``: the proposal (the value on the table, whose turn it is) and its append-only steps;
* ``rules``: who sits on which side of a proposal (the one owner of that rule);
* ``services``: the transitions; ``api`` and ``views``: the API and the pages.
"""
