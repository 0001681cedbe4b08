"""Pages served to business owners and their teams: signing in by magic link.

allauth's pages live under /accounts/ for signing in with an emailed code,
the fallback to magic links; signing up there is closed (accounts.adapters).
"""

from django.urls import include, path

from accounts import views

urlpatterns = [
    path("login/", views.login_page, name="login"),
    path("login/magic/", views.magic_link_confirm, name="magic-link-confirm"),
    path("app/", views.signed_in, name="signed-in"),
    path("logout/", views.logout_page, name="logout"),
    path("accounts/", include("allauth.urls")),
]
