from django.urls import path

from kpis import views
from kpis.catchball import views as catchball

app_name = "kpis"
urlpatterns = [
    path("", views.index, name="index"),
    path("catalogue/", views.kpi_list, name="list"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("units/", views.unit_search, name="units"),
    path("kpi/<str:code>/", views.kpi_detail, name="detail"),
    path("import/", views.import_page, name="import"),
    path("import/template.csv", views.import_template, name="import-template"),
    path("measurements/export.csv", views.export_csv, name="export"),
    path("partnerships/", views.my_partnerships, name="partnerships"),
    path("targets/proposals/", catchball.proposals, name="proposals"),
    path("targets/proposals/<int:pk>/<str:action>/", catchball.proposal_act, name="proposal-act"),
]
