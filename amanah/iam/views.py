"""Thin views: parse, call a service or selector, render."""

from __future__ import annotations

import io
import time

import qrcode
import qrcode.image.svg
from django.contrib.auth import login, logout
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from amanah.core.actors import declared_actors
from amanah.core.permissions import PUBLIC, SIGNED_IN, catalogue
from amanah.core.roles import RoleKey
from amanah.core.view_helpers import Done, render_fragment, run_action, submit_form
from amanah.core.views import requires
from amanah.iam import selectors, services
from amanah.iam.forms import (
    ALL_BANK,
    ApiTokenForm,
    BranchForm,
    LoginForm,
    PasswordForm,
    ReasonForm,
    TokenForm,
    UserForm,
)
from amanah.iam.models import Branch, User
from amanah.iam.policies import (
    BRANCH_MANAGE,
    BRANCH_VIEW,
    PII_REVEAL,
    RBAC_MANAGE,
    TOKEN_MANAGE,
    USER_MANAGE,
)

# --------------------------------------------------------------------------- sign-in


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return fallback


@requires(PUBLIC, mfa_exempt=True)
def login_view(request):
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.auth_login(
                username=form.cleaned_data["username"], password=form.cleaned_data["password"]
            )
        except services.LoginRefused:
            # One message for every cause: it must not tell which usernames exist.
            form.add_error(None, _("Nama pengguna atau kata sandi salah, atau akun terkunci."))
        else:
            login(request, user)  # rotates the session id
            now = time.time()
            request.session.update(
                {"auth_at": now, "seen_at": now, "active_role": user.active_role}
            )
            if services.mfa_required(user):
                return redirect(f"{reverse('iam:mfa')}?next={_safe_next(request, '')}")
            return redirect(_safe_next(request, reverse("core:home")))
    return render(request, "iam/login.html", {"form": form, "next": request.GET.get("next", "")})


@requires(SIGNED_IN, mfa_exempt=True)
@require_POST
def logout_view(request):
    services.auth_logout(actor=request.user)
    logout(request)
    return redirect("iam:login")


def _qr_svg(url: str) -> str:
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue().decode()


@requires(SIGNED_IN, mfa_exempt=True)
def mfa_view(request):
    """Verify the second factor; enrol one first if the user has none yet."""
    user = request.user
    confirmed = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    form = TokenForm(request.POST or None)
    device = None
    if not confirmed:
        device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
        if device is None:
            device = services.mfa_enrol_start(actor=user)

    def submit(data):
        token = data["token"]
        if confirmed:
            verified = services.mfa_verify(actor=user, token=token)
        else:
            verified = services.mfa_enrol_confirm(actor=user, device=device, token=token)
        otp_login(request, verified)
        request.session.cycle_key()  # privilege raised: new session id
        return Done(_safe_next(request, reverse("core:home")))

    context = {"enrolling": not confirmed, "next": request.GET.get("next", "")}
    if device is not None and not confirmed:
        context.update(qr_svg=_qr_svg(device.config_url), secret=_base32(device))
    return submit_form(request, form, submit, template="iam/mfa.html", context=context)


def _base32(device: TOTPDevice) -> str:
    import base64

    return base64.b32encode(device.bin_key).decode()


# --------------------------------------------------------------------------- own profile


@requires(SIGNED_IN)
def profile_view(request):
    return render(request, "iam/profile.html", {"roles": request.user.role_keys()})


@requires(SIGNED_IN)
@require_POST
def role_switch_view(request):

    def switch():
        role = services.role_switch(actor=request.user, role=request.POST.get("role", ""))
        request.session["active_role"] = role
        return _("Peran aktif sekarang: %s") % RoleKey(role).label

    return run_action(request, switch, back=reverse("core:home"))


# --------------------------------------------------------------------------- users (ADMIN)


