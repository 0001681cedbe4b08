from django.urls import path

from bench import views

urlpatterns = [
    path("constant/", views.constant),
    path("contacts-values/", views.contacts_values),
    path("scheduling-calendar-values/", views.scheduling_calendar_values),
    path("inbox-threads-values/", views.inbox_threads_values),
    path("inbox-counts-values/", views.inbox_counts_values),
]
