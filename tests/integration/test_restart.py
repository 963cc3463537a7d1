#!/usr/bin/env python3
"""kill -9 the switch while two testpmd virtio-user peers exchange traffic,
start it again with the same --socket and --state: the networks and ports
come back from the state file without any API call, the peers reconnect and
traffic (B's RX-packets) resumes within 3 s of the new process start."""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vlabtest import *  # noqa: E402,F403

NET, VNI = 'lan', 4242
MAC_A, MAC_B = mac(0x1a), mac(0x1b)
RESUME_LIMIT = 3.0


def main():
    require(switch=True, testpmd=True, hugepages_mb=320)
    tmp = tmpdir()
    sw = register_switch(Switch(tmp)).start()

    A = TestPmd(tmp, 'a', os.path.join(tmp, 'a.sock'), MAC_A, fwd='txonly',
                eth_peer=MAC_B).start()
    B = TestPmd(tmp, 'b', os.path.join(tmp, 'b.sock'), MAC_B, fwd='rxonly').start()
    A.wait_listening()
    B.wait_listening()
    sw.network_add(NET, VNI)
    sw.port_add('pa', 'vhost-user', NET, path=A.path, mode='client')
    sw.port_add('pb', 'vhost-user', NET, path=B.path, mode='client')
    A.wait_ready()
    B.wait_ready()
    sw.wait_link(['pa', 'pb'])
    nets_before = sw.networks()
    ports_before = sw.ports()

    check(os.path.exists(sw.state), 'state file %s not written after configuration' % sw.state)
    try:
        with open(sw.state) as f:
            json.load(f)
    except ValueError as e:
        fail('state file %s is not JSON: %s' % (sw.state, e))

    B.start_fwd()
    A.start_fwd()

    def b_rx():
        return B.port_stats()['rx']

    r0 = b_rx()
    if not wait_until(lambda: b_rx() > r0, 5, 0.2):
        fail('before the restart: B RX-packets did not grow (traffic not flowing)')

    # ---- kill -9
    sw.kill9()
    log('switch killed')
    time.sleep(0.5)
    r1 = b_rx()
    time.sleep(0.5)
    r2 = b_rx()
    check_eq('B RX-packets while the switch is dead (no other path A->B)', r1, r2)

    # ---- start again: no API call except the readiness probe ("version")
    sw.start()
    t_start = sw.start_time
    resumed = None
    while time.monotonic() - t_start < RESUME_LIMIT + 5:
        if b_rx() > r2:
            resumed = time.monotonic() - t_start
            break
        time.sleep(0.1)
    check(resumed is not None,
          'traffic did not resume: B RX-packets stayed at %d for %.0fs after the '
          'switch restart' % (r2, RESUME_LIMIT + 5))
    log('traffic resumed %.2fs after the new switch process started' % resumed)
    check(resumed <= RESUME_LIMIT,
          'traffic resumed only %.2fs after the switch restart (limit %.1fs)'
          % (resumed, RESUME_LIMIT))

    # ---- restored configuration
    nets = sw.networks()
    check_eq('network.list after restart: networks', sorted(nets_before), sorted(nets))
    check_eq('network.list after restart: %s vni' % NET, VNI, nets[NET]['vni'])
    check_eq('network.list after restart: %s ports' % NET, ['pa', 'pb'],
             sorted(nets[NET]['ports']))
    ports = sw.ports()
    check_eq('port.list after restart: ports', sorted(ports_before), sorted(ports))
    for name in ('pa', 'pb'):
        for key in ('type', 'network', 'path', 'mode', 'iface', 'devargs', 'mac_limit'):
            check_eq('port.list after restart: %s %s' % (name, key),
                     ports_before[name].get(key), ports[name].get(key))
    sw.wait_link(['pa', 'pb'], timeout=5)
    st = sw.port_stats()
    check(st['pa']['rx_packets'] > 0, 'after restart: switch port pa rx_packets is 0')
    check(st['pb']['tx_packets'] > 0, 'after restart: switch port pb tx_packets is 0')
    fdb = sw.fdb(NET)
    check(any(e['mac'].lower() == MAC_A and e['port'] == 'pa' for e in fdb),
          'after restart: fdb.show %s does not have %s on pa: %r' % (NET, MAC_A, fdb))

    # ---- a second, clean restart (SIGTERM) keeps the configuration too
    A.stop_fwd()
    sw.stop_checked()
    sw.start()
    check_eq('port.list after SIGTERM restart', sorted(ports_before), sorted(sw.ports()))
    sw.wait_link(['pa', 'pb'], timeout=10)
    r3 = b_rx()
    A.start_fwd()
    if not wait_until(lambda: b_rx() > r3, 5, 0.2):
        fail('after the SIGTERM restart: B RX-packets did not grow')
    A.stop_fwd()
    B.stop_fwd()
    A.quit()
    B.quit()
    sw.stop_checked()


if __name__ == '__main__':
    run(main)
