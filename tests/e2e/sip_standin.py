#!/usr/bin/env python3
"""A stand-in for SIP over UDP, for tests only: no SIP stack, just enough to
see which real answers a datagram.

  sip_standin.py serve NAME ADDR PORT
      Answers every datagram on ADDR:PORT with "SIP/2.0 200 OK" naming NAME
      (Server: NAME) and echoing its Call-ID line, from ADDR:PORT.
  sip_standin.py client VIP PORT
      Reads "SRC SPORT CALLID" lines on stdin (CALLID "-" sends a request
      without a Call-ID), sends an OPTIONS request for each from SRC:SPORT to
      VIP:PORT and prints "CALLID SRC SPORT NAME" (NAME "none" when no answer
      came to it and three retransmissions, half a second each).
"""
import socket
import sys


def options(vip, port, src, sport, call_id):
    lines = [
        f"OPTIONS sip:probe@{vip}:{port} SIP/2.0",
        f"Via: SIP/2.0/UDP {src}:{sport};branch=z9hG4bK-{sport}",
        "Max-Forwards: 70",
        f"From: <sip:standin@{src}>;tag={sport}",
        f"To: <sip:probe@{vip}>",
    ]
    if call_id != "-":
        lines.append(f"Call-ID: {call_id}")
    lines += ["CSeq: 1 OPTIONS", "Content-Length: 0", "", ""]
    return "\r\n".join(lines).encode()


def serve(name, addr, port):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((addr, int(port)))
    while True:
        data, peer = sock.recvfrom(65535)
        call_id = b""
        for line in data.split(b"\r\n"):
            if line.lower().startswith(b"call-id:") or line.lower().startswith(b"i:"):
                call_id = line
        sock.sendto(b"SIP/2.0 200 OK\r\nServer: " + name.encode() + b"\r\n" + call_id + b"\r\n\r\n", peer)


def client(vip, port):
    for line in sys.stdin:
        if not line.strip():
            continue
        src, sport, call_id = line.split()
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((src, int(sport)))
        sock.settimeout(0.5)
        name = "none"
        # Sent again when unanswered, as SIP over UDP retransmits (the
        # director drops a flow's first datagram while it resolves a real's
        # neighbour).
        for _ in range(4):
            sock.sendto(options(vip, port, src, sport, call_id), (vip, int(port)))
            try:
                data, _ = sock.recvfrom(65535)
            except socket.timeout:
                continue
            for reply_line in data.split(b"\r\n"):
                if reply_line.startswith(b"Server: "):
                    name = reply_line[len(b"Server: "):].decode()
            break
        sock.close()
        print(call_id, src, sport, name, flush=True)


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "serve":
        serve(*sys.argv[2:])
    elif len(sys.argv) == 4 and sys.argv[1] == "client":
        client(*sys.argv[2:])
    else:
        sys.exit(__doc__)
