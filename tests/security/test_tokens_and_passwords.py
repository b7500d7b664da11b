"""API tokens (django-rest-knox): new on every sign-in, expiring, listed and revoked by their
owner, revoked when the password changes; password change and reset (reset mail by a worker)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from knox.models import AuthToken
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def _sign_in(username: str, password: str) -> dict:
    response = APIClient().post("/api/v1/auth/token/", {"username": username, "password": password}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def _with(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def test_every_sign_in_issues_a_new_expiring_token_sent_with_the_token_keyword(manager_de, settings):
    first, second = _sign_in("max.de", "pw-max.de"), _sign_in("max.de", "pw-max.de")
    assert set(first) == {"token", "expiry"}
    assert first["token"] != second["token"]
    expiry = parse_datetime(first["expiry"])
    assert abs(expiry - (timezone.now() + settings.REST_KNOX["TOKEN_TTL"])) < timedelta(minutes=1)
    for issued in (first, second):
        me = _with(issued["token"]).get("/api/v1/users/")
        assert me.status_code == 200 and [u["username"] for u in me.json()["results"]] == ["max.de"]
    # Only a digest is stored: the token itself is nowhere in the database.
    assert not AuthToken.objects.filter(digest=first["token"]).exists()
    assert AuthToken.objects.filter(user=manager_de).count() == 2


def test_an_expired_token_no_longer_authenticates(manager_de):
    issued = _sign_in("max.de", "pw-max.de")
    AuthToken.objects.filter(user=manager_de).update(expiry=timezone.now() - timedelta(seconds=1))
    assert _with(issued["token"]).get("/api/v1/decisions/").status_code == 401


def test_a_malformed_token_is_a_401_not_a_server_error(manager_de):
    for token in ("\x00abc", "zz" * 32, "é" * 10):
        client = APIClient(raise_request_exception=False)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        assert client.get("/api/v1/decisions/").status_code == 401


def test_owners_list_and_revoke_their_own_tokens_and_nobody_elses(manager_de, manager_jp):
    mine, other = _sign_in("max.de", "pw-max.de"), _sign_in("max.de", "pw-max.de")
    theirs = _sign_in("yuki.jp", "pw-yuki.jp")
    client = _with(mine["token"])
    listed = client.get("/api/v1/auth/tokens/").json()
    assert {t["key"] for t in listed} == {mine["token"][:15], other["token"][:15]}
    assert [t["current"] for t in listed if t["key"] == mine["token"][:15]] == [True]
    assert client.delete(f"/api/v1/auth/tokens/{theirs['token'][:15]}/").status_code == 404
    assert _with(theirs["token"]).get("/api/v1/decisions/").status_code == 200
    assert client.delete(f"/api/v1/auth/tokens/{other['token'][:15]}/").status_code == 204
    assert _with(other["token"]).get("/api/v1/decisions/").status_code == 401
    assert client.get("/api/v1/decisions/").status_code == 200


def test_the_account_page_lists_tokens_and_revokes_one(client, manager_de, manager_jp):
    issued = _sign_in("max.de", "pw-max.de")
    theirs = _sign_in("yuki.jp", "pw-yuki.jp")
    client.force_login(manager_de)
    html = client.get("/accounts/").content.decode()
    key = issued["token"][:15]
    assert key in html and theirs["token"][:15] not in html and issued["token"] not in html
    assert client.post(f"/accounts/tokens/{theirs['token'][:15]}/revoke/").status_code == 404
    response = client.post(f"/accounts/tokens/{key}/revoke/", follow=True)
    assert "revoked" in response.content.decode() and key not in response.content.decode().split("API tokens")[1]
    assert _with(issued["token"]).get("/api/v1/decisions/").status_code == 401
    assert _with(theirs["token"]).get("/api/v1/decisions/").status_code == 200


def test_changing_the_password_revokes_every_token(client, manager_de, manager_jp):
    tokens = [_sign_in("max.de", "pw-max.de")["token"] for _ in range(2)]
    bystander = _sign_in("yuki.jp", "pw-yuki.jp")["token"]
    client.force_login(manager_de)
    response = client.post("/accounts/password/", {"old_password": "pw-max.de", "new_password1": "Blue-Harbour-42",
                                                   "new_password2": "Blue-Harbour-42"})
    assert response.status_code == 302 and response["Location"] == "/accounts/password/done/"
    assert all(_with(t).get("/api/v1/decisions/").status_code == 401 for t in tokens)
    assert _with(bystander).get("/api/v1/decisions/").status_code == 200
    assert client.get("/accounts/").status_code == 200  # still signed in on this browser
    assert _sign_in("max.de", "Blue-Harbour-42")["token"]


def test_an_admin_setting_a_password_through_the_api_revokes_that_users_tokens(api, admin_user, manager_de):
    token = _sign_in("max.de", "pw-max.de")["token"]
    response = api(admin_user).patch(f"/api/v1/users/{manager_de.pk}/", {"password": "Green-Valley-77"},
                                     format="json")
    assert response.status_code == 200, response.content
    assert _with(token).get("/api/v1/decisions/").status_code == 401


def test_password_reset_mail_is_sent_by_a_worker_after_commit_and_its_link_sets_a_new_password(
        client, manager_de, manager_jp, monkeypatch, django_capture_on_commit_callbacks):
    from governance import tasks

    queued = []
    monkeypatch.setattr(tasks.send_password_reset, "delay", lambda **kwargs: queued.append(kwargs))
    token = _sign_in("max.de", "pw-max.de")["token"]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post("/accounts/password/reset/", {"email": "max.de@example.com"})
    assert response.status_code == 302 and response["Location"] == "/accounts/password/reset/sent/"
    assert mail.outbox == [] and queued == []  # nothing sent, nothing enqueued inside the request
    for callback in callbacks:
        callback()
    assert queued == [{"user_id": manager_de.pk, "domain": "testserver", "use_https": False}]
    assert mail.outbox == []
    tasks.send_password_reset(**queued[0])  # what the worker runs
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["max.de@example.com"]
    assert mail.outbox[0].subject == "Reset your Accord password"
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    form = client.get(link, follow=True)
    assert form.status_code == 200 and "Set my new password" in form.content.decode()
    done = client.post(form.redirect_chain[-1][0], {"new_password1": "Quiet-Meadow-31",
                                                    "new_password2": "Quiet-Meadow-31"})
    assert done.status_code == 302 and done["Location"] == "/accounts/reset/done/"
    manager_de.refresh_from_db()
    assert manager_de.check_password("Quiet-Meadow-31")
    assert _with(token).get("/api/v1/decisions/").status_code == 401
    assert client.get(link, follow=True).content.decode().count("not valid any more") == 1  # used once


def test_password_reset_for_an_unknown_address_looks_the_same_and_queues_nothing(client, manager_de, monkeypatch,
                                                                                django_capture_on_commit_callbacks):
    from governance import tasks

    queued = []
    monkeypatch.setattr(tasks.send_password_reset, "delay", lambda **kwargs: queued.append(kwargs))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/password/reset/", {"email": "nobody@example.com"})
    assert response.status_code == 302 and response["Location"] == "/accounts/password/reset/sent/"
    assert queued == [] and mail.outbox == []


def test_expired_tokens_are_deleted_by_the_periodic_job(manager_de):
    from governance.tasks import delete_expired_tokens

    _sign_in("max.de", "pw-max.de")
    live = _sign_in("max.de", "pw-max.de")
    AuthToken.objects.exclude(token_key=live["token"][:15]).update(expiry=timezone.now() - timedelta(hours=1))
    delete_expired_tokens()
    assert list(AuthToken.objects.values_list("token_key", flat=True)) == [live["token"][:15]]
