"""Serializer fields that keep a request inside its organization."""

from rest_framework import serializers


class OrganizationRelatedField(serializers.PrimaryKeyRelatedField):
    """An id of one of the request's organization's objects; any other id is
    "not found", exactly as an id that does not exist."""

    def get_queryset(self):
        return super().get_queryset().filter(organization=self.context["request"].organization)
