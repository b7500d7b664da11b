from rest_framework.routers import SimpleRouter

from partners.api import views

router = SimpleRouter()
router.register("partners", views.PartnerViewSet, basename="partner")
router.register("partnerships", views.PartnershipViewSet, basename="partnership")
router.register("assessments", views.MaturityAssessmentViewSet, basename="assessment")
router.register("reviews", views.BusinessReviewViewSet, basename="review")
router.register("review-actions", views.ReviewActionViewSet, basename="review-action")
router.register("enablement-items", views.EnablementItemViewSet, basename="enablement-item")

urlpatterns = router.urls
