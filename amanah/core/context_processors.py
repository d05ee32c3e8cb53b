from amanah.core.navigation import visible_items


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not getattr(user, "active_role", ""):
        return {"nav_main": [], "nav_admin": []}
    items = visible_items(user)
    return {
        "nav_main": [i for i in items if i.section == "main"],
        "nav_admin": [i for i in items if i.section == "admin"],
    }
