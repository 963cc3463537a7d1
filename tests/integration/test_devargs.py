#!/usr/bin/env python3
"""Devargs of ring, null and pcap ports reach DPDK only as each type takes
them. The requests that crashed the switch (a null device asked for frames
larger than a packet buffer) or leaked a device per request (net_ring's
nodeaction) are refused with a message naming the key; 40 such requests
leave room for the next valid port; and a state file that holds such a port
(saved by an older switch, or edited by hand) does not crash a start: the
port is kept as "failed". A pcap port reads only pcap files and never
overwrites a file that is not one."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vlabtest import *  # noqa: E402,F403

NET, VNI = 'dv', 620
EINVAL = -22


def refused(sw, name, type, devargs, needle):
    try:
        sw.call('port.add', {'name': name, 'type': type, 'network': NET, 'devargs': devargs})
    except ApiError as e:
        check(e.code == EINVAL and needle in e.message,
              'port.add %s devargs %r: expected -22 with %r, got %s %s'
              % (type, devargs, needle, e.code, e.message))
        return
    fail('port.add %s with devargs %r was accepted' % (type, devargs))


def main():
    require(switch=True, hugepages_mb=64)
    tmp = tmpdir()
    sw = register_switch(Switch(tmp)).start()
    sw.network_add(NET, VNI)

    refused(sw, 'gen', 'null', 'no-rx=0,copy=1,size=65535', 'size')
    refused(sw, 'gen', 'null', 'no-rx=0,copy=1,size=4096', 'size')
    refused(sw, 'gen', 'null', 'size=2100', 'size')
    for k in range(40):
        refused(sw, 'r%d' % k, 'ring', 'nodeaction=leak%d:0:CREATE' % k, 'no devargs')
    refused(sw, 'cap', 'pcap', 'iface=lo', 'iface')
    # pcap files: rx_pcap must be a classic pcap file; tx_pcap, which the
    # port truncates, must be new, empty or a pcap file already
    missing = os.path.join(tmp, 'missing.pcap')
    refused(sw, 'cap', 'pcap', 'rx_pcap=' + missing, 'does not exist')
    text = os.path.join(tmp, 'notes.txt')
    with open(text, 'w') as f:
        f.write('precious notes, not a capture\n' * 4)
    refused(sw, 'cap', 'pcap', 'rx_pcap=' + text, 'is not a pcap file')
    refused(sw, 'cap', 'pcap', 'tx_pcap=' + text, 'would overwrite it')
    with open(text) as f:
        check_eq('a file named as tx_pcap', 'precious notes, not a capture\n' * 4, f.read())
    ng = os.path.join(tmp, 'in.pcapng')
    with open(ng, 'wb') as f:
        f.write(b'\x0a\x0d\x0d\x0a' + bytes(28))
    refused(sw, 'cap', 'pcap', 'rx_pcap=' + ng, 'editcap -F pcap')
    refused(sw, 'cap', 'pcap', 'rx_pcap=' + tmp, 'not a regular file')
    out = os.path.join(tmp, 'out.pcap')
    sw.port_add('cap', 'pcap', NET, devargs='tx_pcap=' + out)
    sw.port_del('cap')
    check(os.path.exists(out), 'a pcap port with a new tx_pcap did not create it')
    # the file it wrote is a pcap file, so it may be named again
    sw.port_add('cap', 'pcap', NET, devargs='tx_pcap=' + out)
    sw.port_del('cap')
    check(sw.alive(), 'the switch died on refused devargs')
    # the ethdev table is still free: valid ports are added
    sw.port_add('z0', 'null', NET)
    sw.port_add('g0', 'null', NET, devargs='no-rx=0,copy=1,size=2048')
    sw.port_add('r0', 'ring', NET)
    check_eq('ports', ['g0', 'r0', 'z0'], sorted(sw.ports()))
    sw.port_del('g0')
    sw.stop_checked()

    # a state file holding the crashing port: the start survives, the port fails
    with open(sw.state) as f:
        state = json.load(f)
    state['ports'].append({'name': 'gen', 'type': 'null', 'network': NET,
                           'devargs': 'no-rx=0,copy=1,size=65535', 'mac_limit': 4096})
    with open(sw.state, 'w') as f:
        json.dump(state, f)
    sw.start()
    ports = sw.ports()
    check_eq('the saved crashing port after a start', 'failed', ports['gen']['link'])
    check_eq('the other saved ports', 'connected', ports['z0']['link'])
    sw.port_del('gen')
    sw.stop_checked()


if __name__ == '__main__':
    run(main)
