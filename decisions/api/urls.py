from django.urls import path
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
    path("partnerships/<int:pk>/commitments/", PartnershipCommitmentsView.as_view(), name="partnership-commitments"),
    *router.urls,
]
