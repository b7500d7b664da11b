from django.urls import path, register_converter

from reports import views


class FormatConverter:
    regex = "xlsx|pdf"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(FormatConverter, "fmt")

app_name = "reports"
urlpatterns = [
    path("dashboard.<fmt:fmt>", views.dashboard, name="dashboard"),
    path("kpi/<str:code>.<fmt:fmt>", views.kpi, name="kpi"),
    path("partnerships/<int:pk>/scorecard.<fmt:fmt>", views.partnership_scorecard, name="partnership-scorecard"),
    path("decisions/latency.<fmt:fmt>", views.latency, name="latency"),
    path("decisions/list.<fmt:fmt>", views.decision_list, name="decisions"),
]
