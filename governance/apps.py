from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "governance"
    verbose_name = "Organisation"

    def ready(self) -> None:
        # Connects the receivers: the security events, then (login_limits imports security) the per-address
        # count of failed sign-ins.
        from governance import login_limits, security  # noqa: F401, PLC0415 — AppConfig.ready() signal registration
