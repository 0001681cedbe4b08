"""One link, pressed twice at the same moment (a double click, two tabs), signs in once."""

import threading

import pytest
from django.db import connection

from accounts import services
from accounts.magic_links import magic_link_url
from accounts.tests.factories import UserFactory


def _redeem_together(token: str, presses: int) -> list:
    start = threading.Barrier(presses)
    results: list = []

    def press() -> None:
        try:
            start.wait()
            results.append(services.magic_link_redeem(token=token))
        finally:
            connection.close()

    threads = [threading.Thread(target=press) for _ in range(presses)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


@pytest.mark.parametrize("attempt", range(3))
def test_two_simultaneous_presses_sign_in_once(transactional_db, attempt):
    user = UserFactory(email=f"double{attempt}@alpha.example")
    token = magic_link_url(user).split("sesame=")[1]
    results = _redeem_together(token, presses=2)
    assert sorted(result is not None for result in results) == [False, True]
