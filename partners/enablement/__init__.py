"""Partner enablement (issue 19): training, certification and onboarding items of a partnership,
each with an owner (an internal user or one of the partnership's partner users) and a due date.
``kpis.services.enablement`` turns their completion into the ENABLEMENT KPI."""
