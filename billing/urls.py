from django.urls import path

from billing import views

urlpatterns = [
    path("stripe/webhook/<uuid:uuid>/", views.StripeWebhookView.as_view(), name="stripe-webhook"),
    path("checkout/success/", views.checkout_success, name="checkout-success"),
    path("checkout/cancelled/", views.checkout_cancel, name="checkout-cancel"),
]
