from django.urls import path
from rest_framework.routers import SimpleRouter

from inbox.api import views

router = SimpleRouter()
router.register("inbox/integrations", views.IntegrationViewSet, basename="inbox-integration")
router.register("inbox/labels", views.LabelViewSet, basename="inbox-label")
router.register("inbox/threads", views.ThreadViewSet, basename="inbox-thread")
router.register("inbox/attachments", views.AttachmentViewSet, basename="inbox-attachment")

urlpatterns = [
    # Before the router: its detail route would otherwise take "counts" for a thread id.
    path("inbox/threads/counts/", views.ThreadCountsView.as_view(), name="inbox-thread-counts"),
    *router.urls,
]
