"""The partners app's choices (NetBox's ``*/choices.py``): importable by querysets, forms and other
apps without loading the models."""

from django.db import models


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


class AssessmentSide(models.TextChoices):
    INTERNAL = "internal", "Internal"
    PARTNER = "partner", "Partner"


class ReviewKind(models.TextChoices):
    QBR = "qbr", "Quarterly business review"
    JOINT_PLANNING = "joint_planning", "Joint planning forum"
    EXECUTIVE = "executive", "Executive review"
    OPERATIONAL = "operational", "Operational review"


class ReviewStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    HELD = "held", "Held"
    CANCELLED = "cancelled", "Cancelled"


class ActionStatus(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"
