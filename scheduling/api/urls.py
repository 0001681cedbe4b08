from django.urls import path
from rest_framework.routers import SimpleRouter

from scheduling.api import views

router = SimpleRouter()
router.register("services", views.ServiceViewSet, basename="service")
router.register("jobs", views.JobViewSet, basename="job")
router.register("bookings", views.BookingViewSet, basename="booking")
router.register("availability/exceptions", views.DateHoursViewSet, basename="date-hours")
router.register("availability/time-off", views.TimeOffViewSet, basename="time-off")

urlpatterns = [
    path("availability/slots/", views.SlotsView.as_view(), name="availability-slots"),
    path("availability/hours/", views.WeeklyHoursView.as_view(), name="availability-hours"),
    path("availability/policy/", views.BookingPolicyView.as_view(), name="availability-policy"),
    path("calendar/", views.CalendarView.as_view(), name="calendar"),
    *router.urls,
]
