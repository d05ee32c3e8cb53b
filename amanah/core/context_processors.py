from amanah.core import access
from amanah.core.navigation import visible_items


def navigation(request):
    """The menu for a fully signed-in user; nothing before the second factor is done."""
    if not access.session_complete(getattr(request, "user", None)):
        return {"shell": False, "nav_main": [], "nav_admin": [], "nav_profile": []}
    items = visible_items(request.user)
    return {
        "shell": True,
        "nav_main": [i for i in items if i.section == "main"],
        "nav_admin": [i for i in items if i.section == "admin"],
        "nav_profile": [i for i in items if i.section == "profile"],
    }
