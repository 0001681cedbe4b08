"""The plans we sell. Which are on sale, and at what Stripe price, comes from STRIPE_PRICE_IDS."""

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class Plan:
    key: str
    name: str
    description: str
    features: tuple[str, ...]
    price_id: str = ""


CATALOGUE: tuple[Plan, ...] = (
    Plan(
        "starter",
        "Starter",
        "For a one-person business getting organised.",
        (
            "1 team member",
            "Clients, jobs and bookings",
            "Online booking page",
            "Quotes and invoices",
            "SMS and email inbox",
        ),
    ),
    Plan(
        "pro",
        "Pro",
        "For a growing team that lives on the road or in the salon.",
        (
            "Up to 10 team members",
            "Everything in Starter",
            "WhatsApp, Facebook and Instagram inbox",
            "Automatic reminders and review requests",
            "Card payments on invoices",
        ),
    ),
    Plan(
        "business",
        "Business",
        "For established businesses that want the AI receptionist answering every message.",
        ("Unlimited team members", "Everything in Pro", "AI receptionist", "Reports", "Priority support"),
    ),
)


def plans_on_sale() -> list[Plan]:
    prices = settings.STRIPE_PRICE_IDS
    return [Plan(**{**plan.__dict__, "price_id": prices[plan.key]}) for plan in CATALOGUE if plan.key in prices]


def plan_on_sale(key: str) -> Plan | None:
    return next((plan for plan in plans_on_sale() if plan.key == key), None)


def plan_for_price(price_id: str) -> Plan | None:
    return next((plan for plan in plans_on_sale() if plan.price_id == price_id), None)
