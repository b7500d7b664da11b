from django.urls import path

from kpis import entry, import_jobs, views
from kpis.benchmarks import views as benchmarks
from kpis.catchball import views as catchball

app_name = "kpis"
urlpatterns = [
    path("", views.index, name="index"),
    path("catalogue/", views.kpi_list, name="list"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("alignment/", views.alignment, name="alignment"),
    path("objectives/", views.objectives, name="objectives"),
    path("benchmarks/", benchmarks.grid, name="benchmarks"),
    path("units/", views.unit_search, name="units"),
    path("kpi/<str:code>/", views.kpi_detail, name="detail"),
    path("import/", views.import_page, name="import"),
    path("entry/", entry.entry_grid, name="entry"),
    path("entry/check/", entry.entry_check, name="entry-check"),
    path("late/", entry.late_list, name="late"),
    path("import/jobs/<int:pk>/", import_jobs.import_job, name="import-job"),
    path("import/jobs/<int:pk>/status/", import_jobs.import_job_status, name="import-job-status"),
    path("import/jobs/<int:pk>/confirm/", import_jobs.import_job_confirm_view, name="import-job-confirm"),
    path("import/template.csv", views.import_template, name="import-template"),
    path("import/template/", views.unit_template, name="unit-template"),
    path("measurements/export.csv", views.export_csv, name="export"),
    path("measurements/export.xlsx", views.export_xlsx, name="export-xlsx"),
    path("partnerships/", views.my_partnerships, name="partnerships"),
    path("targets/proposals/", catchball.proposals, name="proposals"),
    path("targets/proposals/<int:pk>/<str:action>/", catchball.proposal_act, name="proposal-act"),
]
