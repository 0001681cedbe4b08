"""A fake Stripe API on 127.0.0.1 for the official ``stripe`` client and dj-stripe.

It keeps objects in memory, answers the create and retrieve calls the product
and dj-stripe make, and lets a test act as Stripe: complete a checkout, change
a subscription, and build the signed event Stripe would send. Object shapes
follow Stripe's published API objects, trimmed to what is read.
"""

import itertools
import json
import time
from typing import Any

from config.tests.fakes.http import FakeServer, Request

API_VERSION = "2026-05-27.dahlia"
ACCOUNT_ID = "acct_fakeplatform0001"
_counter = itertools.count(1)


def _id(prefix: str) -> str:
    return f"{prefix}_test{next(_counter):010d}"


def _nested_form(pairs: list[tuple[str, str]]) -> dict:
    """Stripe's form encoding (``metadata[plan]=x``, ``line_items[0][price]=y``) back to a dict."""
    root: dict = {}
    for key, value in pairs:
        parts = key.replace("]", "").split("[")
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return _lists(root)


def _lists(node: Any) -> Any:
    if isinstance(node, dict):
        if node and all(key.isdigit() for key in node):
            return [_lists(node[key]) for key in sorted(node, key=int)]
        return {key: _lists(value) for key, value in node.items()}
    return node


RESOURCES = {
    "checkout/sessions": "checkout.session",
    "customers": "customer",
    "subscriptions": "subscription",
    "prices": "price",
    "products": "product",
    "invoices": "invoice",
    "events": "event",
    "webhook_endpoints": "webhook_endpoint",
    "payment_intents": "payment_intent",
    "payment_methods": "payment_method",
    "accounts": "account",
}


