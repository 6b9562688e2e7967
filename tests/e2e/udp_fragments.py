#!/usr/bin/env python3
"""UDP datagrams larger than the MTU, for tests/e2e/fragments_reversed.sh.

send IFACE DST_MAC SRC DST PORT COUNT SIZE
    Builds COUNT UDP datagrams of SIZE payload bytes (a pattern that differs
    per datagram) from SRC:40000 to DST:PORT, fragments each for a 1500-byte
    MTU and sends the fragments last first from IFACE to DST_MAC (AF_PACKET),
    so every later fragment reaches the next hop before its first. Prints
    each payload's SHA-256, one per line.
receive ADDR PORT COUNT TIMEOUT
    Binds ADDR:PORT, prints the SHA-256 and length of each datagram received
    until COUNT have arrived or TIMEOUT seconds passed without one.
"""
import hashlib
import ipaddress
import socket
import struct
import sys

MTU = 1500
ETH_P_IP, ETH_P_IPV6 = 0x0800, 0x86DD


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def udp_datagram(src, dst, port, payload):
    length = 8 + len(payload)
    header = struct.pack("!HHHH", 40000, port, length, 0)
    if src.version == 4:
        pseudo = src.packed + dst.packed + struct.pack("!BBH", 0, 17, length)
    else:
        pseudo = src.packed + dst.packed + struct.pack("!IxxxB", length, 17)
    csum = checksum(pseudo + header + payload) or 0xFFFF
    return struct.pack("!HHHH", 40000, port, length, csum) + payload


def fragments(src, dst, ident, datagram):
    """The IP packets carrying datagram, in order."""
    per = (MTU - (20 if src.version == 4 else 48)) // 8 * 8
    out = []
    for off in range(0, len(datagram), per):
        chunk = datagram[off:off + per]
        more = off + per < len(datagram)
        if src.version == 4:
            flags = (off // 8) | (0x2000 if more else 0)
            hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(chunk), ident & 0xFFFF, flags,
                              64, 17, 0, src.packed, dst.packed)
            hdr = hdr[:10] + struct.pack("!H", checksum(hdr)) + hdr[12:]
            out.append(hdr + chunk)
        else:
            frag = struct.pack("!BBHI", 17, 0, off | (1 if more else 0), ident)
            hdr = struct.pack("!IHBB16s16s", 6 << 28, 8 + len(chunk), 44, 64, src.packed,
                              dst.packed)
            out.append(hdr + frag + chunk)
    return out


def send(iface, dst_mac, src, dst, port, count, size):
    src, dst = ipaddress.ip_address(src), ipaddress.ip_address(dst)
    proto = ETH_P_IP if src.version == 4 else ETH_P_IPV6
    mac = bytes.fromhex(dst_mac.replace(":", ""))
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(proto))
    for n in range(count):
        payload = bytes((i * 7 + n * 13 + 1) & 0xFF for i in range(size))
        datagram = udp_datagram(src, dst, port, payload)
        for packet in reversed(fragments(src, dst, 0x5100 + n, datagram)):
            sock.sendto(packet, (iface, proto, 0, 0, mac))
        print(hashlib.sha256(payload).hexdigest(), flush=True)


def receive(addr, port, count, timeout):
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.bind((addr, port))
    sock.settimeout(timeout)
    print("listening", file=sys.stderr, flush=True)
    for _ in range(count):
        try:
            data = sock.recv(65536)
        except socket.timeout:
            return
        print(hashlib.sha256(data).hexdigest(), len(data), flush=True)


if __name__ == "__main__":
    if len(sys.argv) == 9 and sys.argv[1] == "send":
        send(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6]), int(sys.argv[7]),
             int(sys.argv[8]))
    elif len(sys.argv) == 6 and sys.argv[1] == "receive":
        receive(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]))
    else:
        sys.exit(__doc__)
