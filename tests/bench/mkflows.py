#!/usr/bin/env python3
"""mkflows.py - write the two pcap files of the many-flows benchmark.

usage: mkflows.py N DIR [FRAMES]

Writes DIR/flows-N-a.pcap with frames src=A_i dst=B_i and DIR/flows-N-b.pcap
with frames src=B_i dst=A_i, i = 0 .. N-1 in order, repeated until the file
holds at least FRAMES frames (default 1024; a multiple of N). Every frame is
64 bytes (no FCS): Ethernet, IPv4, UDP, 22 bytes of payload. MACs are
unicast and locally administered: A_i = 02:00:0a:ii:ii:ii and
B_i = 02:00:0b:ii:ii:ii (i as 24 bits); IPv4 addresses 10.0.0.0/9 (A side)
and 10.128.0.0/9 (B side) carry i as well, UDP ports 1024 -> 5001 (A) and
back. Prints the number of frames per file. Standard library only: the pcap
format (libpcap 2.4, microsecond timestamps, DLT_EN10MB) is written here.
"""
import struct
import sys

FRAME_LEN = 64
PAYLOAD = bytes(range(FRAME_LEN - 14 - 20 - 8))   # 22 bytes


def mac(side, i):
    return bytes((0x02, 0x00, side)) + i.to_bytes(3, "big")


def csum(data):
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def frame(i, a_to_b):
    a_ip, b_ip = (10 << 24) | i, (10 << 24) | (1 << 23) | i
    if a_to_b:
        src, dst, sip, dip, sport, dport = mac(0x0A, i), mac(0x0B, i), a_ip, b_ip, 1024, 5001
    else:
        src, dst, sip, dip, sport, dport = mac(0x0B, i), mac(0x0A, i), b_ip, a_ip, 5001, 1024
    udp_len = 8 + len(PAYLOAD)
    ip = struct.pack("!BBHHHBBHII", 0x45, 0, 20 + udp_len, i & 0xFFFF, 0, 64, 17, 0, sip, dip)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    udp = struct.pack("!HHHH", sport, dport, udp_len, 0)   # no UDP checksum (IPv4)
    f = dst + src + b"\x08\x00" + ip + udp + PAYLOAD
    assert len(f) == FRAME_LEN
    return f


def write(path, n, reps, a_to_b):
    rec = struct.Struct("<IIII")
    frames = [rec.pack(0, 0, FRAME_LEN, FRAME_LEN) + frame(i, a_to_b) for i in range(n)]
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        body = b"".join(frames)
        for _ in range(reps):
            f.write(body)


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__.split("\n\n")[1])
    n, d = int(sys.argv[1]), sys.argv[2]
    least = int(sys.argv[3]) if len(sys.argv) == 4 else 1024
    if not 1 <= n < 1 << 23:
        sys.exit("mkflows: N must be 1 .. %d" % ((1 << 23) - 1))
    reps = max(1, -(-least // n))
    write("%s/flows-%d-a.pcap" % (d, n), n, reps, True)
    write("%s/flows-%d-b.pcap" % (d, n), n, reps, False)
    print(n * reps)


if __name__ == "__main__":
    main()
