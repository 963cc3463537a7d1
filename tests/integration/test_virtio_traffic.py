#!/usr/bin/env python3
"""Two testpmd virtio-user peers (vhost-user servers) on one network of the
switch (vhost-user client ports): counters of the peers and of the switch
must agree, links are "connected", the FDB learns the sender's MAC.

Phase 1: A sends exactly 4 bursts of 32 frames to B's (unknown) MAC
         (`start tx_first 4` in io mode; A receives nothing, so sends nothing
         else); every frame is flooded to B and B receives all of them.
Phase 2: A sends at full rate for about 1 s (txonly); B shares a CPU with A,
         so the switch may fail to enqueue some frames: conservation must
         hold with the tx_failed drop counter.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vlabtest import *  # noqa: E402,F403

NET, VNI = 'lan', 100
MAC_A, MAC_B = mac(0x0a), mac(0x0b)


def drops_sum(ps):
    return sum(ps.get('drops', {}).values())


def settle(sw, A, B, timeout=10.0):
    """Waits until the switch has consumed everything A sent and B has
    received everything the switch sent (counters stop changing)."""
    last = None
    deadline = time.monotonic() + timeout
    while True:
        a, b = A.port_stats(), B.port_stats()
        ps = sw.port_stats()
        cur = (a['tx'], ps['pa']['rx_packets'], ps['pb']['tx_packets'],
               drops_sum(ps['pa']), b['rx'])
        if cur == last:
            return a, b, ps
        last = cur
        if time.monotonic() > deadline:
            return a, b, ps
        time.sleep(0.3)


def check_conservation(phase, a0, b0, s0, a, b, s, exact=False):
    # tx_failed is counted on the output port (pb): the frame was received
    # on pa and could not be enqueued to pb (B's ring full).
    sent = a['tx'] - a0['tx']
    pa_rx = s['pa']['rx_packets'] - s0['pa']['rx_packets']
    pb_tx = s['pb']['tx_packets'] - s0['pb']['tx_packets']
    txf = (s['pb']['drops'].get('tx_failed', 0) -
           s0['pb']['drops'].get('tx_failed', 0))
    pa_drops = drops_sum(s['pa']) - drops_sum(s0['pa'])
    pb_other = drops_sum(s['pb']) - drops_sum(s0['pb']) - txf
    b_rx = b['rx'] - b0['rx']
    log('%s: A TX %d, switch pa rx %d, pb tx %d, pb tx_failed %d, pa drops %d, '
        'pb other drops %d, B RX %d' % (phase, sent, pa_rx, pb_tx, txf, pa_drops,
                                         pb_other, b_rx))
    check(sent > 0, '%s: testpmd A sent nothing (TX-packets did not grow)' % phase)
    check_eq('%s: switch port pa rx_packets vs testpmd A TX-packets' % phase, sent, pa_rx)
    check_eq('%s: drops counted on port pa (%r)' % (phase, s['pa']['drops']), 0, pa_drops)
    check_eq('%s: drops on port pb other than tx_failed (%r)' % (phase, s['pb']['drops']),
             0, pb_other)
    check_eq('%s: switch port pb tx_packets + pb drops.tx_failed vs A TX-packets'
             % phase, sent, pb_tx + txf)
    check_eq('%s: testpmd B RX-packets vs switch port pb tx_packets' % phase, pb_tx, b_rx)
    if exact:
        check_eq('%s: pb drops.tx_failed' % phase, 0, txf)
        check_eq('%s: switch port pb tx_packets' % phase, sent, pb_tx)
    check_eq('%s: switch port pb rx_packets (B sends nothing)' % phase,
             s0['pb']['rx_packets'], s['pb']['rx_packets'])
    check_eq('%s: switch port pa tx_packets (nothing is sent to A)' % phase,
             s0['pa']['tx_packets'], s['pa']['tx_packets'])
    stp = sum(p['drops'].get('tx_failed', 0) for p in (s['pa'], s['pb']))
    return stp


def main():
    require(switch=True, testpmd=True, hugepages_mb=320)
    tmp = tmpdir()
    sw = register_switch(Switch(tmp)).start()

    A = TestPmd(tmp, 'a', os.path.join(tmp, 'a.sock'), MAC_A, fwd='io',
                eth_peer=MAC_B).start()
    B = TestPmd(tmp, 'b', os.path.join(tmp, 'b.sock'), MAC_B, fwd='rxonly').start()
    A.wait_listening()
    B.wait_listening()

    sw.network_add(NET, VNI)
    for name, peer in (('pa', A), ('pb', B)):
        r = sw.port_add(name, 'vhost-user', NET, path=peer.path, mode='client')
        check_eq('port.add %s result name' % name, name, r.get('name'))
        check(r.get('link') in ('connected', 'waiting'),
              'port.add %s: link must be "connected" or "waiting", got %r' % (name, r.get('link')))
    A.wait_ready()
    B.wait_ready()
    sw.wait_link(['pa', 'pb'])

    ports = sw.ports()
    for name, peer in (('pa', A), ('pb', B)):
        p = ports[name]
        check_eq('port.list %s type' % name, 'vhost-user', p.get('type'))
        check_eq('port.list %s network' % name, NET, p.get('network'))
        check_eq('port.list %s path' % name, peer.path, p.get('path'))
        check_eq('port.list %s mode' % name, 'client', p.get('mode'))
        check_eq('port.list %s link' % name, 'connected', p.get('link'))
    nets = sw.networks()
    check_eq('network.list %s vni' % NET, VNI, nets[NET]['vni'])
    check_eq('network.list %s ports' % NET, ['pa', 'pb'], sorted(nets[NET]['ports']))

    # ---- phase 1: exactly 128 frames, all flooded to B
    sw.call_ok('stats.clear')
    s0 = sw.stats()
    for p in s0['ports']:
        check_eq('after stats.clear: %s rx_packets' % p['name'], 0, p['rx_packets'])
    s0 = {p['name']: p for p in s0['ports']}
    a0, b0 = A.port_stats(), B.port_stats()
    B.start_fwd()
    A.start_fwd(tx_first=4)
    a, b, s = settle(sw, A, B)
    check_eq('phase 1: testpmd A TX-packets (tx_first 4 bursts of 32)', 128, a['tx'] - a0['tx'])
    check_conservation('phase 1', a0, b0, s0, a, b, s, exact=True)
    st = sw.stats()
    net = {n['name']: n for n in st['networks']}[NET]
    check_eq('phase 1: network %s flooded (B\'s MAC is unknown)' % NET, 128, net.get('flooded'))
    check_eq('phase 1: network %s learned events' % NET, 1, net.get('learned'))
    A.stop_fwd()

    # FDB: A's MAC learned on pa, B's MAC unknown (B never sent).
    fdb = sw.fdb(NET)
    ent = [e for e in fdb if e['mac'].lower() == MAC_A]
    check(len(ent) == 1, 'fdb.show %s: expected one entry for %s, got %r' % (NET, MAC_A, fdb))
    check_eq('fdb entry %s port' % MAC_A, 'pa', ent[0]['port'])
    check_eq('fdb entry %s static' % MAC_A, False, ent[0]['static'])
    check(isinstance(ent[0].get('age'), int) and ent[0]['age'] >= 0,
          'fdb entry age must be a non-negative integer, got %r' % ent[0].get('age'))
    check(not any(e['mac'].lower() == MAC_B for e in fdb),
          'fdb.show: %s (never sent anything) must not be learned: %r' % (MAC_B, fdb))
    check_eq('network.list %s macs' % NET, 1, sw.networks()[NET]['macs'])
    check_eq('port.list pa macs', 1, sw.ports()['pa']['macs'])

    # ---- phase 2: full rate for about one second
    a0, b0, s0 = A.port_stats(), B.port_stats(), sw.port_stats()
    A.cmd('set fwd txonly')
    A.start_fwd()
    time.sleep(1.0)
    A.stop_fwd()
    a, b, s = settle(sw, A, B)
    check_conservation('phase 2', a0, b0, s0, a, b, s)
    check(b['rx'] - b0['rx'] > 0, 'phase 2: testpmd B received nothing')

    pmds = sw.stats().get('pmds', [])
    check(any(p.get('lcore') == 1 for p in pmds),
          'stats.pmds: expected a PMD on lcore 1 (--pmd-cores 1), got %r' % pmds)

    # ---- the CLI, when it is built, must agree with the API
    if cli_available():
        pl = cli(sw.sock, 'switch', 'port', 'list', json_out=True)
        names = sorted(p['name'] for p in (pl if isinstance(pl, list) else pl.get('ports', [])))
        check_eq('vlab -j switch port list: port names', ['pa', 'pb'], names)
        out = cli(sw.sock, 'switch', 'fdb', 'show', NET).stdout
        check(MAC_A in out.lower(), 'vlab switch fdb show %s: %s missing in:\n%s' % (NET, MAC_A, out))
        out = cli(sw.sock, 'switch', 'stats').stdout
        check('pa' in out and 'pb' in out, 'vlab switch stats: ports missing in:\n%s' % out)
    else:
        log('NOTE: CLI %s not built; CLI checks not run' % cli_path())

    # ---- peer B goes away: its port must turn to "waiting"
    B.quit()
    if not wait_until(lambda: sw.ports()['pb']['link'] == 'waiting', 10, 0.2):
        fail('port pb link after testpmd B quit: expected "waiting", got %r'
             % sw.ports()['pb']['link'])
    check_eq('port pa link while B is gone', 'connected', sw.ports()['pa']['link'])
    A.quit()
    sw.stop_checked()


if __name__ == '__main__':
    run(main)