@requires(USER_MANAGE)
def user_list(request):
    users = selectors.user_list(actor=request.user, search=request.GET.get("q", ""))
    return render(request, "iam/user_list.html", {"users": users, "q": request.GET.get("q", "")})


def _user_form_initial(user: User) -> dict:
    scopes = list(user.branch_scopes.all())
    until = next((s.active_to for s in scopes if s.active_to), None)
    return {
        "username": user.username,
        "full_name": user.full_name,
        "home_branch": user.home_branch_id,
        "roles": user.role_keys(),
        "scope_branches": [str(s.branch_id) if s.branch_id else ALL_BANK for s in scopes],
        "scope_until": until.date() if until else None,
    }


@requires(USER_MANAGE)
def user_create(request):
    branches = Branch.objects.visible_to(request.user)
    form = UserForm(request.POST or None, branches=branches, creating=True)

    def submit(data):
        user = services.user_create(
            actor=request.user,
            username=data["username"],
            full_name=data["full_name"],
            email=data["email"],
            password=data["password"],
            home_branch=data["home_branch"],
            roles=data["roles"],
            scopes=form.scopes(),
        )
        return Done(_user_url(user), _("Pengguna %s dibuat.") % user.username)

    return submit_form(
        request, form, submit, template="iam/user_form.html", context={"creating": True}
    )


def _user_url(user: User) -> str:
    return reverse("iam:user_edit", kwargs={"user_id": user.pk})


@requires(USER_MANAGE)
def user_edit(request, user_id):
    user = get_object_or_404(User.objects.visible_to(request.user), pk=user_id)
    branches = Branch.objects.visible_to(request.user)
    form = UserForm(
        request.POST or None, branches=branches, creating=False, initial=_user_form_initial(user)
    )

    def submit(data):
        services.user_update(
            actor=request.user,
            user=user,
            full_name=data["full_name"],
            email=data["email"] or None,  # blank keeps the (masked) address
            home_branch=data["home_branch"],
            roles=data["roles"],
            scopes=form.scopes(),
        )
        return Done(_user_url(user), _("Perubahan disimpan."))

    context = {
        "subject": user,
        "masked_email": services.masked(user, "email"),
        "reason_form": ReasonForm(),
        "password_form": PasswordForm(),
        "token_form": ApiTokenForm(initial={"role": services.default_role(user)}),
        "tokens": user.api_tokens.select_related("role"),
    }
    return submit_form(request, form, submit, template="iam/user_form.html", context=context)


def _user_action(request, user_id, action):
    user = get_object_or_404(User.objects.visible_to(request.user), pk=user_id)
    return run_action(request, lambda: action(user), back=_user_url(user))


@requires(USER_MANAGE)
@require_POST
def user_disable(request, user_id):
    def disable(user):
        services.user_disable(actor=request.user, user=user, reason=request.POST.get("reason", ""))
        return _("Pengguna dinonaktifkan; semua sesinya berakhir.")

    return _user_action(request, user_id, disable)


@requires(USER_MANAGE)
@require_POST
def user_enable(request, user_id):
    def enable(user):
        services.user_enable(actor=request.user, user=user)
        return _("Pengguna diaktifkan kembali.")

    return _user_action(request, user_id, enable)


@requires(USER_MANAGE)
@require_POST
def user_password(request, user_id):
    def reset(user):
        services.user_password_set(
            actor=request.user, user=user, password=request.POST.get("password", "")
        )
        return _("Kata sandi diganti; pengguna harus mendaftarkan MFA lagi bila perlu.")

    return _user_action(request, user_id, reset)


@requires(PII_REVEAL)
@require_POST
def user_reveal_email(request, user_id):
    """The address in clear, swapped in place; a refusal takes its place with its status."""
    form = ReasonForm(request.POST)

    def open_email():
        user = get_object_or_404(User.objects.visible_to(request.user), pk=user_id)
        reason = form.cleaned_data["reason"]
        value = services.field_reveal(actor=request.user, obj=user, field="email", reason=reason)
        return {"subject": user, "value": value}

    return render_fragment(
        request,
        open_email,
        template="iam/reveal.html",
        form=form,
        invalid=_("Tuliskan alasan (minimal 10 karakter)."),
    )


