from django.urls import path

from partners import views

app_name = "partners"
urlpatterns = [
    path("", views.directory, name="directory"),
    path("<int:pk>/", views.partner_detail, name="partner"),
    path("portal/", views.portal, name="portal"),
    path("benchmarks/", views.benchmarks, name="benchmarks"),
    path("actions/", views.my_actions, name="my-actions"),
    path("actions/<int:pk>/status/", views.action_status, name="action-status"),
    path("enablement/<int:pk>/done/", views.enablement_done, name="enablement-done"),
    path("partnerships/<int:pk>/", views.partnership_detail, name="partnership"),
    path("partnerships/<int:pk>/assess/", views.assess, name="assess"),
    path("partnerships/<int:pk>/reviews/new/", views.review_new, name="review-new"),
    path("partnerships/<int:pk>/share/", views.share, name="share"),
    path("reviews/<int:pk>/", views.review_detail, name="review"),
]
