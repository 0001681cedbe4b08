"""Fifty clients ask a real server for the same slot at the same moment: one gets it."""

import threading

import pytest
import requests

from accounts import services as accounts_services
from scheduling.models import Booking
from scheduling.tests.conftest import at, next_weekday

CLIENTS = 50


@pytest.mark.django_db(transaction=True)
def test_fifty_racing_requests_make_exactly_one_booking(server_process, chicago_org, owner, bob, haircut):
    _, key = accounts_services.api_token_create(organization=chicago_org, user=owner, name="Race")
    body = {"staff": bob.pk, "service": haircut.pk, "starts_at": at(next_weekday(1), 10).isoformat()}
    start = threading.Barrier(CLIENTS)
    answers: list[requests.Response] = []

    def book() -> None:
        with requests.Session() as session:
            session.headers["Authorization"] = f"Bearer {key}"
            start.wait()
            answers.append(session.post(f"{server_process}/api/v1/bookings/", json=body, timeout=60))

    threads = [threading.Thread(target=book) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [201] + [409] * (CLIENTS - 1)
    winner = next(answer.json() for answer in answers if answer.status_code == 201)
    for answer in answers:
        if answer.status_code == 409:
            error = answer.json()["error"]
            assert error["code"] == "booking_conflict"
            assert error["conflicting_booking"]["id"] == winner["id"]
    assert Booking.objects.filter(staff=bob).count() == 1
