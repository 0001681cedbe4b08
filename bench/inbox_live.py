"""From an inbound webhook to the business's open page: how long until the websocket hears it.

Production's two servers run side by side: gunicorn takes the webhook (as Twilio would reach
it), daphne holds the websocket, Redis carries the event between them. A client signed in with
the data set's API token listens at ``/ws/inbox/``; one at a time, ``--messages`` inbound SMS
webhooks, signed as Twilio signs them, are posted to gunicorn, and the time from starting the
POST to the client receiving ``message.created`` with that message's body is taken: p50 and
p95, plus the webhook's own acknowledge time. Run after ``bench/inbox_generate.py``;
``bench/run.py`` calls ``run`` (its ``inbox-live`` scenario).

    .venv/bin/python bench/inbox_live.py --messages 300
"""

import argparse
import json
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common, inbox_api

DAPHNE_PORT = common.PORT + 1


def start_daphne(env: dict):
    command = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(DAPHNE_PORT), "config.asgi:application"]
    return common.start(command, env, "daphne.log")


def measure(inbox: dict, known: list[str], messages: int) -> dict:
    """Post ``messages`` webhooks one after another and time each to the websocket."""
    import requests
    from twilio.request_validator import RequestValidator
    from websockets.sync.client import connect

    validator = RequestValidator(inbox["auth_token"])
    url = common.BASE_URL + inbox_api.WEBHOOK_PATH
    daphne = f"ws://127.0.0.1:{DAPHNE_PORT}/ws/inbox/"
    end_to_end, acknowledged = [], []
    session = requests.Session()
    with connect(daphne, origin=f"http://127.0.0.1:{DAPHNE_PORT}", proxy=None, open_timeout=10) as client:
        client.send(json.dumps({"token": inbox["token"]}))
        assert json.loads(client.recv(timeout=10))["event"] == "connected"
        for index in range(messages):
            body = f"Live check {index} {uuid.uuid4().hex[:8]}"
            params = {
                "MessageSid": "SM" + uuid.uuid4().hex,
                "From": known[index % len(known)],
                "To": inbox["sms_number"],
                "Body": body,
                "NumMedia": "0",
            }
            headers = {
                "X-Twilio-Signature": validator.compute_signature(url, params),
                "Content-Type": "application/x-www-form-urlencoded",
            }
            started = time.perf_counter()
            response = session.post(url, data=urlencode(params), headers=headers, timeout=20)
            acknowledged.append(time.perf_counter() - started)
            assert response.status_code == 200, response.text
            while True:
                event = json.loads(client.recv(timeout=10))
                if event.get("event") == "message.created" and event["message"]["body"] == body:
                    break
            end_to_end.append(time.perf_counter() - started)
    return {
        "messages": messages,
        "end_to_end": common.summary(end_to_end),
        "acknowledge": common.summary(acknowledged),
    }


def run(env: dict, inbox: dict, known: list[str], messages: int) -> dict:
    """Start gunicorn and daphne with ``env`` (which must serve the baseline views: both are
    awaited at ``/bench/constant/``), ``measure``, and stop them."""
    web, daphne = common.start_web(env), start_daphne(env)
    try:
        common.wait_for_http(common.BASE_URL + "/bench/constant/", server=web)
        common.wait_for_http(f"http://127.0.0.1:{DAPHNE_PORT}/bench/constant/", server=daphne)
        return measure(inbox, known, messages)
    finally:
        common.stop(web, daphne)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=300)
    args = parser.parse_args()
    env = common.production_environment(BENCH_BASELINES="1")
    common.setup_django(env)
    inbox = json.loads(common.tokens_file("inbox").read_text())["busy-inbox"]
    known = inbox_api.known_numbers(inbox["organization_id"], 200)
    print(json.dumps(run(env, inbox, known, args.messages), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