@requires(TOKEN_MANAGE)
@require_POST
def token_create(request, user_id):
    """The new token is shown once on a page of its own; a refusal goes back to the user."""
    user = get_object_or_404(User.objects.visible_to(request.user), pk=user_id)
    form = ApiTokenForm(request.POST)

    def create():
        token, raw = services.api_token_create(actor=request.user, user=user, **form.cleaned_data)
        context = {"subject": user, "token": token, "raw": raw}
        return render(request, "iam/token_created.html", context)

    return run_action(
        request, create, back=_user_url(user), form=form, invalid=_("Data token tidak lengkap.")
    )


@requires(TOKEN_MANAGE)
@require_POST
def token_revoke(request, user_id, token_id):
    user = get_object_or_404(User.objects.visible_to(request.user), pk=user_id)
    token = get_object_or_404(user.api_tokens, pk=token_id)

    def revoke():
        services.api_token_revoke(actor=request.user, token=token)
        return _("Token dicabut.")

    return run_action(request, revoke, back=_user_url(user))


# --------------------------------------------------------------------------- branches


@requires(BRANCH_MANAGE)
def branch_list(request):
    return render(
        request, "iam/branch_list.html", {"branches": Branch.objects.visible_to(request.user)}
    )


@requires(BRANCH_MANAGE)
def branch_edit(request, branch_id=None):
    branch = None
    if branch_id is not None:
        branch = get_object_or_404(Branch.objects.visible_to(request.user), pk=branch_id)
    initial = (
        {"code": branch.code, "name": branch.name, "timezone": branch.timezone} if branch else None
    )
    form = BranchForm(request.POST or None, initial=initial)

    def submit(data):
        services.branch_save(
            actor=request.user,
            branch=branch,
            code=data["code"],
            name=data["name"],
            timezone_name=data["timezone"],
        )
        return Done(reverse("iam:branch_list"), _("Cabang disimpan."))

    return submit_form(
        request, form, submit, template="iam/branch_form.html", context={"branch": branch}
    )


@requires(BRANCH_VIEW)
def my_branches(request):
    return render(
        request, "iam/my_branches.html", {"branches": Branch.objects.visible_to(request.user)}
    )


@requires(BRANCH_VIEW)
def branch_detail(request, branch_id):
    branch = get_object_or_404(Branch.objects.visible_to(request.user), pk=branch_id)
    return render(
        request,
        "iam/branch_detail.html",
        {"branch": branch, "team": selectors.branch_team(actor=request.user, branch=branch)},
    )


# --------------------------------------------------------------------------- permission matrix


@requires(RBAC_MANAGE)
def matrix_view(request):
    if request.method == "POST":
        grants = {
            tuple(cell.split("|", 1)) for cell in request.POST.getlist("grant") if "|" in cell
        }

        def save():
            changes = services.rbac_matrix_save(actor=request.user, grants=grants)
            return _("Matriks disimpan: %(g)d izin diberikan, %(r)d dicabut.") % {
                "g": len(changes["granted"]),
                "r": len(changes["revoked"]),
            }

        return run_action(request, save, back=reverse("iam:matrix"))
    granted = selectors.matrix()
    rows = [
        {
            "permission": perm,
            "cells": [
                (role, f"{role.value}|{code}", (role.value, code) in granted) for role in RoleKey
            ],
        }
        for code, perm in catalogue().items()
    ]
    permissions = catalogue()
    actors = [
        {"actor": actor, "permissions": [permissions[code] for code in actor.permissions]}
        for actor in declared_actors()
    ]
    return render(
        request, "iam/matrix.html", {"roles": list(RoleKey), "rows": rows, "actors": actors}
    )
