"""Steady load for scripts/instances: posts newsroom submissions through the load balancer
from several threads, each post with its own Idempotency-Key, and retries a post (same key)
after a connection error or a 503, as the site's front end does. Writes one JSON line per
answer: {"n", "status", "reference", "attempt"}; "status" is "conn" for a connection error.

Usage: instances_load.py URL SECONDS THREADS RATE_PER_THREAD OUT [FLOOD_CLIENT FLOOD_POSTS]
With FLOOD_CLIENT, posts FLOOD_POSTS times as that one client (X-Forwarded-For) instead."""

import http.client
import json
import sys
import threading
import time
import urllib.parse
import uuid


def body(n):
    return json.dumps({
        "name": f"Lecteur {n}",
        "email": f"lecteur{n}@d{n % 97}.example",
        "topic": "tip",
        "message": f"Message de charge {n}",
        "consent": True,
    }).encode()


class Poster:
    def __init__(self, url):
        u = urllib.parse.urlsplit(url)
        self.host, self.port = u.hostname, u.port
        self.conn = None

    def post(self, payload, key, client):
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=10)
            self.conn.request("POST", "/v1/forms/newsroom", body=payload, headers={
                "content-type": "application/json",
                "idempotency-key": key,
                "x-forwarded-for": client,
            })
            resp = self.conn.getresponse()
            data = resp.read()
            if resp.getheader("connection", "").lower() == "close":
                self.conn.close()
                self.conn = None
            ref = None
            if resp.status == 201:
                ref = json.loads(data)["reference"]
            return resp.status, ref
        except (OSError, http.client.HTTPException):
            if self.conn is not None:
                self.conn.close()
            self.conn = None
            return "conn", None


def main():
    url, seconds, threads, rate, out_path = sys.argv[1:6]
    seconds, threads, rate = float(seconds), int(threads), float(rate)
    flood = sys.argv[6:8]
    out = open(out_path, "w")
    lock = threading.Lock()
    counter = iter(range(10**9))

    def write(record):
        with lock:
            out.write(json.dumps(record) + "\n")
            out.flush()

    if flood:
        client, posts = flood[0], int(flood[1])
        poster = Poster(url)
        for _ in range(posts):
            n = next(counter) + 10**6
            status, ref = poster.post(body(n), str(uuid.uuid4()), client)
            write({"n": n, "status": status, "reference": ref, "attempt": 1})
        return

    end = time.monotonic() + seconds

    def run(t):
        poster = Poster(url)
        gap = 1.0 / rate
        next_at = time.monotonic()
        while time.monotonic() < end:
            with lock:
                n = next(counter)
            key, payload = str(uuid.uuid4()), body(n)
            # Each simulated reader has an address of their own (under the per-client limit).
            client = f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"
            for attempt in range(1, 6):
                status, ref = poster.post(payload, key, client)
                write({"n": n, "status": status, "reference": ref, "attempt": attempt})
                if status not in ("conn", 503):
                    break
                time.sleep(0.2)
            next_at += gap
            time.sleep(max(0.0, next_at - time.monotonic()))

    workers = [threading.Thread(target=run, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()


if __name__ == "__main__":
    main()
