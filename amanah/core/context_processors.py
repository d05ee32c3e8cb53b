from amanah.core import access
from amanah.core.navigation import menu


def navigation(request):
    """The menu for a fully signed-in user; nothing before the second factor is done."""
    if not access.session_complete(getattr(request, "user", None)):
        return {"shell": False, "nav_main": [], "nav_admin": [], "nav_profile": []}
    entries = menu(request.user)
    return {
        "shell": True,
        "nav_main": [e for e in entries if e.item.section == "main"],
        "nav_admin": [e for e in entries if e.item.section == "admin"],
        "nav_profile": [e for e in entries if e.item.section == "profile"],
    }
