"""The same answer twice (a double click, a retried request) is one answer: repeated identical
agrees or vetoes append no repeated timeline events and send no repeated notifications."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_repeated_identical_agrees_append_no_repeated_timeline_events(holders, log_de):
    decision = log_de()
    client = APIClient()
    client.force_authenticate(holders["compliance_de"])
    for _ in range(3):
        response = client.post(f"/api/v1/decisions/{decision.pk}/agree/", {"agree": True, "comment": "ok"},
                               format="json")
        assert response.status_code == 200, response.content
    kinds = list(decision.events.order_by("pk").values_list("kind", flat=True))
    assert kinds.count("agreed") == 1


def test_a_changed_answer_is_recorded_but_a_repeated_veto_is_not(holders, log_de):
    from governance.models import Notification

    decision = log_de()
    client = APIClient()
    client.force_authenticate(holders["compliance_de"])
    client.post(f"/api/v1/decisions/{decision.pk}/agree/", {"agree": True, "comment": "ok"}, format="json")
    for _ in range(2):
        client.post(f"/api/v1/decisions/{decision.pk}/agree/", {"agree": False, "comment": "label claim"},
                    format="json")
    client.post(f"/api/v1/decisions/{decision.pk}/agree/", {"agree": False, "comment": "and the price"},
                format="json")
    kinds = list(decision.events.order_by("pk").values_list("kind", flat=True))
    assert kinds.count("agreed") == 1 and kinds.count("vetoed") == 2
    assert Notification.objects.filter(kind="decision.vetoed", recipient=holders["manager_de"]).count() == 2
