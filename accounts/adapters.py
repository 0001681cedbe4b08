from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    """Accounts are created by checkout, never by signing up here."""

    def is_open_for_signup(self, request) -> bool:
        return False
