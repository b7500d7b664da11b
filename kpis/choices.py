"""The KPI app's choices (NetBox's ``*/choices.py``): the enumerations its models, values and
services share, in a module that imports no other module of the app. ``kpis.models`` re-exports them."""

from django.db import models


class Direction(models.TextChoices):
    HIGHER = "higher", "Higher is better"
    LOWER = "lower", "Lower is better"


class Aggregation(models.TextChoices):
    SUM = "sum", "Sum"
    AVERAGE = "average", "Average"
    LATEST = "latest", "Latest value"
    RATIO = "ratio", "Ratio (Σ numerator / Σ denominator)"


class Category(models.TextChoices):
    LAUNCH = "launch", "Launch"
    ADOPTION = "adoption", "Adoption"
    ACCESS = "access", "Access"
    ACCELERATION = "acceleration", "Acceleration"
    OTHER = "other", "Other"


class Frequency(models.TextChoices):
    MONTHLY = "monthly", "Monthly"
    QUARTERLY = "quarterly", "Quarterly"


class Kind(models.TextChoices):
    """What a KPI's values are; ``kpis.values`` owns what each kind accepts and how it is shown."""

    PERCENT = "percent", "Percent (stored as a fraction: 0.63 = 63%)"
    COUNT = "count", "Count (whole number, not negative)"
    CURRENCY = "currency", "Currency amount"
    DURATION = "duration", "Duration (not negative)"
    SCORE = "score", "Score (between a minimum and a maximum)"
    NUMBER = "number", "Number"


class Grain(models.TextChoices):
    MONTH = "month", "Month"
    QUARTER = "quarter", "Quarter"
    YTD = "ytd", "Year to date"


class RAG(models.TextChoices):
    GREEN = "green", "Green"
    AMBER = "amber", "Amber"
    RED = "red", "Red"
    NONE = "none", "No data"


class ImportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Importing"
    CONFIRM = "confirm", "Waiting for your confirmation"
    DONE = "done", "Imported"
    FAILED = "failed", "Not imported"
