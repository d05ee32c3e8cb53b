from amanah.core.navigation import visible_items


def _fully_signed_in(user) -> bool:
    """A session user past the second factor. Any user object may arrive here — an API-token
    user, an anonymous one, or none at all on an early error page — so nothing is assumed."""
    from amanah.iam.services import mfa_required

    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if not getattr(user, "active_role", ""):
        return False
    is_verified = getattr(user, "is_verified", None)
    verified = bool(is_verified()) if callable(is_verified) else False
    return verified or not mfa_required(user)


def navigation(request):
    """The menu for a fully signed-in user; nothing before the second factor is done."""
    if not _fully_signed_in(getattr(request, "user", None)):
        return {"shell": False, "nav_main": [], "nav_admin": []}
    items = visible_items(request.user)
    return {
        "shell": True,
        "nav_main": [i for i in items if i.section == "main"],
        "nav_admin": [i for i in items if i.section == "admin"],
    }
