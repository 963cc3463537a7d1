#!/usr/bin/env python3
"""A saved port that cannot come back when the switch starts (its af-packet
interface is gone) keeps everything that belongs to it: it stays in the
state file with its static FDB entries through later saves, its network
cannot be deleted from under it, and when the port is added again (the
interface is back) its static entries come back with it."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vlabtest import *  # noqa: E402,F403

NET, VNI = 'keep', 610
MAC = '02:76:6c:00:61:09'
EBUSY = -16


def statics(sw):
    with open(sw.state) as f:
        return json.load(f).get('static_fdb', [])


def main():
    require(switch=True, netns=True, hugepages_mb=64)
    tmp = tmpdir()
    ns = Netns('su')
    outer = PREFIX + 'su0'
    veth_into(ns, outer, 'eth0', '10.96.61.1/24')
    sw = register_switch(Switch(tmp)).start()
    sw.network_add(NET, VNI)
    sw.port_add('p1', 'af-packet', NET, iface=outer)
    sw.call_ok('fdb.add_static', {'network': NET, 'mac': MAC, 'port': 'p1'})
    check_eq('static entries saved', 1, len(statics(sw)))
    sw.stop_checked()

    # the interface goes away while the switch is down
    sh(['ip', 'link', 'del', outer])
    sw.start()
    check_eq('p1 after the restart', 'failed', sw.ports()['p1']['link'])

    # another change saves the file: p1 and its static entry stay in it
    sw.network_add('other', VNI + 1)
    kept = statics(sw)
    check(any(e['port'] == 'p1' and e['mac'] == MAC for e in kept),
          'the static entry of the unrestored port was dropped from the state file: %r' % kept)

    # its network cannot be deleted while the saved port belongs to it
    try:
        sw.call('network.del', {'name': NET})
        fail('network.del of a network with an unrestored port succeeded')
    except ApiError as e:
        check(e.code == EBUSY and 'p1' in e.message,
              'network.del of a network with an unrestored port: expected -16 naming p1, '
              'got %s %s' % (e.code, e.message))
    check(NET in sw.networks(), 'the network of the unrestored port was deleted')

    # the interface is back: adding the port again restores its static entry
    veth_into(ns, outer, 'eth1', '10.96.62.1/24')
    sw.port_add('p1', 'af-packet', NET, iface=outer)
    ent = [e for e in sw.fdb(NET) if e['mac'].lower() == MAC]
    check(ent and ent[0]['static'] and ent[0]['port'] == 'p1',
          'the saved static entry did not come back with its port: %r' % sw.fdb(NET))
    check_eq('link of p1 once re-added', 'connected', sw.ports()['p1']['link'])
    sw.stop_checked()


if __name__ == '__main__':
    run(main)
