from amanah.core.navigation import visible_items


def navigation(request):
    """The menu for a fully signed-in user; nothing before the second factor is done."""
    from amanah.iam.services import mfa_required

    user = getattr(request, "user", None)
    signed_in = (
        user is not None
        and user.is_authenticated
        and getattr(user, "active_role", "")
        and (user.is_verified() or not mfa_required(user))
    )
    if not signed_in:
        return {"shell": False, "nav_main": [], "nav_admin": []}
    items = visible_items(user)
    return {
        "shell": True,
        "nav_main": [i for i in items if i.section == "main"],
        "nav_admin": [i for i in items if i.section == "admin"],
    }
