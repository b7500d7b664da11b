"""The signed-in user's own account: password change and reset, their API tokens.

Password change and reset are Django's own views (``django.contrib.auth.views``) with our
templates. The reset e-mail is sent by a Celery worker, never inside the request:
:class:`QueuedPasswordResetForm` enqueues ``governance.tasks.send_password_reset`` after the
transaction commits, with the user's id only; the worker makes the one-time link itself
(:func:`password_reset_send`), so no reset link passes through the broker.
"""

from __future__ import annotations

from functools import partial

from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from governance.jobs import task_named
from governance.models import User

RESET_SUBJECT_TEMPLATE = "account/password_reset_subject.txt"
RESET_EMAIL_TEMPLATE = "account/password_reset_email.txt"
INVITE_SUBJECT_TEMPLATE = "account/invite_subject.txt"
INVITE_EMAIL_TEMPLATE = "account/invite_email.txt"
RESET_TASK = "governance.tasks.send_password_reset"  # the task (governance.tasks imports this module)


class QueuedPasswordResetForm(PasswordResetForm):
    """Django's reset form, except that ``save`` enqueues the e-mail instead of sending it. As in
    Django, an unknown address gets the same answer as a known one."""

    def save(self, *, domain_override=None, use_https=False, request=None, **kwargs) -> None:
        send_password_reset = task_named(RESET_TASK)
        domain = domain_override or (request.get_host() if request is not None else "localhost")
        for user in self.get_users(self.cleaned_data["email"]):
            transaction.on_commit(partial(send_password_reset.delay, user_id=user.pk, domain=domain,
                                          use_https=use_https))


def user_invite(*, user: User, domain: str, use_https: bool) -> None:
    """Invite a new user: after the transaction commits, a worker e-mails them a one-time link to
    choose their first password (the reset link; nobody else ever knows a password)."""
    transaction.on_commit(partial(task_named(RESET_TASK).delay, user_id=user.pk, domain=domain,
                                  use_https=use_https, invite=True))


def password_reset_send(*, user_id: int, domain: str, use_https: bool, invite: bool = False) -> bool:
    """Send the reset e-mail to an active user with a usable password (the worker's half of
    :class:`QueuedPasswordResetForm`) — or, with ``invite``, the invitation to choose a first
    password (a user invited without one). Returns whether a mail went out."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.email or not (invite or user.has_usable_password()):
        return False
    context = {
        "email": user.email, "domain": domain, "site_name": "Accord", "user": user,
        "uid": urlsafe_base64_encode(force_bytes(user.pk)), "token": default_token_generator.make_token(user),
        "protocol": "https" if use_https else "http",
    }
    subject, body = (INVITE_SUBJECT_TEMPLATE, INVITE_EMAIL_TEMPLATE) if invite else (
        RESET_SUBJECT_TEMPLATE, RESET_EMAIL_TEMPLATE)
    PasswordResetForm().send_mail(subject, body, context, settings.DEFAULT_FROM_EMAIL, user.email)
    return True
