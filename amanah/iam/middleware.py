"""Session limits, the active role, and the second factor for privileged users."""

from __future__ import annotations

import time
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.functional import LazyObject, empty
from django.utils.translation import gettext as _

from amanah.iam import services

SEEN_WRITE_INTERVAL = 60  # seconds; avoids a session write on every request


class ConcreteUserMiddleware:
    """Replaces ``request.user`` by the user object itself, once per request.

    Django's authentication and django-otp each wrap the user in a ``SimpleLazyObject`` (OTP's
    around auth's), so every attribute read of the actor went through two proxies — a few
    thousand reads on a 360 page, measurable under load. Every request reads the user anyway
    (the session limits below), so resolving it here costs nothing; what OTP attaches
    (``otp_device``, ``is_verified``) is on the object itself."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        while isinstance(user, LazyObject):
            if user._wrapped is empty:
                user._setup()
            user = user._wrapped
        request.user = user
        return self.get_response(request)


class SessionTimeoutMiddleware:
    """Ends sessions idle for SESSION_IDLE_SECONDS or older than SESSION_ABSOLUTE_SECONDS."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated:
            now = time.time()
            started = request.session.get("auth_at", now)
            seen = request.session.get("seen_at", now)
            if (
                now - seen > settings.SESSION_IDLE_SECONDS
                or now - started > settings.SESSION_ABSOLUTE_SECONDS
            ):
                user.active_role = request.session.get("active_role", "")
                services.auth_logout(actor=user, reason="timeout")
                logout(request)
                messages.info(request, _("Sesi Anda berakhir. Silakan masuk kembali."))
                return redirect(settings.LOGIN_URL)
            if now - seen > SEEN_WRITE_INTERVAL:
                request.session["seen_at"] = now
        return self.get_response(request)


class ActorMiddleware:
    """Attaches the active role kept in the session (falling back to the user's first role)
    and shows times in the user's branch time zone (WIB/WITA/WIT)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated:
            held = user.role_keys()
            role = request.session.get("active_role")
            if role not in held:
                role = held[0] if held else ""
                request.session["active_role"] = role
            user.active_role = role
        if user.is_authenticated and user.home_branch_id:
            timezone.activate(ZoneInfo(user.home_branch.timezone))
        else:
            timezone.deactivate()
        return self.get_response(request)


class MfaRequiredMiddleware:
    """Users holding a privileged role reach nothing but the MFA pages until verified."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and not user.is_verified()
            and services.mfa_required(user)
            and not self._exempt(request)
        ):
            return redirect(reverse("iam:mfa"))
        return self.get_response(request)

    @staticmethod
    def _exempt(request) -> bool:
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return False
        return getattr(match.func, "mfa_exempt", False)
