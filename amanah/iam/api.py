from uuid import UUID

from ninja import Router, Schema

from amanah.core.api import permission
from amanah.core.policies import HOME_VIEW
from amanah.iam import authz
from amanah.iam.models import Branch
from amanah.iam.policies import BRANCH_VIEW

router = Router(tags=["iam"])


class MeOut(Schema):
    username: str
    full_name: str
    active_role: str
    permissions: list[str]
    all_branches: bool
    branch_ids: list[UUID]


class BranchOut(Schema):
    id: UUID
    code: str
    name: str
    timezone: str


@router.get("/me", response=MeOut, **permission(HOME_VIEW))
def me(request):
    """Who the token acts as: user, role, permissions and branch scope."""
    actor = request.auth
    scope = authz.branch_scope(actor)
    return {
        "username": actor.username,
        "full_name": actor.full_name,
        "active_role": actor.active_role,
        "permissions": sorted(authz.permissions_of(actor)),
        "all_branches": scope.all_branches,
        "branch_ids": sorted(scope.branch_ids, key=str),
    }


@router.get("/branches", response=list[BranchOut], **permission(BRANCH_VIEW))
def branches(request):
    """Branches inside the caller's scope."""
    return list(Branch.objects.visible_to(request.auth))


@router.get("/branches/{branch_id}", response=BranchOut, **permission(BRANCH_VIEW))
def branch(request, branch_id: UUID):
    """One branch; 404 when it is missing or outside the caller's scope."""
    from django.shortcuts import get_object_or_404

    return get_object_or_404(Branch.objects.visible_to(request.auth), pk=branch_id)
