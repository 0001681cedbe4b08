from django.urls import path

from inbox import webhooks

urlpatterns = [
    path("webhooks/inbox/<slug:kind>/", webhooks.inbound, name="inbox-webhook"),
    path("webhooks/inbox/<slug:kind>/status/", webhooks.status_callback, name="inbox-status-callback"),
]