class FakeStripe(FakeServer):
    def __init__(self, secret_key: str = "sk_test_51FakeBizboxKey000000000000"):
        super().__init__()
        self.secret_key = secret_key
        self.objects: dict[str, dict] = {}
        self.account = self._store(
            {
                "id": ACCOUNT_ID,
                "object": "account",
                "business_profile": {"name": "Bizbox", "url": None, "support_email": None},
                "charges_enabled": True,
                "payouts_enabled": True,
                "country": "US",
                "default_currency": "usd",
                "email": "billing@bizbox.example",
                "settings": {"branding": {"icon": None, "logo": None}, "dashboard": {"display_name": "Bizbox"}},
                "type": "standard",
                "created": int(time.time()),
                "metadata": {},
            }
        )

    # --- what the tests do as Stripe -------------------------------------------------

    def add_price(self, *, amount: int = 4900, currency: str = "usd", name: str = "Pro") -> str:
        product = self._store(
            {"id": _id("prod"), "object": "product", "name": name, "active": True, "created": int(time.time()),
             "livemode": False, "metadata": {}, "type": "service", "images": [], "description": None},
        )  # fmt: skip
        price = self._store(
            {"id": _id("price"), "object": "price", "active": True, "billing_scheme": "per_unit", "currency": currency,
             "unit_amount": amount, "unit_amount_decimal": str(amount), "product": product["id"], "type": "recurring",
             "recurring": {"interval": "month", "interval_count": 1, "usage_type": "licensed", "trial_period_days": None},
             "created": int(time.time()), "livemode": False, "metadata": {}, "nickname": None, "lookup_key": None,
             "tax_behavior": "unspecified", "tiers_mode": None},
        )  # fmt: skip
        return price["id"]

    def complete_checkout(self, session_id: str, *, status: str = "active") -> dict:
        """The buyer paid: a customer and a subscription exist and the session is complete."""
        session = self.objects[session_id]
        now = int(time.time())
        customer = self._store(
            {"id": _id("cus"), "object": "customer", "email": session["customer_email"], "name": None, "phone": None,
             "created": now, "livemode": False, "metadata": {}, "currency": "usd", "balance": 0, "delinquent": False,
             "default_source": None, "description": None, "discount": None, "invoice_prefix": "FAKE0001",
             "invoice_settings": {"custom_fields": None, "default_payment_method": None, "footer": None},
             "preferred_locales": [], "shipping": None, "tax_exempt": "none", "address": None},
        )  # fmt: skip
        price = self.objects[session["line_items"][0]["price"]]
        subscription = self._store(
            {"id": _id("sub"), "object": "subscription", "customer": customer["id"], "status": status,
             "created": now, "start_date": now, "billing_cycle_anchor": now, "livemode": False,
             "metadata": session["metadata"], "currency": price["currency"], "collection_method": "charge_automatically",
             "cancel_at_period_end": False, "cancel_at": None, "canceled_at": None, "ended_at": None,
             "trial_start": None, "trial_end": None, "latest_invoice": None, "default_payment_method": None,
             "default_source": None, "default_tax_rates": [], "discounts": [], "description": None,
             "pending_setup_intent": None, "pending_update": None, "schedule": None, "days_until_due": None,
             "items": {"object": "list", "has_more": False, "url": "/v1/subscription_items", "data": []}},
        )  # fmt: skip
        subscription["items"]["data"].append(
            {"id": _id("si"), "object": "subscription_item", "price": price, "quantity": 1, "created": now,
             "metadata": {}, "subscription": subscription["id"], "tax_rates": [], "discounts": [],
             "current_period_start": now, "current_period_end": now + 30 * 86400},
        )  # fmt: skip
        session.update(
            status="complete",
            payment_status="paid",
            customer=customer["id"],
            subscription=subscription["id"],
            customer_details={"email": session["customer_email"], "name": None, "phone": None, "address": None},
        )
        return session

    def update_subscription(self, subscription_id: str, **changes: Any) -> dict:
        subscription = self.objects[subscription_id]
        subscription.update(changes)
        return subscription

    def event(self, event_type: str, obj: dict) -> dict:
        """The event Stripe would send about ``obj``, stored so it can be retrieved."""
        return self._store(
            {"id": _id("evt"), "object": "event", "api_version": API_VERSION, "created": int(time.time()),
             "data": {"object": json.loads(json.dumps(obj))}, "livemode": False, "pending_webhooks": 1,
             "request": {"id": None, "idempotency_key": None}, "type": event_type},
        )  # fmt: skip

    def requests_to(self, method: str, path_prefix: str) -> list[Request]:
        return [r for r in self.requests if r.method == method and r.path.startswith(path_prefix)]

    # --- the API ------------------------------------------------------------------------

    def _store(self, obj: dict) -> dict:
        self.objects[obj["id"]] = obj
        return obj

    def failure_body(self, status: int) -> object:
        return {"error": {"type": "api_error", "message": "An error occurred with our connection to Stripe."}}

    def handle(self, request: Request) -> tuple[int, object]:
        if request.headers.get("Authorization") != f"Bearer {self.secret_key}":
            return 401, {"error": {"type": "invalid_request_error", "message": "Invalid API Key provided."}}
        path = request.path.removeprefix("/v1/").rstrip("/")
        if request.method == "POST" and path == "checkout/sessions":
            return self._create_checkout_session(_nested_form(request.form()))
        if request.method == "POST" and path == "webhook_endpoints":
            return self._create_webhook_endpoint(_nested_form(request.form()))
        if request.method == "GET" and path == "account":
            return 200, self.account
        for resource in RESOURCES:
            if path == resource and request.method == "GET":
                return 200, {"object": "list", "data": [], "has_more": False, "url": f"/v1/{resource}"}
            if path.startswith(resource + "/") and request.method == "GET":
                return self._retrieve(path[len(resource) + 1 :], request)
        return 404, {
            "error": {
                "type": "invalid_request_error",
                "message": f"Unrecognized request URL ({request.method}: {request.path}).",
            }
        }

    def _retrieve(self, object_id: str, request: Request) -> tuple[int, object]:
        if "/" in object_id:  # a sub-list, e.g. /customers/cus_1/tax_ids
            return 200, {"object": "list", "data": [], "has_more": False, "url": request.path}
        obj = self.objects.get(object_id)
        if obj is None:
            return 404, {
                "error": {
                    "type": "invalid_request_error",
                    "code": "resource_missing",
                    "message": f"No such object: '{object_id}'",
                }
            }
        return 200, self._expanded(obj, [value for key, value in request.query if key.startswith("expand")])

    def _expanded(self, obj: dict, expand: list[str]) -> dict:
        result = json.loads(json.dumps(obj))
        for field in expand:
            if field == "line_items" and "line_items" in result:
                result["line_items"] = {"object": "list", "has_more": False, "url": "/v1/line_items", "data": [
                    {"id": _id("li"), "object": "item", "price": self.objects.get(item["price"]), "quantity": int(item.get("quantity", 1)),
                     "amount_total": self.objects.get(item["price"], {}).get("unit_amount", 0), "currency": result.get("currency")}
                    for item in obj["line_items"]]}  # fmt: skip
        return result

    def _create_checkout_session(self, params: dict) -> tuple[int, object]:
        line_items = params.get("line_items") or []
        if not line_items or line_items[0].get("price") not in self.objects:
            return 400, {
                "error": {"type": "invalid_request_error", "param": "line_items[0][price]", "message": "No such price"}
            }
        session_id = _id("cs")
        price = self.objects[line_items[0]["price"]]
        return 200, self._store(
            {"id": session_id, "object": "checkout.session", "mode": params.get("mode"), "status": "open",
             "payment_status": "unpaid", "url": f"{self.url}/pay/{session_id}", "customer": None, "subscription": None,
             "customer_email": params.get("customer_email"), "customer_details": None, "metadata": params.get("metadata", {}),
             "success_url": params.get("success_url"), "cancel_url": params.get("cancel_url"), "line_items": line_items,
             "currency": price["currency"], "amount_total": price["unit_amount"], "amount_subtotal": price["unit_amount"],
             "created": int(time.time()), "expires_at": int(time.time()) + 86400, "livemode": False, "locale": None,
             "client_reference_id": None, "payment_intent": None, "setup_intent": None, "payment_method_types": ["card"],
             "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0}},
        )  # fmt: skip

    def _create_webhook_endpoint(self, params: dict) -> tuple[int, object]:
        endpoint = self._store(
            {"id": _id("we"), "object": "webhook_endpoint", "url": params.get("url"), "enabled_events": params.get("enabled_events", []),
             "status": "enabled", "secret": f"whsec_{_id('secret')}", "livemode": False, "created": int(time.time()),
             "metadata": {}, "api_version": API_VERSION, "application": None, "description": None},
        )  # fmt: skip
        return 200, endpoint
