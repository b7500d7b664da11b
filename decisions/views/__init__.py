"""Pages of the decisions app: ``pages`` (queue, list, log form, detail and its actions), ``matrix``
(the decision-rights matrix editor, versions and the three-way merge), ``analytics`` (latency,
notifications)."""
