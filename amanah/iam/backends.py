from django.contrib.auth.backends import BaseBackend

from amanah.iam.models import User


class SessionUserBackend(BaseBackend):
    """Loads the signed-in user for each request (with the home branch, for its time zone, and
    the roles: the middleware, the MFA check and the menu each ask for them, one query serves
    the request; ``authz.forget`` drops them with the other per-request caches).

    Credentials are never checked here: sign-in goes through ``iam.services.auth_login``,
    which also handles lockout and audit.
    """

    def get_user(self, user_id):
        user = (
            User.objects.select_related("home_branch")
            .prefetch_related("user_roles")
            .filter(pk=user_id)
            .first()
        )
        return user if user is not None and user.is_active else None
