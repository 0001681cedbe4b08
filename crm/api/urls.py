from rest_framework.routers import SimpleRouter

from crm.api import views

router = SimpleRouter()
router.register("contacts", views.ContactViewSet, basename="contact")
router.register("tags", views.TagViewSet, basename="tag")

urlpatterns = router.urls
