"""A local fake of the Stripe API: form-encoded requests in, Stripe's JSON objects and error bodies out.

Covers what billing uses: POST /v1/customers, /v1/checkout/sessions, /v1/billing_portal/sessions.
It checks the Bearer key, decodes Stripe's bracketed form encoding (``metadata[user_id]=...``,
``line_items[0][price]=...``), honours ``Idempotency-Key`` like Stripe (same key, same answer), and
answers errors in Stripe's shape: ``{"error": {"type", "message", "code", "param"}}``.
"""

import json
import re
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

_KEY_PART = re.compile(r"\[([^\]]*)\]")


def decode_form(body: str) -> dict:
    """Stripe's form encoding to nested dicts/lists (lists are dicts with digit keys, converted)."""
    root: dict = {}
    for name, value in parse_qsl(body, keep_blank_values=True):
        head = name.split("[", 1)[0]
        parts = [head, *_KEY_PART.findall(name)]
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return _listify(root)


def _listify(node):
    if isinstance(node, dict):
        if node and all(k.isdigit() for k in node):
            return [_listify(node[k]) for k in sorted(node, key=int)]
        return {k: _listify(v) for k, v in node.items()}
    return node


class FakeStripe:
    def __init__(self, *, api_key: str, prices: set[str]):
        self.api_key = api_key
        self.prices = set(prices)
        self.customers: dict[str, dict] = {}
        self.requests: list[dict] = []
        self.idempotent: dict[str, tuple[int, dict]] = {}
        self.fail_next: list[tuple[int, dict]] = []
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "FakeStripe":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- responses -------------------------------------------------------------------

    @staticmethod
    def error(status: int, message: str, *, type_: str = "invalid_request_error", code: str = "", param: str = ""):
        body = {"type": type_, "message": message}
        if code:
            body["code"] = code
        if param:
            body["param"] = param
        return status, {"error": body}

    def handle(self, method: str, path: str, headers, form: dict) -> tuple[int, dict]:
        auth = headers.get("Authorization", "")
        if auth != f"Bearer {self.api_key}":
            shown = auth.removeprefix("Bearer ")
            return self.error(401, f"Invalid API Key provided: {shown[:8]}****{shown[-4:]}")
        if self.fail_next:
            return self.fail_next.pop(0)
        if method != "POST":
            return self.error(404, f"Unrecognized request URL ({method}: {path}).")
        if path == "/v1/customers":
            return self.create_customer(form)
        if path == "/v1/checkout/sessions":
            return self.create_checkout(form)
        if path == "/v1/billing_portal/sessions":
            return self.create_portal(form)
        return self.error(404, f"Unrecognized request URL (POST: {path}).")

    def create_customer(self, form: dict) -> tuple[int, dict]:
        customer = {
            "id": f"cus_{secrets.token_hex(7)}",
            "object": "customer",
            "email": form.get("email"),
            "name": form.get("name"),
            "metadata": form.get("metadata", {}),
            "created": int(time.time()),
            "livemode": False,
        }
        self.customers[customer["id"]] = customer
        return 200, customer

    def create_checkout(self, form: dict) -> tuple[int, dict]:
        for required in ("mode", "success_url", "cancel_url"):
            if not form.get(required):
                return self.error(400, f"Missing required param: {required}.", code="parameter_missing", param=required)
        customer = form.get("customer")
        if customer and customer not in self.customers:
            return self.error(400, f"No such customer: '{customer}'", code="resource_missing", param="customer")
        items = form.get("line_items") or []
        if not items:
            return self.error(400, "Missing required param: line_items.", code="parameter_missing", param="line_items")
        price = items[0].get("price")
        if price not in self.prices:
            return self.error(400, f"No such price: '{price}'", code="resource_missing", param="line_items[0][price]")
        session_id = f"cs_test_{secrets.token_hex(12)}"
        return 200, {
            "id": session_id,
            "object": "checkout.session",
            "mode": form["mode"],
            "customer": customer,
            "client_reference_id": form.get("client_reference_id"),
            "metadata": form.get("metadata", {}),
            "subscription_data": form.get("subscription_data", {}),
            "success_url": form["success_url"],
            "cancel_url": form["cancel_url"],
            "status": "open",
            "payment_status": "unpaid",
            "url": f"https://checkout.stripe.com/c/pay/{session_id}",
            "livemode": False,
        }

    def create_portal(self, form: dict) -> tuple[int, dict]:
        customer = form.get("customer")
        if customer not in self.customers:
            return self.error(400, f"No such customer: '{customer}'", code="resource_missing", param="customer")
        session_id = f"bps_{secrets.token_hex(12)}"
        return 200, {
            "id": session_id,
            "object": "billing_portal.session",
            "customer": customer,
            "return_url": form.get("return_url"),
            "url": f"https://billing.stripe.com/p/session/test_{session_id}",
            "livemode": False,
        }

    def _handler_class(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep test output clean
                return

            def _serve(self, method: str):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode() if length else ""
                form = decode_form(raw)
                key = self.headers.get("Idempotency-Key")
                with fake.lock:
                    fake.requests.append(
                        {"method": method, "path": self.path, "form": form, "headers": dict(self.headers.items())}
                    )
                    if method == "POST" and key and key in fake.idempotent:
                        status, body = fake.idempotent[key]
                    else:
                        status, body = fake.handle(method, self.path, self.headers, form)
                        if method == "POST" and key and status == 200:
                            fake.idempotent[key] = (status, body)
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.send_header("Request-Id", f"req_{secrets.token_hex(6)}")
                if key:
                    self.send_header("Idempotency-Key", key)
                self.end_headers()
                self.wfile.write(payload)

            def do_POST(self):
                self._serve("POST")

            def do_GET(self):
                self._serve("GET")

        return Handler
