from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, reverse_lazy

from governance import views
from governance.account import QueuedPasswordResetForm


def _reset_page(step: str) -> dict:
    """The password-reset views share one page (a card, signed in or not); ``step`` picks its body."""
    return {"template_name": "account/password_reset_page.html", "extra_context": {"step": step}}


urlpatterns = [
    path("", views.home, name="home"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("org/", views.org_structure, name="org-structure"),
    path("history/<slug:slug>/<int:pk>/", views.object_history_page, name="object-history"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/", views.account, name="account"),
    path("accounts/tokens/revoke-all/", views.account_tokens_revoke_all, name="account-tokens-revoke-all"),
    path("accounts/tokens/<str:key>/revoke/", views.account_token_revoke, name="account-token-revoke"),
    path("accounts/password/", auth_views.PasswordChangeView.as_view(
        template_name="account/password_change.html", success_url=reverse_lazy("password-change-done")),
        name="password-change"),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(
        template_name="account/password_change_done.html"), name="password-change-done"),
    path("accounts/password/reset/", auth_views.PasswordResetView.as_view(
        form_class=QueuedPasswordResetForm, success_url=reverse_lazy("password-reset-done"),
        **_reset_page("request")), name="password-reset"),
    path("accounts/password/reset/sent/", auth_views.PasswordResetDoneView.as_view(**_reset_page("sent")),
         name="password-reset-done"),
    path("accounts/reset/<uidb64>/<token>/", auth_views.PasswordResetConfirmView.as_view(
        success_url=reverse_lazy("password-reset-complete"), **_reset_page("confirm")), name="password-reset-confirm"),
    path("accounts/reset/done/", auth_views.PasswordResetCompleteView.as_view(**_reset_page("complete")),
         name="password-reset-complete"),
    path("accounts/time-zone/", views.time_zone, name="time-zone"),
    path("accounts/notifications/", views.notification_settings, name="notification-settings"),
    path("manage/", include("governance.manage.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("governance.api.urls")),
    path("partners/", include("partners.urls")),
    path("kpis/", include("kpis.urls")),
    path("decisions/", include("decisions.urls")),
    path("reports/", include("reports.urls")),
]

handler400 = "governance.views.bad_request"
handler403 = "governance.views.permission_denied"
