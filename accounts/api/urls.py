from django.urls import path
from rest_framework.routers import SimpleRouter

from accounts.api import views

router = SimpleRouter()
router.register("industry-profiles", views.IndustryProfileViewSet, basename="industry-profile")
router.register("members", views.MemberViewSet, basename="member")
router.register("api-tokens", views.ApiTokenViewSet, basename="api-token")
router.register("activity", views.ActivityEntryViewSet, basename="activity")

urlpatterns = [
    path("me/", views.MeView.as_view(), name="me"),
    path("organization/", views.OrganizationView.as_view(), name="organization"),
    *router.urls,
]
