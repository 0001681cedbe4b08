from accounts.tenancy import no_scope, system_scope

ADMIN_PREFIX = "/admin/"


class TenancyResetMiddleware:
    """Every request starts with no tenant visible and ends restoring that state.

    API views then choose their organization (accounts.api.base). Staff in the
    admin see every organization: that is the admin's explicit bypass.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        scope = system_scope if self._is_staff_in_admin(request) else no_scope
        with scope():
            return self.get_response(request)

    @staticmethod
    def _is_staff_in_admin(request) -> bool:
        return (
            request.path.startswith(ADMIN_PREFIX)
            and getattr(request, "user", None) is not None
            and request.user.is_staff
        )
