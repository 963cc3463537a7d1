#!/usr/bin/env python3
"""mkflows.py - write the two pcap files of the many-flows benchmark.

usage: mkflows.py [--vxlan] N DIR [FRAMES]

Writes DIR/flows-N-a.pcap with frames src=A_i dst=B_i and DIR/flows-N-b.pcap
with frames src=B_i dst=A_i, i = 0 .. N-1 in order, repeated until the file
holds at least FRAMES frames (default 1024; a multiple of N). Every frame is
64 bytes (no FCS): Ethernet, IPv4, UDP, 22 bytes of payload. MACs are
unicast and locally administered: A_i = 02:00:0a:ii:ii:ii and
B_i = 02:00:0b:ii:ii:ii (i as 24 bits); IPv4 addresses 10.0.0.0/9 (A side)
and 10.128.0.0/9 (B side) carry i as well, UDP ports 1024 -> 5001 (A) and
back. Prints the number of frames per file. Standard library only: the pcap
format (libpcap 2.4, microsecond timestamps, DLT_EN10MB) is written here.

--vxlan also writes DIR/flows-N-a-vx.pcap: file A's frames as a remote VTEP
(VX_REMOTE, MAC VX_REMOTE_MAC) sends them over VXLAN (VNI 1, UDP source port
from i) to a switch at VX_LOCAL with MAC VX_LOCAL_MAC, after an ARP reply
that tells the switch where the remote VTEP is (114-byte frames).
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


VX_LOCAL, VX_REMOTE = (10 << 24) | (255 << 16) | 1, (10 << 24) | (255 << 16) | 2
VX_LOCAL_MAC, VX_REMOTE_MAC = bytes.fromhex("020000000053"), bytes.fromhex("020000000054")


def vxlan(i, inner):
    udp_len = 8 + 8 + len(inner)
    ip = struct.pack("!BBHHHBBHII", 0x45, 0, 20 + udp_len, 0, 0x4000, 64, 17, 0, VX_REMOTE,
                     VX_LOCAL)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    udp = struct.pack("!HHHH", 49152 + i % 16384, 4789, udp_len, 0)
    return VX_LOCAL_MAC + VX_REMOTE_MAC + b"\x08\x00" + ip + udp + \
        struct.pack("!II", 0x08000000, 1 << 8) + inner


def arp_reply():
    arp = struct.pack("!HHBBH6sI6sI", 1, 0x0800, 6, 4, 2, VX_REMOTE_MAC, VX_REMOTE,
                      VX_LOCAL_MAC, VX_LOCAL)
    f = VX_LOCAL_MAC + VX_REMOTE_MAC + b"\x08\x06" + arp
    return f + bytes(60 - len(f))


def write(path, n, reps, a_to_b, vx=False):
    rec = struct.Struct("<IIII")
    frames = [frame(i, a_to_b) for i in range(n)]
    if vx:
        frames = [vxlan(i, f) for i, f in enumerate(frames)]
    frames = [rec.pack(0, 0, len(f), len(f)) + f for f in frames]
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        if vx:  # once per pass over the file
            a = arp_reply()
            f.write(rec.pack(0, 0, len(a), len(a)) + a)
        body = b"".join(frames)
        for _ in range(reps):
            f.write(body)


def main():
    args = sys.argv[1:]
    vx = bool(args) and args[0] == "--vxlan"
    args = args[1:] if vx else args
    if len(args) not in (2, 3):
        sys.exit(__doc__.split("\n\n")[1])
    n, d = int(args[0]), args[1]
    least = int(args[2]) if len(args) == 3 else 1024
    if not 1 <= n < 1 << 23:
        sys.exit("mkflows: N must be 1 .. %d" % ((1 << 23) - 1))
    reps = max(1, -(-least // n))
    write("%s/flows-%d-a.pcap" % (d, n), n, reps, True)
    write("%s/flows-%d-b.pcap" % (d, n), n, reps, False)
    if vx:
        write("%s/flows-%d-a-vx.pcap" % (d, n), n, reps, True, vx=True)
    print(n * reps)


if __name__ == "__main__":
    main()
