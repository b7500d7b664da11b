from django.urls import path

from decisions.views import analytics, forums, matrix, pages, review_links

app_name = "decisions"
urlpatterns = [
    path("", pages.index, name="index"),
    path("queue/", pages.queue, name="queue"),
    path("list/", pages.decision_list, name="list"),
    path("new/", pages.log_decision, name="log"),
    path("new/preview/", pages.routing_preview, name="preview"),
    path("filters/save/", pages.saved_filter_save, name="filter-save"),
    path("filters/<int:pk>/delete/", pages.saved_filter_delete, name="filter-delete"),
    path("review-actions/<int:pk>/links/", review_links.action_links, name="action-links"),
    path("forums/", forums.forum_list, name="forums"),
    path("forums/<int:pk>/", forums.forum_agenda, name="forum"),
    path("<int:pk>/", pages.decision_detail, name="detail"),
    path("<int:pk>/edit/", pages.decision_edit, name="edit"),
    path("<int:pk>/revise/", pages.decision_revise, name="revise"),
    path("<int:pk>/<str:action>/", pages.decision_act, name="act"),
    path("matrix/", matrix.matrix_editor, name="matrix"),
    path("matrix/check/", matrix.matrix_check, name="matrix-check"),
    path("matrix/publish/", matrix.matrix_publish, name="matrix-publish"),
    path("matrix/draft/discard/", matrix.matrix_draft_discard, name="matrix-discard"),
    path("matrix/merge/", matrix.matrix_merge, name="matrix-merge"),
    path("matrix/versions/", matrix.matrix_versions, name="matrix-versions"),
    path("matrix/versions/<int:number>/", matrix.matrix_version, name="matrix-version"),
    path("matrix/versions/<int:number>/copy/", matrix.matrix_version_copy, name="matrix-version-copy"),
    path("matrix/versions/<int:number>/cancel/", matrix.matrix_version_cancel, name="matrix-version-cancel"),
    path("matrix/diff/", matrix.matrix_diff, name="matrix-diff"),
    path("analytics/", analytics.analytics, name="analytics"),
    path("notifications/", analytics.notifications, name="notifications"),
    path("notifications/read/", analytics.notifications_mark_read, name="notifications-read"),
]
