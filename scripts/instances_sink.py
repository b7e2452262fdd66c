"""A loopback SMTP listener for scripts/instances: accepts every message and appends its
Message-ID (one per line) to the file given, so the test can count deliveries per e-mail."""

import asyncio
import sys
from email.parser import BytesHeaderParser

from aiosmtpd.controller import Controller


class Record:
    def __init__(self, path):
        self.out = open(path, "a", buffering=1)

    async def handle_DATA(self, server, session, envelope):
        headers = BytesHeaderParser().parsebytes(envelope.original_content or envelope.content)
        self.out.write((headers.get("Message-ID") or "<none>").strip() + "\n")
        return "250 OK"


def main():
    port, path = int(sys.argv[1]), sys.argv[2]
    controller = Controller(Record(path), hostname="127.0.0.1", port=port)
    controller.start()
    print(f"sink listening on {port}", flush=True)
    try:
        asyncio.new_event_loop().run_forever()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
