#!/usr/bin/env python3
"""Network isolation with kernel interfaces.

ns1, ns2, ns3 each hold the inner end of a veth pair, all three addressed in
10.99.0.0/24 on purpose; the outer ends are af-packet ports of the switch:
ns1+ns2 on network A (vni 10), ns3 on network B (vni 20).  ns4 holds a tap
port the switch creates (network A).

- ns1 -> ns2 and ns1 -> ns4 (tap) ping; ns1 -> ns3 does not;
- nothing ns1 sends (ARP broadcasts included) reaches ns3: ns3's port
  tx_packets stays 0 and ns3's kernel interface receives nothing;
- network A's FDB has ns1's, ns2's, ns4's MACs on the right ports, network B's
  has none of them; ns3's own broadcasts are dropped as no_destination.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vlabtest import *  # noqa: E402,F403

NET_A, VNI_A = 'neta', 10
NET_B, VNI_B = 'netb', 20


def ns_rx_packets(ns, ifname):
    return int(ns.run(['cat', '/sys/class/net/%s/statistics/rx_packets' % ifname]).stdout)


def main():
    require(switch=True, netns=True, hugepages_mb=64)
    tmp = tmpdir()

    # Namespaces and veths first, so that the switch (created later) is
    # stopped first at cleanup.
    ns, outer, inner, macs = {}, {}, {}, {}
    for i in (1, 2, 3):
        ns[i] = Netns('n%d' % i)
        outer[i], inner[i] = '%so%d' % (PREFIX, i), '%si%d' % (PREFIX, i)
        macs[i] = veth_into(ns[i], outer[i], inner[i], '10.99.0.%d/24' % i)
    ns[4] = Netns('n4')
    tap = '%st4' % PREFIX

    sw = register_switch(Switch(tmp)).start()
    sw.network_add(NET_A, VNI_A)
    sw.network_add(NET_B, VNI_B)
    for i, net in ((1, NET_A), (2, NET_A), (3, NET_B)):
        r = sw.port_add('p%d' % i, 'af-packet', net, iface=outer[i])
        check_eq('port.add p%d type' % i, 'af-packet', r.get('type'))

    # tap port: the switch creates the interface; move it into ns4.
    sw.port_add('p4', 'tap', NET_A, iface=tap)
    check(iface_exists(tap), 'port.add p4 (tap, iface %s): interface not created' % tap)
    root_iface_quiet(tap)
    sh(['ip', 'link', 'set', tap, 'netns', ns[4].name])
    ns[4].run(['sysctl', '-qw', 'net.ipv6.conf.%s.disable_ipv6=1' % tap], check=False)
    ns[4].run(['ip', 'addr', 'add', '10.99.0.4/24', 'dev', tap])
    ns[4].run(['ip', 'link', 'set', tap, 'up'])
    macs[4] = ns[4].mac_of(tap)

    sw.wait_link(['p1', 'p2', 'p3'])
    ports = sw.ports()
    for i in (1, 2, 3):
        check_eq('port.list p%d iface' % i, outer[i], ports['p%d' % i].get('iface'))
    check_eq('port.list p4 type', 'tap', ports['p4'].get('type'))
    nets = sw.networks()
    check_eq('network.list %s ports' % NET_A, ['p1', 'p2', 'p4'], sorted(nets[NET_A]['ports']))
    check_eq('network.list %s ports' % NET_B, ['p3'], sorted(nets[NET_B]['ports']))

    p3_tx0 = sw.port_stats('p3')['tx_packets']
    check_eq('port p3 tx_packets before any ping (nothing else in %s)' % NET_B, 0, p3_tx0)
    ns3_rx0 = ns_rx_packets(ns[3], inner[3])

    # ---- same network: works
    ok, out = ns[1].ping('10.99.0.2', count=3, wait=2)
    check(ok, 'ping ns1 -> ns2 (10.99.0.2, same network %s) failed:\n%s' % (NET_A, out))
    ok, out = ns[1].ping('10.99.0.4', count=3, wait=2)
    check(ok, 'ping ns1 -> ns4 (10.99.0.4, tap port p4, same network %s) failed:\n%s'
          % (NET_A, out))

    # ---- other network: must not
    ok, out = ns[1].ping('10.99.0.3', count=3, wait=2)
    check(not ok, 'ping ns1 -> ns3 (10.99.0.3, other network %s) succeeded:\n%s'
          % (NET_B, out))
    time.sleep(0.5)
    p3 = sw.port_stats('p3')
    check_eq('port p3 (%s) tx_packets after ns1 pinged ns2, ns4 and ns3 (ARP '
             'broadcasts of %s must stay there)' % (NET_B, NET_A), p3_tx0, p3['tx_packets'])
    check_eq('ns3 %s kernel rx_packets after the pings from ns1' % inner[3],
             ns3_rx0, ns_rx_packets(ns[3], inner[3]))
    arp = ns[1].run(['ip', 'neigh', 'show', '10.99.0.3']).stdout
    check('lladdr' not in arp, 'ns1 resolved 10.99.0.3 (ns3, other network): %s' % arp.strip())

    # ns3 pings too: its ARP requests enter network B, which has no other port.
    before = sw.port_stats()
    ok, out = ns[3].ping('10.99.0.1', count=2, wait=1)
    check(not ok, 'ping ns3 -> ns1 (other network) succeeded:\n%s' % out)
    time.sleep(0.3)
    p3 = sw.port_stats('p3')
    check(p3['rx_packets'] > 0, 'port p3 rx_packets is 0 after ns3 pinged')
    check(p3['drops'].get('no_destination', 0) > 0,
          'port p3 drops.no_destination is 0 after ns3 sent broadcasts into a '
          'network with no other port: %r' % p3['drops'])
    after = sw.port_stats()
    rx = after['p3']['rx_packets'] - before['p3']['rx_packets']
    nd = (after['p3']['drops'].get('no_destination', 0) -
          before['p3']['drops'].get('no_destination', 0))
    check_eq('port p3: frames received from ns3 vs frames dropped as no_destination '
             '(all must be dropped: %s has no other port)' % NET_B, rx, nd)
    arp = ns[1].run(['ip', 'neigh', 'show']).stdout
    check(macs[3] not in arp, 'ns3\'s MAC %s appears in ns1\'s neighbour table:\n%s'
          % (macs[3], arp))

    # ---- FDB contents
    fdb_a = {e['mac'].lower(): e for e in sw.fdb(NET_A)}
    for i in (1, 2, 4):
        check(macs[i] in fdb_a, 'fdb.show %s: MAC %s of ns%d missing (entries: %s)'
              % (NET_A, macs[i], i, sorted(fdb_a)))
        check_eq('fdb.show %s: port of %s (ns%d)' % (NET_A, macs[i], i), 'p%d' % i,
                 fdb_a[macs[i]]['port'])
        check_eq('fdb.show %s: %s static' % (NET_A, macs[i]), False, fdb_a[macs[i]]['static'])
    check(macs[3] not in fdb_a, 'fdb.show %s: ns3\'s MAC %s (network %s) present'
          % (NET_A, macs[3], NET_B))
    fdb_b = {e['mac'].lower(): e for e in sw.fdb(NET_B)}
    for i in (1, 2, 4):
        check(macs[i] not in fdb_b, 'fdb.show %s: MAC %s of ns%d (network %s) present'
              % (NET_B, macs[i], i, NET_A))
    check(macs[3] in fdb_b and fdb_b[macs[3]]['port'] == 'p3',
          'fdb.show %s: ns3\'s MAC %s not learned on p3: %r' % (NET_B, macs[3], fdb_b))

    # stats consistency: top-level drops are the sums of the port drops
    st = sw.stats()
    for reason, total in st['drops'].items():
        s = sum(p['drops'].get(reason, 0) for p in st['ports'])
        check_eq('stats.drops.%s vs sum over ports' % reason, s, total)

    sw.stop_checked()
    check(not iface_exists(tap, ns[4]) and not iface_exists(tap),
          'tap interface %s still exists after the switch stopped' % tap)


if __name__ == '__main__':
    run(main)
