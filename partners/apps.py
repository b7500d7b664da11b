from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "partners"

    def ready(self) -> None:
        # Models import only once the app registry is ready (Django's AppConfig.ready()).
        from governance.models import UserQuerySet  # noqa: PLC0415
        from partners.querysets import people_of_visible_partnerships  # noqa: PLC0415

        UserQuerySet.see_people_through(people_of_visible_partnerships)
