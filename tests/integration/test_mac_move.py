#!/usr/bin/env python3
"""MAC moves: host "x" (MAC M, 10.99.0.1) answers ns2's pings behind port p1;
then the same MAC and address appear behind port p3 (the guest "migrated")
and p1 goes quiet. After one gratuitous ARP from the new place, the switch
moves M to p3 (FDB and learned counter) and every one of ns2's following
pings reaches it there."""
import os
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vlabtest import *  # noqa: E402,F403

NET, VNI = 'mv', 800
MAC = '52:54:00:99:00:01'


def fdb_port(sw, mac):
    for e in sw.fdb(NET):
        if e['mac'].lower() == mac:
            return e['port']
    return None


def main():
    require(switch=True, netns=True, hugepages_mb=64)
    if not shutil.which('arping'):
        fail('prerequisite: arping not found (package arping)')
    tmp = tmpdir()
    ns1, ns2, ns3 = Netns('m1'), Netns('m2'), Netns('m3')
    o1, o2, o3 = PREFIX + 'a1', PREFIX + 'a2', PREFIX + 'a3'
    i1, i2, i3 = PREFIX + 'b1', PREFIX + 'b2', PREFIX + 'b3'
    veth_into(ns1, o1, i1, '10.99.0.1/24', MAC)
    veth_into(ns2, o2, i2, '10.99.0.2/24')
    veth_into(ns3, o3, i3, None, MAC)   # same MAC, no address yet
    ns3.run(['ip', 'link', 'set', i3, 'down'])
    sw = register_switch(Switch(tmp)).start()
    sw.network_add(NET, VNI)
    for p, o in (('p1', o1), ('p2', o2), ('p3', o3)):
        sw.port_add(p, 'af-packet', NET, iface=o)
    sw.wait_link(['p1', 'p2', 'p3'])

    check(ns2.ping('10.99.0.1', count=5, interval=0.1)[0], 'ns2 cannot ping 10.99.0.1 on ns1')
    check_eq('port of %s before the move' % MAC, 'p1', fdb_port(sw, MAC))

    # the move: ns1 goes quiet, ns3 takes the MAC and the address
    ns1.run(['ip', 'link', 'set', i1, 'down'])
    ns3.run(['ip', 'addr', 'add', '10.99.0.1/24', 'dev', i3])
    ns3.run(['ip', 'link', 'set', i3, 'up'])
    before = sw.port_stats('p3')['tx_packets']
    # no API request between the move and the pings (a request also resets
    # the datapath's per-port caches): the move alone must redirect traffic
    ns3.run(['arping', '-U', '-c', '1', '-I', i3, '10.99.0.1'], check=False)
    time.sleep(0.3)
    ok, out = ns2.ping('10.99.0.1', count=5, interval=0.1)
    check(ok and ' 0% packet loss' in out,
          'ns2 does not reach 10.99.0.1 at its new place behind p3: %s' % out)
    check_eq('port of %s after the move' % MAC, 'p3', fdb_port(sw, MAC))
    check(sw.port_stats('p3')['tx_packets'] >= before + 5,
          'the pings did not go out of p3 after the move')
    stats = {n['name']: n for n in sw.stats()['networks']}
    check(stats[NET]['learned'] >= 3, 'learning events not counted: %s' % stats[NET])
    sw.stop_checked()


if __name__ == '__main__':
    run(main)
