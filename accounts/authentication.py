from rest_framework import authentication, exceptions

from accounts import selectors, services


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer <key>``: a token bound to one user in one organization."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if not header or header[0].lower() != self.keyword.lower():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                "The Authorization header must be 'Bearer <token>'.", code="invalid_token"
            )
        token = selectors.api_token_by_key(header[1])
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed(
                "This API token is not valid or has been revoked.", code="invalid_token"
            )
        services.api_token_touch(token=token)
        return token.user, token

    def authenticate_header(self, request):
        return self.keyword
