#!/usr/bin/env python3
"""Static FDB entries: a static entry for ns1's MAC pointing at ns2's port
p2 is not moved by ns1's own traffic on p1, so ns2's replies hairpin on p2
(same_port drops) and ping fails; fdb.flush keeps it; it survives a restart
(state file); fdb.del_static restores learning and the ping; port.del
removes the port's static entries."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vlabtest import *  # noqa: E402,F403

NET, VNI = 'st', 500


def entry(sw, m):
    for e in sw.fdb(NET):
        if e['mac'].lower() == m:
            return e
    return None


def main():
    require(switch=True, netns=True, hugepages_mb=64)
    tmp = tmpdir()
    ns1, ns2 = Netns('n1'), Netns('n2')
    o1, o2 = PREFIX + 'o1', PREFIX + 'o2'
    m1 = veth_into(ns1, o1, PREFIX + 'i1', '10.99.0.1/24')
    m2 = veth_into(ns2, o2, PREFIX + 'i2', '10.99.0.2/24')
    sw = register_switch(Switch(tmp)).start()
    sw.network_add(NET, VNI)
    sw.port_add('p1', 'af-packet', NET, iface=o1)
    sw.port_add('p2', 'af-packet', NET, iface=o2)
    sw.wait_link(['p1', 'p2'])
    ok, out = ns1.ping('10.99.0.2')
    check(ok, 'ping ns1 -> ns2 failed before static entries:\n%s' % out)
    e = entry(sw, m1)
    check(e and e['port'] == 'p1' and not e['static'], 'ns1 MAC %s not learned on p1: %r' % (m1, e))

    # static entry: ns1's MAC "lives" on p2
    sw.call_ok('fdb.add_static', {'network': NET, 'mac': m1.upper(), 'port': 'p2'})
    e = entry(sw, m1)
    check(e is not None, 'fdb.show: static entry %s missing' % m1)
    check_eq('static entry %s port' % m1, 'p2', e['port'])
    check_eq('static entry %s static' % m1, True, e['static'])
    check_eq('static entry %s age' % m1, 0, e['age'])
    ns1.run(['ip', 'neigh', 'flush', 'all'])
    ns2.run(['ip', 'neigh', 'flush', 'all'])
    sp0 = sw.port_stats('p2')['drops'].get('same_port', 0)
    ok, out = ns1.ping('10.99.0.2', count=3, wait=1)
    check(not ok, 'ping ns1 -> ns2 succeeded although the static entry sends ns1\'s MAC '
          'to p2:\n%s' % out)
    e = entry(sw, m1)
    check(e and e['port'] == 'p2' and e['static'],
          'static entry %s moved by traffic from p1: %r' % (m1, e))
    sp1 = sw.port_stats('p2')['drops'].get('same_port', 0)
    check(sp1 > sp0, 'port p2 drops.same_port did not grow (%d -> %d) although ns2\'s '
          'frames to %s (static on p2) hairpin' % (sp0, sp1, m1))

    # flush keeps static entries
    r = sw.call_ok('fdb.flush', {'network': NET})
    check(isinstance(r.get('flushed'), int) and r['flushed'] >= 1,
          'fdb.flush %s: expected {"flushed": >=1} (ns2 learned), got %r' % (NET, r))
    e = entry(sw, m1)
    check(e and e['static'], 'fdb.flush removed the static entry %s' % m1)
    check(entry(sw, m2) is None, 'fdb.flush: learned entry %s still present' % m2)

    # persisted: a restart keeps it
    sw.stop_checked()
    sw.start()
    e = entry(sw, m1)
    check(e and e['static'] and e['port'] == 'p2',
          'static entry %s not restored from the state file after a restart: %r' % (m1, e))
    sw.wait_link(['p1', 'p2'])

    # delete: learning and ping work again
    sw.call_ok('fdb.del_static', {'network': NET, 'mac': m1})
    ok, out = ns1.ping('10.99.0.2', count=3, wait=2)
    check(ok, 'ping ns1 -> ns2 failed after fdb.del_static:\n%s' % out)
    e = entry(sw, m1)
    check(e and e['port'] == 'p1' and not e['static'],
          'after fdb.del_static, %s should be learned on p1: %r' % (m1, e))

    # port.del removes the port's static entries
    other = '02:76:6c:00:00:77'
    sw.call_ok('fdb.add_static', {'network': NET, 'mac': other, 'port': 'p2'})
    check(entry(sw, other) is not None, 'static entry %s missing after add' % other)
    sw.port_del('p2')
    check(entry(sw, other) is None, 'port.del p2 left its static entry %s' % other)
    check(entry(sw, m2) is None, 'port.del p2 left the learned entry %s' % m2)
    sw.stop_checked()
    sw.start()
    check(entry(sw, other) is None, 'static entry %s of deleted port p2 came back after '
          'a restart' % other)
    sw.stop_checked()


if __name__ == '__main__':
    run(main)
