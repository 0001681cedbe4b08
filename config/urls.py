from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from config.health import HealthView
from inbox import email_webhooks

api_v1 = [
    path("", include("accounts.api.urls")),
    path("", include("crm.api.urls")),
    path("", include("scheduling.api.urls")),
    path("", include("scheduling.api.calendar_urls")),
    path("", include("inbox.api.urls")),
    path("billing/", include("billing.api.urls")),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("healthz", HealthView.as_view(), name="healthz"),
    path("", include("billing.urls")),
    path("", include("accounts.urls")),
    path("", include("scheduling.urls")),
    path("", include("inbox.urls")),
    # The email service's webhooks (inbound mail, tracking), secured by ANYMAIL["WEBHOOK_SECRET"];
    # Postmark's two take anymail's paths with views that answer a malformed body with a 400.
    path("anymail/postmark/inbound/", email_webhooks.PostmarkInboundView.as_view()),
    path("anymail/postmark/tracking/", email_webhooks.PostmarkTrackingView.as_view()),
    path("anymail/", include("anymail.urls")),
]

if settings.BENCH_BASELINES:
    urlpatterns.append(path("bench/", include("bench.urls")))

handler400 = "config.views.bad_request"
handler403 = "config.views.permission_denied"
handler404 = "config.views.not_found"
handler500 = "config.views.server_error"

admin.site.site_header = "Bizbox staff admin"
admin.site.site_title = "Bizbox admin"
