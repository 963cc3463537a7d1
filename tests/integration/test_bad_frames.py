#!/usr/bin/env python3
"""Malformed and invalid frames: a pcap port replays a capture holding a runt,
a frame with a broadcast source MAC, one with an all-zero source, a good
broadcast, and a frame whose destination sits behind the receiving port.
The switch must stay up, drop exactly the bad ones with the right reason
(runt, src_multicast, src_zero, same_port), learn only valid sources, and
send only the good broadcast out of the other port (checked in the output
pcap written by DPDK's pcap driver)."""
import os
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vlabtest import *  # noqa: E402,F403

NET, VNI = 'bad', 700
A, B = '525400000001', '525400000002'


def write_pcap(path, frames):
    with open(path, 'wb') as f:
        f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for fr in frames:
            f.write(struct.pack('<IIII', 0, 0, len(fr), len(fr)))
            f.write(fr)


def read_pcap(path):
    frames = []
    with open(path, 'rb') as f:
        data = f.read()
    off = 24
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack('<IIII', data[off:off + 16])
        frames.append(data[off + 16:off + 16 + incl])
        off += 16 + incl
    return frames


def frame(dst, src, etype='0800'):
    return bytes.fromhex(dst + src + etype) + bytes(46)


def main():
    require(switch=True, hugepages_mb=64)
    tmp = tmpdir()
    inp, out = os.path.join(tmp, 'in.pcap'), os.path.join(tmp, 'out.pcap')
    good = frame('ffffffffffff', A, '0806')
    write_pcap(inp, [
        bytes.fromhex('0102030405060708090a'),        # runt: 10 bytes
        frame('ffffffffffff', 'ffffffffffff'),        # broadcast source
        frame('ffffffffffff', '000000000000'),        # zero source
        good,                                         # A is learned on "in"
        frame(A, B),                                  # B -> A, both behind "in"
    ])
    sw = register_switch(Switch(tmp)).start()
    sw.network_add(NET, VNI)
    sw.port_add('out', 'pcap', NET, devargs='tx_pcap=' + out)
    sw.port_add('in', 'pcap', NET, devargs='rx_pcap=' + inp)

    def replayed():
        return sw.port_stats('in')['rx_packets'] == 5
    check(wait_until(replayed, 10), 'the switch did not receive the 5 frames')
    time.sleep(0.3)
    st = sw.port_stats('in')
    for reason, want in (('runt', 1), ('src_multicast', 1), ('src_zero', 1),
                         ('same_port', 1), ('no_destination', 0), ('tx_failed', 0)):
        check_eq('drops.%s on port in' % reason, want, st['drops'][reason])
    check_eq('tx_packets on port out', 1, sw.port_stats('out')['tx_packets'])
    macs = sorted(e['mac'] for e in sw.fdb(NET))
    check_eq('learned MACs', ['52:54:00:00:00:01', '52:54:00:00:00:02'], macs)
    check(sw.call('version')['name'] == 'vlab-switchd', 'switch stopped answering')

    # the output capture holds exactly the good broadcast once the port is gone
    sw.port_del('out')
    frames = read_pcap(out)
    check_eq('frames written to out.pcap', 1, len(frames))
    check(frames[0] == good, 'out.pcap holds a different frame: %s' % frames[0].hex())
    sw.stop_checked()
    log('bad frames: every drop counted by reason, only the good frame forwarded')


if __name__ == '__main__':
    run(main)
