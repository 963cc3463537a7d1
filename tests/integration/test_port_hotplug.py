#!/usr/bin/env python3
"""Ports added and removed at run time do not disturb traffic on the other
ports: ns1 pings ns2 (af-packet ports p1, p2) at 50 packets/s while other
ports (af-packet, tap, vhost-user server) come and go on the same
network; not one ping may be lost.  A null port must not inject frames.  port.del removes the port's FDB entries
and an emptied network can be deleted."""
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vlabtest import *  # noqa: E402,F403

NET, VNI = 'hot', 300
PINGS = 300
INTERVAL = 0.02


def main():
    require(switch=True, netns=True, hugepages_mb=64)
    tmp = tmpdir()
    ns = {}
    outer, macs = {}, {}
    for i in (1, 2, 3):
        ns[i] = Netns('n%d' % i)
        outer[i] = '%so%d' % (PREFIX, i)
        macs[i] = veth_into(ns[i], outer[i], '%si%d' % (PREFIX, i), '10.99.0.%d/24' % i)

    sw = register_switch(Switch(tmp)).start()
    sw.network_add(NET, VNI)
    sw.port_add('p1', 'af-packet', NET, iface=outer[1])
    sw.port_add('p2', 'af-packet', NET, iface=outer[2])
    sw.wait_link(['p1', 'p2'])
    ok, out = ns[1].ping('10.99.0.2', count=3, wait=2)
    check(ok, 'ping ns1 -> ns2 failed before the hotplug phase:\n%s' % out)

    pinglog = os.path.join(tmp, 'ping.log')
    with open(pinglog, 'wb') as f:
        pinger = ns[1].spawn(['ping', '-n', '-i', str(INTERVAL), '-c', str(PINGS), '-W', '2',
                              '10.99.0.2'], stdout=f, stderr=subprocess.STDOUT)
    t_end = time.monotonic() + PINGS * INTERVAL * 0.8
    rounds = 0
    tap = PREFIX + 't'
    vsock = os.path.join(tmp, 'v.sock')
    while time.monotonic() < t_end or rounds < 2:
        rounds += 1
        sw.port_add('p3', 'af-packet', NET, iface=outer[3])
        sw.port_add('t1', 'tap', NET, iface=tap)
        root_iface_quiet(tap)
        r = sw.port_add('v1', 'vhost-user', NET, path=vsock, mode='server')
        check_eq('vhost-user server port without a peer: link', 'waiting', r.get('link'))
        check(os.path.exists(vsock), 'vhost-user server port v1: socket %s not created' % vsock)
        if rounds == 1:
            # ns3 speaks once: its MAC is learned on p3 ...
            ns[3].ping('10.99.0.1', count=1, wait=2)
            fdb = {e['mac'].lower(): e['port'] for e in sw.fdb(NET)}
            check_eq('fdb.show %s: port of ns3\'s MAC %s' % (NET, macs[3]), 'p3',
                     fdb.get(macs[3]))
        check_eq('network.list %s ports (round %d)' % (NET, rounds),
                 ['p1', 'p2', 'p3', 't1', 'v1'], sorted(sw.networks()[NET]['ports']))
        for name in ('p3', 't1', 'v1'):
            sw.port_del(name)
        if rounds == 1:
            # ... and removed with the port
            fdb = {e['mac'].lower(): e['port'] for e in sw.fdb(NET)}
            check(macs[3] not in fdb, 'fdb.show %s after port.del p3: ns3\'s MAC %s still '
                  'present (on %s)' % (NET, macs[3], fdb.get(macs[3])))
        check_eq('port.list after deleting the extra ports (round %d)' % rounds,
                 ['p1', 'p2'], sorted(sw.ports()))
        check(not iface_exists(tap), 'tap %s still exists after port.del t1' % tap)
    log('%d add/del rounds of 3 ports during the ping' % rounds)

    try:
        pinger.wait(PINGS * INTERVAL + 30)
    except subprocess.TimeoutExpired:
        fail('ping did not finish')
    out = open(pinglog).read()
    m = re.search(r'(\d+) packets transmitted, (\d+) received', out)
    check(m, 'cannot parse the ping summary:\n%s' % out[-500:])
    sent, recv = int(m.group(1)), int(m.group(2))
    check_eq('ping ns1 -> ns2 replies while ports were added and removed '
             '(%d rounds; sent %d)' % (rounds, sent), sent, recv)
    check_eq('pings sent', PINGS, sent)

    # A null port is a sink: it must not inject frames into the network
    # (net_null's rx returns endless packets made of recycled buffers, which
    # would move learned MACs of real hosts to the null port).
    sw.call_ok('stats.clear')
    sw.port_add('z1', 'null', NET)
    ok, out = ns[1].ping('10.99.0.2', count=3, wait=2, interval=0.2)
    z1 = sw.port_stats('z1')
    fdb = {e['mac'].lower(): e['port'] for e in sw.fdb(NET)}
    sw.port_del('z1')
    check_eq('null port z1 rx_packets (frames injected into network %s by a null port)'
             % NET, 0, z1['rx_packets'])
    check(fdb.get(macs[1]) == 'p1' and fdb.get(macs[2]) == 'p2',
          'with a null port on the network, ns1/ns2 MACs moved: %s -> %s, %s -> %s'
          % (macs[1], fdb.get(macs[1]), macs[2], fdb.get(macs[2])))
    check(ok, 'ping ns1 -> ns2 with a null port on the network failed:\n%s' % out)

    # an emptied network can be deleted; a populated one cannot
    try:
        sw.call('network.del', {'name': NET})
        fail('network.del %s with ports attached succeeded (expected error -16)' % NET)
    except ApiError as e:
        check_eq('network.del with ports: error code', -16, e.code)
    sw.port_del('p1')
    sw.port_del('p2')
    sw.call_ok('network.del', {'name': NET})
    check_eq('network.list after deleting everything', [], sw.call_ok('network.list'))
    check_eq('port.list after deleting everything', [], sw.call_ok('port.list'))
    sw.stop_checked()


if __name__ == '__main__':
    run(main)
