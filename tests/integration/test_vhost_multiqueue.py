#!/usr/bin/env python3
"""A vhost-user peer with two queue pairs (testpmd virtio-user, queues=2)
sends on both of its transmit queues: the switch polls every enabled queue,
so it receives every frame of both (exact counts), forwards them all to a
second two-queue peer, and port.list reports two queues per port. The same
holds when the switch owns the socket (server mode)."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vlabtest import *  # noqa: E402,F403

NET, VNI = 'mq', 300
MAC_A, MAC_B = mac(0x1a), mac(0x1b)


def settle(sw, A, B, timeout=10.0):
    last, deadline = None, time.monotonic() + timeout
    while True:
        a, b, s = A.port_stats(), B.port_stats(), sw.port_stats()
        cur = (a['tx'], s['pa']['rx_packets'], s['pb']['tx_packets'], b['rx'])
        if cur == last or time.monotonic() > deadline:
            return a, b, s
        last = cur
        time.sleep(0.3)


def main():
    require(switch=True, testpmd=True, hugepages_mb=320)
    tmp = tmpdir()
    sw = register_switch(Switch(tmp)).start()
    A = TestPmd(tmp, 'a', os.path.join(tmp, 'a.sock'), MAC_A, fwd='io', eth_peer=MAC_B,
                queues=2).start()
    B = TestPmd(tmp, 'b', os.path.join(tmp, 'b.sock'), MAC_B, fwd='rxonly', queues=2).start()
    A.wait_listening()
    B.wait_listening()
    sw.network_add(NET, VNI)
    sw.port_add('pa', 'vhost-user', NET, path=A.path)
    sw.port_add('pb', 'vhost-user', NET, path=B.path)
    A.wait_ready()
    B.wait_ready()
    sw.wait_link(['pa', 'pb'])
    check(wait_until(lambda: all(p.get('queues') == 2 for n, p in sw.ports().items()), 10),
          'port.list: expected 2 queues on both ports, got %r'
          % {n: p.get('queues') for n, p in sw.ports().items()})

    # tx_first 4 on each of A's two queues: 2 x 4 x 32 frames, half of them
    # from queue pair 1, which the switch only sees if it polls that queue
    a0, b0, s0 = A.port_stats(), B.port_stats(), sw.port_stats()
    B.start_fwd()
    A.start_fwd(tx_first=4)
    a, b, s = settle(sw, A, B)
    sent = a['tx'] - a0['tx']
    check_eq('testpmd A TX-packets (2 queues x tx_first 4 x 32)', 256, sent)
    check_eq('switch pa rx_packets (frames of both queues)', sent,
             s['pa']['rx_packets'] - s0['pa']['rx_packets'])
    check_eq('switch pb tx_packets', sent, s['pb']['tx_packets'] - s0['pb']['tx_packets'])
    check_eq('testpmd B RX-packets', sent, b['rx'] - b0['rx'])
    A.stop_fwd()
    B.stop_fwd()
    A.quit()
    B.quit()
    check(wait_until(lambda: sw.ports()['pa']['link'] == 'waiting', 10),
          'pa did not turn "waiting" after its peer left')

    # server mode: the switch owns the sockets, two-queue peers connect
    srv_a, srv_b = os.path.join(tmp, 'sa.sock'), os.path.join(tmp, 'sb.sock')
    sw.port_add('sa', 'vhost-user', NET, path=srv_a, mode='server')
    sw.port_add('sb', 'vhost-user', NET, path=srv_b, mode='server')
    C = TestPmd(tmp, 'c', srv_a, mac(0x1c), fwd='io', eth_peer=mac(0x1d), queues=2,
                client=True).start()
    D = TestPmd(tmp, 'd', srv_b, mac(0x1d), fwd='rxonly', queues=2, client=True).start()
    C.wait_ready()
    D.wait_ready()
    sw.wait_link(['sa', 'sb'])
    c0, d0 = C.port_stats(), D.port_stats()
    D.start_fwd()
    C.start_fwd(tx_first=4)
    check(wait_until(lambda: D.port_stats()['rx'] - d0['rx'] == 256, 10),
          'server mode: the two-queue peer did not receive all 256 frames (got %d)'
          % (D.port_stats()['rx'] - d0['rx']))
    check_eq('server mode: frames sent by C', 256, C.port_stats()['tx'] - c0['tx'])
    C.quit()
    D.quit()
    sw.stop_checked()


if __name__ == '__main__':
    run(main)
