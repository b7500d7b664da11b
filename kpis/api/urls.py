from django.urls import re_path
from rest_framework.routers import SimpleRouter

from kpis.api import views
from kpis.benchmarks.api import PartnershipBenchmarksView
from kpis.catchball.api import TargetProposalViewSet

router = SimpleRouter()
router.register("kpis", views.KPIViewSet, basename="kpi")
# Before "targets": its detail route would otherwise take "proposals" for a target's id.
router.register("targets/proposals", TargetProposalViewSet, basename="target-proposal")
router.register("targets", views.TargetViewSet, basename="target")
router.register("measurements", views.MeasurementViewSet, basename="measurement")
router.register("scorecards", views.ScorecardViewSet, basename="scorecard")
router.register("import-jobs", views.ImportJobViewSet, basename="import-job")
router.register("objectives", views.ObjectiveViewSet, basename="objective")

urlpatterns = [
    # The id as the partnership router matches it: a non-number answers the API's JSON 404, not Django's page.
    re_path(r"^partnerships/(?P<pk>[^/.]+)/benchmarks/$", PartnershipBenchmarksView.as_view(),
            name="partnership-benchmarks"),
    *router.urls,
]
