from django.urls import path, re_path
from rest_framework.routers import SimpleRouter

from decisions.api import views
from decisions.commitments.api import PartnershipCommitmentsView

router = SimpleRouter()
router.register("decision-types", views.DecisionTypeViewSet, basename="decisiontype")
router.register("matrix-versions", views.MatrixVersionViewSet, basename="matrixversion")
router.register("decisions", views.DecisionViewSet, basename="decision")
router.register("notifications", views.NotificationViewSet, basename="notification")

urlpatterns = [
    path("decision-analytics/", views.DecisionAnalyticsView.as_view(), name="decision-analytics"),
    # The id as the partnership router matches it: a non-number answers the API's JSON 404, not Django's page.
    re_path(r"^partnerships/(?P<pk>[^/.]+)/commitments/$", PartnershipCommitmentsView.as_view(),
            name="partnership-commitments"),
    *router.urls,
]
