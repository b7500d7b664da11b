from rest_framework.routers import SimpleRouter

from kpis.api import views

router = SimpleRouter()
router.register("kpis", views.KPIViewSet, basename="kpi")
router.register("targets", views.TargetViewSet, basename="target")
router.register("measurements", views.MeasurementViewSet, basename="measurement")
router.register("scorecards", views.ScorecardViewSet, basename="scorecard")
router.register("objectives", views.ObjectiveViewSet, basename="objective")

urlpatterns = router.urls
