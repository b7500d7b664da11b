from django.urls import path
from django.views.generic import RedirectView

from partners import views

app_name = "partners"
urlpatterns = [
    path("", views.directory, name="directory"),
    path("<int:pk>/", views.partner_detail, name="partner"),
    path("portal/", views.portal, name="portal"),
    # The named benchmark grid moved above the KPIs (issue 21); old links and bookmarks still work.
    path("benchmarks/", RedirectView.as_view(pattern_name="kpis:benchmarks", query_string=True, permanent=True),
         name="benchmarks"),
    path("actions/", views.my_actions, name="my-actions"),
    path("actions/<int:pk>/status/", views.action_status, name="action-status"),
    path("enablement/<int:pk>/done/", views.enablement_done, name="enablement-done"),
    path("enablement/<int:pk>/edit/", views.enablement_edit, name="enablement-edit"),
    path("enablement/<int:pk>/archive/", views.enablement_archive, name="enablement-archive"),
    path("partnerships/<int:pk>/enablement/new/", views.enablement_new, name="enablement-new"),
    path("partnerships/<int:pk>/", views.partnership_detail, name="partnership"),
    path("partnerships/<int:pk>/assess/", views.assess, name="assess"),
    path("partnerships/<int:pk>/reviews/new/", views.review_new, name="review-new"),
    path("partnerships/<int:pk>/share/", views.share, name="share"),
    path("reviews/<int:pk>/", views.review_detail, name="review"),
]
