"""/api/v1/: the governance resources plus each app's router (``<app>/api/urls.py``)."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from governance.api import views

router = DefaultRouter()
router.register("org-units", views.OrgUnitViewSet, basename="orgunit")
router.register("functions", views.FunctionViewSet, basename="function")
router.register("users", views.UserViewSet, basename="user")

urlpatterns = [
    path("auth/token/", views.TokenView.as_view(), name="api-token"),
    path("auth/tokens/", views.TokenListView.as_view(), name="api-tokens"),
    path("auth/tokens/<str:key>/", views.TokenDetailView.as_view(), name="api-token-detail"),
    path("history/<slug:kind>/<int:pk>/", views.ObjectHistoryView.as_view(), name="api-object-history"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's init script from a URL (no inline script: CSP-friendly).
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("partners.api.urls")),
    path("", include("kpis.api.urls")),
    path("", include("decisions.api.urls")),
    path("", include(router.urls)),
]
