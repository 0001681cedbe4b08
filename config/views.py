"""Django's error views: JSON under /api/, Django's own pages elsewhere."""

from django.views import defaults

from config.api import errors


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def bad_request(request, exception=None):
    return errors.json_bad_request(request) if _is_api(request) else defaults.bad_request(request, exception)


def permission_denied(request, exception=None):
    return (
        errors.json_permission_denied(request) if _is_api(request) else defaults.permission_denied(request, exception)
    )


def not_found(request, exception=None):
    return errors.json_not_found(request) if _is_api(request) else defaults.page_not_found(request, exception)


def server_error(request):
    return errors.json_server_error(request) if _is_api(request) else defaults.server_error(request)
