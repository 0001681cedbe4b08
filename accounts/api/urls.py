from django.urls import path
from rest_framework.routers import SimpleRouter

from accounts.api import auth, onboarding, views

router = SimpleRouter()
router.register("industry-profiles", views.IndustryProfileViewSet, basename="industry-profile")
router.register("members", views.MemberViewSet, basename="member")
router.register("api-tokens", views.ApiTokenViewSet, basename="api-token")
router.register("activity", views.ActivityEntryViewSet, basename="activity")

urlpatterns = [
    path("auth/magic-link/", auth.MagicLinkRequestView.as_view(), name="auth-magic-link"),
    path("auth/magic-link/confirm/", auth.MagicLinkConfirmView.as_view(), name="auth-magic-link-confirm"),
    path("auth/session/", auth.SessionView.as_view(), name="auth-session"),
    path("me/", views.MeView.as_view(), name="me"),
    path("organization/", views.OrganizationView.as_view(), name="organization"),
    path("onboarding/", onboarding.OnboardingView.as_view(), name="onboarding"),
    path("onboarding/complete/", onboarding.OnboardingCompleteView.as_view(), name="onboarding-complete"),
    *router.urls,
]
