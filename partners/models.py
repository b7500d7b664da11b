"""External partners and the governed partnerships Accord tracks with them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from governance.querysets import ScopedQuerySet, is_active_user, member_partnership_ids, visible_org_unit_ids


class PartnerKind(models.TextChoices):
    DISTRIBUTOR = "distributor", "Distributor"
    GPO = "gpo", "Group purchasing organisation"
    HOSPITAL = "hospital", "Hospital / IDN"
    DIGITAL_HEALTH = "digital_health", "Digital health"
    PHARMA = "pharma", "Pharma"
    DIAGNOSTICS = "diagnostics", "Diagnostics"
    TECHNOLOGY = "technology", "Technology"
    OTHER = "other", "Other"


class PartnerStatus(models.TextChoices):
    PROSPECT = "prospect", "Prospect"
    ACTIVE = "active", "Active"
    ON_HOLD = "on_hold", "On hold"
    EXITED = "exited", "Exited"


class PartnerQuerySet(ScopedQuerySet):
    def visible_to(self, user) -> PartnerQuerySet:
        """Partners with a partnership the user can see, or covering an org unit in their scope."""
        if not is_active_user(user):
            return self.none()
        if user.is_admin:
            return self
        visible_partnerships = Partnership.objects.visible_to(user).values("partner_id")
        if user.is_partner:
            return self.filter(pk__in=visible_partnerships)
        return self.filter(
            models.Q(pk__in=visible_partnerships) | models.Q(org_units__in=visible_org_unit_ids(user))
        ).distinct()


class Partner(models.Model):
    """An external organisation: distributor, GPO, hospital/IDN, digital-health company, …"""

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=32, choices=PartnerKind.choices)
    status = models.CharField(max_length=16, choices=PartnerStatus.choices, default=PartnerStatus.ACTIVE)
    org_units = models.ManyToManyField("governance.OrgUnit", blank=True, related_name="partners")

    objects = PartnerQuerySet.as_manager()
    history = HistoricalRecords(m2m_fields=[org_units])

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PartnershipType(models.TextChoices):
    DISTRIBUTION = "distribution", "Distribution"
    CO_PROMOTION = "co_promotion", "Co-promotion"
    LICENSING = "licensing", "Licensing"
    RND = "rnd_collaboration", "R&D collaboration"
    TECHNOLOGY = "technology_integration", "Technology integration"
    COMPANION_DX = "companion_diagnostic", "Companion diagnostic"


class PartnershipStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    ACTIVE = "active", "Active"
    UNDER_REVIEW = "under_review", "Under review"
    ENDED = "ended", "Ended"


class ReviewCadence(models.TextChoices):
    MONTHLY = "monthly", "Monthly"
    QUARTERLY = "quarterly", "Quarterly"
    SEMIANNUAL = "semiannual", "Every six months"
    ANNUAL = "annual", "Annual"


class PartnershipQuerySet(ScopedQuerySet):
    def visible_to(self, user) -> PartnershipQuerySet:
        """Partner users: their own partnerships only. Internal users: partnerships with an org
        unit in their scope."""
        if not is_active_user(user):
            return self.none()
        if user.is_admin:
            return self
        if user.is_partner:
            return self.filter(pk__in=member_partnership_ids(user))
        in_scope = Partnership.org_units.through.objects.filter(
            orgunit_id__in=visible_org_unit_ids(user)
        ).values("partnership_id")
        return self.filter(pk__in=in_scope)


class Partnership(models.Model):
    """A governed relationship with a partner (distribution, co-promotion, licensing, …)."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="partnerships")
    name = models.CharField(max_length=200)
    type = models.CharField(max_length=32, choices=PartnershipType.choices)
    org_units = models.ManyToManyField("governance.OrgUnit", related_name="partnerships")
    owner_function = models.ForeignKey(
        "governance.Function", on_delete=models.PROTECT, related_name="owned_partnerships"
    )
    functions = models.ManyToManyField("governance.Function", blank=True, related_name="partnerships")
    status = models.CharField(
        max_length=16, choices=PartnershipStatus.choices, default=PartnershipStatus.ACTIVE
    )
    start = models.DateField()
    end = models.DateField(null=True, blank=True)
    review_cadence = models.CharField(
        max_length=16, choices=ReviewCadence.choices, default=ReviewCadence.QUARTERLY
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="partnerships",
        help_text="Partner users who may log in and see this partnership.",
    )

    objects = PartnershipQuerySet.as_manager()
    history = HistoricalRecords(m2m_fields=[org_units, functions, members])

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
