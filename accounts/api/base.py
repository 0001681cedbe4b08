"""The first wall: every API request works inside exactly one organization.

The organization comes from the API token (bound to one) or, for a session,
from the ``X-Organization`` header (id or slug) among the user's memberships,
defaulting to the only one. Views built on these classes start every queryset
from that organization, save it on create, and run with the database's
row-level security set to it for the whole request.
"""

from contextlib import ExitStack

from rest_framework import exceptions, mixins, permissions, status, viewsets
from rest_framework.views import APIView

from accounts import selectors
from accounts.models import ApiToken, Membership
from accounts.roles import Permission
from accounts.tenancy import organization_scope
from config.api.errors import ApiError

ORGANIZATION_HEADER = "X-Organization"


def _organization_error(message: str) -> ApiError:
    return ApiError(status.HTTP_403_FORBIDDEN, "organization_forbidden", message)


def resolve_membership(request) -> Membership:
    """The membership the request acts through; raises a clear 4xx when there is none."""
    reference = request.headers.get(ORGANIZATION_HEADER, "").strip()
    if isinstance(request.auth, ApiToken):
        token = request.auth
        if reference and reference not in (str(token.organization_id), token.organization.slug):
            raise _organization_error("This API token belongs to another organization than X-Organization names.")
        membership = token.membership
        if membership is None:
            raise _organization_error("The owner of this API token is no longer a member of its organization.")
        return membership
    if reference:
        membership = selectors.membership_for_reference(request.user, reference)
        if membership is None:
            raise _organization_error(f"You are not a member of an organization “{reference[:60]}”.")
        return membership
    memberships = selectors.memberships_of_user(request.user)
    if len(memberships) == 1:
        return memberships[0]
    if not memberships:
        raise _organization_error("You are not a member of any organization.")
    raise ApiError(
        status.HTTP_400_BAD_REQUEST,
        "organization_required",
        f"You belong to several organizations: name one in the {ORGANIZATION_HEADER} header (id or slug).",
    )


class HasOrganizationPermission(permissions.BasePermission):
    """Reads need ``view.read_permission``, writes ``view.write_permission``, per accounts.roles."""

    def has_permission(self, request, view) -> bool:
        membership = getattr(request, "membership", None)
        if membership is None:
            return False
        reading = request.method in permissions.SAFE_METHODS
        needed = view.read_permission if reading else view.write_permission
        if not reading and view.subscription_required and selectors.organization_is_read_only(membership.organization):
            raise ApiError(
                status.HTTP_402_PAYMENT_REQUIRED,
                "subscription_inactive",
                "This business's subscription is canceled or unpaid, so its data is read-only until billing is sorted out.",
            )
        if not membership.has_perm(needed):
            raise exceptions.PermissionDenied(
                f"Your role ({membership.get_role_display()}) does not allow this.", code="role_forbidden"
            )
        return True


def _forget_renderer_context(response):
    response.renderer_context.pop("response", None)


class OrganizationAPIView(APIView):
    """Base of every API view that works on one organization's data."""

    permission_classes = [permissions.IsAuthenticated, HasOrganizationPermission]
    read_permission = Permission.RECORDS_VIEW
    write_permission = Permission.RECORDS_CHANGE
    # Writes stop when the subscription lapses; views that must keep working (paying, tokens) say False.
    subscription_required = True

    def dispatch(self, request, *args, **kwargs):
        # The scope lives as long as the view's work, and is reset even on errors.
        with ExitStack() as self.tenancy:
            response = super().dispatch(request, *args, **kwargs)
        # DRF leaves two reference cycles around a response (the view keeps it, and its renderer
        # context names it): the whole answer (600 free slots are 1,300 objects) then waited
        # for the garbage collector, whose pass freed a few dozen requests' answers at once, a
        # 20 ms pause every few dozen requests. Without them it is freed as soon as it is sent.
        del self.response
        if hasattr(response, "add_post_render_callback"):
            response.add_post_render_callback(_forget_renderer_context)
        return response

    def initial(self, request, *args, **kwargs):
        self.perform_authentication(request)
        if request.user.is_authenticated:
            membership = resolve_membership(request)
            request.membership = membership
            request.organization = membership.organization
            request._request.organization = membership.organization
            self.tenancy.enter_context(organization_scope(membership.organization_id))
        super().initial(request, *args, **kwargs)


class OrganizationViewSetMixin:
    """Start every query from the request's organization; save it on create.

    DRF's mixins go after the Organization* bases (``class V(OrganizationGenericViewSet,
    mixins.CreateModelMixin)``) so that this class's methods win.
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # DRF's CreateModelMixin listed before this class would win and save no organization.
        if cls.perform_create is mixins.CreateModelMixin.perform_create:
            raise TypeError(
                f"{cls.__name__}: list DRF's mixins after the Organization* base, or define perform_create."
            )

    def get_queryset(self):
        return super().get_queryset().filter(organization=self.request.organization)

    def perform_create(self, serializer):
        serializer.save(organization=self.request.organization)


class OrganizationGenericViewSet(OrganizationViewSetMixin, OrganizationAPIView, viewsets.GenericViewSet):
    pass


class OrganizationModelViewSet(
    OrganizationGenericViewSet,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    mixins.ListModelMixin,
):
    pass


class OrganizationReadOnlyViewSet(OrganizationGenericViewSet, mixins.RetrieveModelMixin, mixins.ListModelMixin):
    pass
