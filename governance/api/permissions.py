"""Role-based write permission. Reads are governed by scoped querysets, not by this class."""

from rest_framework.permissions import SAFE_METHODS, BasePermission


class RoleWritePermission(BasePermission):
    """Authenticated users may read (what their scoped queryset returns); writes need a role in
    the view's ``write_roles`` (default: admins only). Anonymous requests get 401."""

    message = "Your role may not make this change."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        if request.method in SAFE_METHODS:
            return True
        if user.is_admin:
            return True
        write_roles = getattr(view, "write_roles", ())
        action_roles = getattr(view, "action_write_roles", {}).get(getattr(view, "action", None))
        allowed = action_roles if action_roles is not None else write_roles
        return user.role in allowed


class AdminOnly(BasePermission):
    """For endpoints only admins may read at all."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_active and user.is_admin)
