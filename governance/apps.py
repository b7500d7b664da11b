from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "governance"
    verbose_name = "Organisation"

    def ready(self) -> None:
        # Connects the receivers: the security events, then (login_limits imports security) the per-address
        # count of failed sign-ins; psycopg_tuning: instants parsed by psycopg's C loader, long statements'
        # conversion cached; form_choices: a select's model choices read in one fetch.
        from governance import form_choices, login_limits, psycopg_tuning, security  # noqa: F401, PLC0415

        psycopg_tuning.install()
        form_choices.install()
