from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "partners"

    def ready(self) -> None:
        from governance.models import UserQuerySet
        from partners.querysets import people_of_visible_partnerships

        UserQuerySet.see_people_through(people_of_visible_partnerships)
