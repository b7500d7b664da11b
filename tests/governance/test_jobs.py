import pytest
from django.db import transaction

from governance import jobs
from governance.tasks import heartbeat

pytestmark = pytest.mark.django_db


class FailingBroker(Exception):
    pass


def test_enqueue_waits_for_commit(monkeypatch, django_capture_on_commit_callbacks):
    sent = []
    monkeypatch.setattr(heartbeat, "apply_async", lambda **kw: sent.append(kw))
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        jobs.enqueue_on_commit(heartbeat)
        assert sent == []
    assert len(callbacks) == 1 and len(sent) == 1


def test_broker_outage_is_logged_not_raised(monkeypatch, caplog):
    def boom(**kwargs):
        raise FailingBroker("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(heartbeat, "apply_async", boom)
    jobs.enqueue(heartbeat)  # does not raise
    assert "could not enqueue governance.tasks.heartbeat" in caplog.text
