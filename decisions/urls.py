from django.urls import path

from decisions import views

app_name = "decisions"
urlpatterns = [
    path("", views.index, name="index"),
    path("queue/", views.queue, name="queue"),
    path("list/", views.decision_list, name="list"),
    path("new/", views.log_decision, name="log"),
    path("new/preview/", views.routing_preview, name="preview"),
    path("<int:pk>/", views.decision_detail, name="detail"),
    path("<int:pk>/<str:action>/", views.decision_act, name="act"),
    path("matrix/", views.matrix_editor, name="matrix"),
    path("matrix/check/", views.matrix_check, name="matrix-check"),
    path("matrix/publish/", views.matrix_publish, name="matrix-publish"),
    path("analytics/", views.analytics, name="analytics"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_mark_read, name="notifications-read"),
]
