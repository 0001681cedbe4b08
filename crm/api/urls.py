from rest_framework.routers import SimpleRouter

from crm.api import imports, views

router = SimpleRouter()
# Before "contacts": its detail route would otherwise take "contacts/imports/" for a contact id.
router.register("contacts/imports", imports.ContactImportViewSet, basename="contact-import")
router.register("contacts", views.ContactViewSet, basename="contact")
router.register("tags", views.TagViewSet, basename="tag")

urlpatterns = router.urls
