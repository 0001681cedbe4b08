"""Pages served to business owners and their teams: signing in by magic link."""

urlpatterns: list = []
