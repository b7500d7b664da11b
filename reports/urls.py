from django.urls import path, register_converter

from reports import agenda_views, pack_views, views


class FormatConverter:
    regex = "xlsx|pdf"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class AudienceConverter(FormatConverter):
    regex = "internal|shared"


register_converter(FormatConverter, "fmt")
register_converter(AudienceConverter, "audience")

app_name = "reports"
urlpatterns = [
    path("dashboard.<fmt:fmt>", views.dashboard, name="dashboard"),
    path("kpi/<str:code>.<fmt:fmt>", views.kpi, name="kpi"),
    path("partnerships/<int:pk>/scorecard.<fmt:fmt>", views.partnership_scorecard, name="partnership-scorecard"),
    path("decisions/latency.<fmt:fmt>", views.latency, name="latency"),
    path("decisions/list.<fmt:fmt>", views.decision_list, name="decisions"),
    path("decisions/forums/<int:pk>/agenda.<fmt:fmt>", views.forum_agenda, name="forum-agenda"),
    path("packs/", pack_views.my_packs, name="packs"),
    path("packs/region/", pack_views.region_pack_request, name="region-pack"),
    path("reviews/<int:pk>/briefing-book/", pack_views.review_book_request, name="review-book"),
    path("reviews/<int:pk>/agenda/draft/", agenda_views.review_agenda_draft, name="review-agenda-draft"),
    path("books/<int:pk>/", pack_views.book_detail, name="book"),
    path("books/<int:pk>/status/", pack_views.book_status, name="book-status"),
    path("books/<int:pk>/<audience:audience>.<fmt:fmt>", pack_views.book_download, name="book-download"),
]
