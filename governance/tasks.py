"""Thin Celery tasks over service functions."""

from celery import shared_task
from django.db import models
from django.utils import timezone

from governance.account import password_reset_send
from governance.idempotency import idempotency_keys_delete_expired
from governance.models import Heartbeat
from governance.notifications import notification_emails_send
from governance.tokens import tokens_delete_expired


def heartbeat_record(*, name: str = "beat", now=None) -> None:
    """Upsert the heartbeat row: proof that beat scheduled and a worker ran a job."""
    now = now or timezone.now()
    updated = Heartbeat.objects.filter(name=name).update(beats=models.F("beats") + 1, last_seen=now)
    if not updated:
        Heartbeat.objects.get_or_create(name=name, defaults={"beats": 1, "last_seen": now})


@shared_task(name="governance.tasks.heartbeat", ignore_result=True)
def heartbeat() -> None:
    heartbeat_record()


@shared_task(name="governance.tasks.send_password_reset", ignore_result=True)
def send_password_reset(*, user_id: int, domain: str, use_https: bool, invite: bool = False) -> None:
    password_reset_send(user_id=user_id, domain=domain, use_https=use_https, invite=invite)


@shared_task(name="governance.tasks.send_notification_emails", ignore_result=True)
def send_notification_emails(*, ids: list[int]) -> int:
    """E-mail the notifications ``ids`` (created by ``notify``/``notify_many``) that are wanted now."""
    return notification_emails_send(ids=ids)


@shared_task(name="governance.tasks.delete_expired_tokens", ignore_result=True)
def delete_expired_tokens() -> None:
    tokens_delete_expired()


@shared_task(name="governance.tasks.delete_expired_idempotency_keys", ignore_result=True)
def delete_expired_idempotency_keys() -> None:
    idempotency_keys_delete_expired()
