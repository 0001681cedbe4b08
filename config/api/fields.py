"""Serializer fields shared by the apps' APIs."""

from datetime import datetime

from rest_framework import serializers

from config.api.filters import to_utc

EARLIEST_YEAR, LATEST_YEAR = 1970, 2200


class MomentField(serializers.DateTimeField):
    """A date and time between 1970 and 2200, kept in UTC.

    Any ISO 8601 offset is accepted (PostgreSQL refuses offsets past ±15:59, so the
    value is turned into UTC first); a time without one is read in the current time
    zone, the organization's. The years are bounded because older times are typing
    mistakes, and would be written back with the local mean time offsets of the 1800s.
    """

    def to_internal_value(self, value) -> datetime:
        parsed = super().to_internal_value(value)
        try:
            moment = to_utc(parsed)
        except (OverflowError, ValueError) as error:
            raise serializers.ValidationError("This date and time is out of range.") from error
        if not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
            raise serializers.ValidationError(f"Give a date between {EARLIEST_YEAR} and {LATEST_YEAR}.")
        return moment
