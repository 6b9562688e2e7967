#!/usr/bin/env python3
"""A long-lived TCP connection, for tests/e2e/wlc_thresholds_dr.sh.

hold_connection.py ADDR PORT [--reset]
    Connects to ADDR:PORT, sends "HOLD", prints the first line the server
    answers (which real holds it) and keeps the connection open until
    SIGTERM. Then closes it: with a FIN, or with a reset (SO_LINGER 0) under
    --reset, which a load balancer keeps for 10 s instead of FIN_WAIT's 120.
    Exits 1 when the connection fails or the server answers nothing in 5 s.
"""
import signal
import socket
import struct
import sys


def main():
    if len(sys.argv) not in (3, 4) or (len(sys.argv) == 4 and sys.argv[3] != "--reset"):
        sys.exit(__doc__)
    addr, port, reset = sys.argv[1], int(sys.argv[2]), len(sys.argv) == 4
    conn = socket.create_connection((addr, port), timeout=5)
    conn.sendall(b"HOLD\n")
    line = conn.makefile("rb").readline()
    if not line:
        sys.exit("no answer from %s:%d" % (addr, port))
    print(line.decode().strip(), flush=True)

    def close(signum, frame):
        if reset:
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()
        sys.exit(0)

    signal.signal(signal.SIGTERM, close)
    while True:
        signal.pause()


if __name__ == "__main__":
    main()
