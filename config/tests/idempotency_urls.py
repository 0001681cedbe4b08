"""A small create endpoint built on the Idempotency-Key helper, for its own tests.

The product's endpoints that create money or messages use the same mixin;
this one creates activity entries so the helper can be tested on its own.
"""

from django.urls import include, path
from rest_framework import mixins, serializers
from rest_framework.routers import SimpleRouter

from accounts.api.base import OrganizationGenericViewSet
from accounts.models import ActivityEntry
from config.api.idempotency import IdempotentCreateMixin


class EntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = ActivityEntry
        fields = ["id", "verb", "summary"]


class EntryViewSet(IdempotentCreateMixin, OrganizationGenericViewSet, mixins.CreateModelMixin):
    queryset = ActivityEntry.objects.all()
    serializer_class = EntrySerializer


router = SimpleRouter()
router.register("entries", EntryViewSet, basename="entry")
urlpatterns = [path("api/v1/", include(router.urls))]
