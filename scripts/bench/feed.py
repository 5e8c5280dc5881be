"""The revocation feed under `make bench-load`.

  feed.py propagation PORT TOKENS_FILE   logs each token out, one after another, while a subscriber reads
                                         the stream; prints "p50_ms p99_ms max_ms missing count": the time
                                         from sending a logout to its token's entry arriving
  feed.py hold PORT N                    opens N idle subscriptions, prints "holding N" once all are open,
                                         and keeps them until killed
"""
import base64
import json
import socket
import statistics
import sys
import threading
import time


def subscribe(port):
    sock = socket.create_connection(("127.0.0.1", port))
    # no cursor: the backlog first (whatever is live), then each entry as it comes
    sock.sendall(b"GET /auth/revocations/stream HTTP/1.1\r\nHost: bench\r\n\r\n")
    reader = sock.makefile("rb")
    status = reader.readline()
    if b" 200 " not in status:
        raise SystemExit(f"feed.py: the stream answered {status!r}")
    while reader.readline() not in (b"\r\n", b""):
        pass
    return sock, reader


def jti_of(token):
    payload = token.split(".")[1]
    payload += "=" * (-len(payload) % 4)
    return json.loads(base64.urlsafe_b64decode(payload))["jti"]


def propagation(port, tokens_file):
    tokens = [line.strip() for line in open(tokens_file) if line.strip()]
    arrived = {}
    _, reader = subscribe(port)

    def read():
        for line in reader:
            if line.startswith(b"data: "):
                entry = json.loads(line[6:])
                if "jti" in entry:
                    arrived.setdefault(entry["jti"], time.monotonic())

    threading.Thread(target=read, daemon=True).start()
    time.sleep(0.5)
    sent = {}
    for token in tokens:
        jti = jti_of(token)
        with socket.create_connection(("127.0.0.1", port)) as conn:
            sent[jti] = time.monotonic()
            conn.sendall(
                f"POST /auth/logout HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\n"
                "Content-Length: 0\r\nConnection: close\r\n\r\n".encode()
            )
            while conn.recv(65536):
                pass
    deadline = time.monotonic() + 5
    while len([j for j in sent if j in arrived]) < len(sent) and time.monotonic() < deadline:
        time.sleep(0.05)
    delays = sorted((arrived[j] - t) * 1000 for j, t in sent.items() if j in arrived)
    missing = len(sent) - len(delays)
    if not delays:
        raise SystemExit("feed.py: no entry arrived")
    p99 = delays[min(len(delays) - 1, int(len(delays) * 0.99))]
    print(f"{statistics.median(delays):.1f} {p99:.1f} {delays[-1]:.1f} {missing} {len(sent)}")


def hold(port, count):
    held = [subscribe(port) for _ in range(count)]
    print(f"holding {len(held)}", flush=True)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    if sys.argv[1] == "propagation":
        propagation(int(sys.argv[2]), sys.argv[3])
    elif sys.argv[1] == "hold":
        hold(int(sys.argv[2]), int(sys.argv[3]))
    else:
        raise SystemExit(__doc__)
