from rest_framework.routers import SimpleRouter

from scheduling.api import calendars

router = SimpleRouter()
router.register("calendar-feeds", calendars.CalendarFeedViewSet, basename="calendar-feed-api")
router.register("external-calendars", calendars.ExternalCalendarViewSet, basename="external-calendar")

urlpatterns = router.urls
