from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "governance"
    verbose_name = "Organisation"

    def ready(self) -> None:
        from governance import security  # noqa: F401 - connects the security-event receivers
