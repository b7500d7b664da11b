"""Briefing books and region packs: documents built by a background job, stored in the database.

A ``BriefingBook`` is one request for a pack (a partnership's briefing book, usually for one of
its business reviews, or a leader's region pack for an org unit); the job fills in its progress
and, when done, its files: an internal version and — for partnership books — the version shared
with the partner (``Audience``), each as PDF and XLSX (``PackFile``). The bytes live in the
database rather than on a disk the web and worker containers would have to share.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from reports.querysets import BriefingBookQuerySet, ReviewAgendaItemQuerySet


class PackKind(models.TextChoices):
    PARTNERSHIP = "partnership", "Partnership briefing book"
    REGION = "region", "Region pack"


class PackStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Building"
    DONE = "done", "Ready"
    FAILED = "failed", "Failed"


class Audience(models.TextChoices):
    INTERNAL = "internal", "Internal"
    SHARED = "shared", "Shared with the partner"


class BriefingBook(models.Model):
    kind = models.CharField(max_length=16, choices=PackKind.choices)
    partnership = models.ForeignKey("partners.Partnership", null=True, blank=True, on_delete=models.CASCADE,
                                    related_name="briefing_books")
    review = models.ForeignKey("partners.BusinessReview", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="briefing_books")
    org_unit = models.ForeignKey("governance.OrgUnit", null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="+")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    requested_at = models.DateTimeField()
    status = models.CharField(max_length=8, choices=PackStatus.choices, default=PackStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)  # percent
    step = models.CharField(max_length=120, blank=True)  # what the job is doing now
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    title = models.CharField(max_length=250, blank=True)

    objects = BriefingBookQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-pk"]
        indexes = [models.Index(fields=["review", "-requested_at"], name="book_review_latest"),
                   models.Index(fields=["requested_by", "-requested_at"], name="book_requester_latest")]
        constraints = [models.CheckConstraint(
            condition=(models.Q(kind="partnership", partnership__isnull=False)
                       | models.Q(kind="region", org_unit__isnull=False)), name="book_has_subject")]

    def __str__(self) -> str:
        return self.title or f"{self.get_kind_display()} #{self.pk}"

    @property
    def in_progress(self) -> bool:
        return self.status in (PackStatus.QUEUED, PackStatus.RUNNING)


class Digest(models.Model):
    """A digest e-mail sent: at most one per user, cadence and period (``reports/digests.py``)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    cadence = models.CharField(max_length=8)  # governance.models.Delivery: daily or weekly
    period_start = models.DateField()
    sent_at = models.DateTimeField()
    items = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "cadence", "period_start"], name="digest_once")]

    def __str__(self) -> str:
        return f"{self.cadence} digest {self.period_start} for {self.user_id}"


class PackFile(models.Model):
    """One rendered file of a book: (audience, format) is unique per book."""

    book = models.ForeignKey(BriefingBook, on_delete=models.CASCADE, related_name="files")
    audience = models.CharField(max_length=8, choices=Audience.choices)
    fmt = models.CharField(max_length=4, choices=[("pdf", "PDF"), ("xlsx", "XLSX")])
    filename = models.CharField(max_length=200)
    content = models.BinaryField()
    size = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["book", "audience", "fmt"], name="packfile_unique")]

    def __str__(self) -> str:
        return self.filename


class AgendaSection(models.TextChoices):
    """The parts of a drafted agenda, in the order they are discussed."""

    ACTION = "action", "Open actions"
    DECISION = "decision", "Stuck decisions"
    KPI = "kpi", "Off-target KPIs"


class ReviewAgendaItem(models.Model):
    """One line of the agenda drafted for a business review (``reports/agenda.py``): an open action,
    a stuck decision or an off-target KPI of its partnership, with why it is on the agenda as it
    stood when drafted. Kept here, above partners, decisions and kpis, because it points at all three;
    a redraft replaces the review's items. Readers see the items whose subject they may see
    (``ReviewAgendaItemQuerySet``)."""

    review = models.ForeignKey("partners.BusinessReview", on_delete=models.CASCADE, related_name="agenda_items")
    section = models.CharField(max_length=8, choices=AgendaSection.choices)
    position = models.PositiveSmallIntegerField()
    action = models.ForeignKey("partners.ReviewAction", null=True, blank=True, on_delete=models.CASCADE,
                               related_name="+")
    decision = models.ForeignKey("decisions.Decision", null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="+")
    kpi = models.ForeignKey("kpis.KPI", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    reasons = models.JSONField(default=list, blank=True,
                               help_text='Why it is on the agenda, in words: ["overdue 5 days"], ["escalated to L1"].')
    drafted_at = models.DateTimeField()
    drafted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    objects = ReviewAgendaItemQuerySet.as_manager()

    class Meta:
        ordering = ["review", "position"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(section="action", action__isnull=False, decision__isnull=True, kpi__isnull=True)
                           | models.Q(section="decision", decision__isnull=False, action__isnull=True,
                                      kpi__isnull=True)
                           | models.Q(section="kpi", kpi__isnull=False, action__isnull=True, decision__isnull=True)),
                name="agendaitem_one_subject"),
            models.UniqueConstraint(fields=["review", "position"], name="agendaitem_unique_position"),
        ]

    def __str__(self) -> str:
        return f"{self.review_id} #{self.position} {self.section}"
