from django.urls import path

from billing.api import views

urlpatterns = [
    path("plans/", views.PlanListView.as_view(), name="plan-list"),
    path("checkout-sessions/", views.CheckoutSessionView.as_view(), name="checkout-session"),
]
