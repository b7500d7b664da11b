from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from governance import views

urlpatterns = [
    path("", views.home, name="home"),
    path("org/", views.org_structure, name="org-structure"),
    path("history/<slug:slug>/<int:pk>/", views.object_history_page, name="object-history"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("governance.api.urls")),
    path("partners/", include("partners.urls")),
    path("kpis/", include("kpis.urls")),
    path("decisions/", include("decisions.urls")),
]

handler400 = "governance.views.bad_request"
handler403 = "governance.views.permission_denied"
