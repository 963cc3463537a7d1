#!/usr/bin/env python3
"""One switch, many ports: 200 namespace hosts on af-packet ports and 40
vhost-user server-mode ports, in 4 networks (far beyond DPDK's 32 ethdev
slots). port.list lists all 240; every host reaches its neighbour in its
own network; no host reaches a host of another network, although all
addresses share one subnet (so only the switch's isolation stops them).
Logs the time to add the ports and the switch's memory."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vlabtest import *  # noqa: E402,F403

N_NETS, HOSTS_PER_NET, VHOST_PORTS = 4, 50, 40


def rss_kb(pid):
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1])
    return 0


def addr(net, i):
    return '10.96.%d.%d' % (net, i + 1)


def ping_all(pairs, expect):
    """Runs every (ns, address) ping at once in batches; returns the pairs
    whose outcome differs from `expect`."""
    bad = []
    for k in range(0, len(pairs), 50):
        batch = pairs[k:k + 50]
        # reachable: up to 3 tries, one answer is enough; unreachable: 3 tries, none may answer
        procs = [(ns, a, ns.spawn(['ping', '-n', '-q', '-c', '3', '-i', '0.2', '-W', '1', a],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
                 for ns, a in batch]
        for ns, a, p in procs:
            try:
                rc = p.wait(30)
            except subprocess.TimeoutExpired:
                rc = None
            stop(p)
            if (rc == 0) != expect:
                bad.append((ns.name, a, rc))
    return bad


def main():
    require(switch=True, netns=True, hugepages_mb=128)
    tmp = tmpdir()
    sw = register_switch(Switch(tmp)).start()
    for n in range(N_NETS):
        sw.network_add('s%d' % n, 700 + n)

    t0 = time.monotonic()
    hosts = []  # (net, index, Netns)
    for n in range(N_NETS):
        for i in range(HOSTS_PER_NET):
            ns = Netns('s%d-%d' % (n, i))
            veth_into(ns, '%so%d-%d' % (PREFIX, n, i), 'eth0', addr(n, i) + '/16')
            hosts.append((n, i, ns))
    log('%d namespace hosts created in %.1f s' % (len(hosts), time.monotonic() - t0))

    rss0 = rss_kb(sw.proc.pid)
    t0 = time.monotonic()
    for n, i, ns in hosts:
        sw.port_add('h%d-%d' % (n, i), 'af-packet', 's%d' % n, iface='%so%d-%d' % (PREFIX, n, i))
    for v in range(VHOST_PORTS):
        sw.port_add('v%d' % v, 'vhost-user', 's%d' % (v % N_NETS),
                    path=os.path.join(tmp, 'v%d.sock' % v), mode='server')
    dt = time.monotonic() - t0
    n_ports = len(hosts) + VHOST_PORTS
    log('%d ports added in %.2f s (%.1f ms each); switch RSS %d MB -> %d MB'
        % (n_ports, dt, dt * 1000 / n_ports, rss0 // 1024, rss_kb(sw.proc.pid) // 1024))

    ports = sw.ports()
    check_eq('ports listed by port.list', n_ports, len(ports))
    for v in range(VHOST_PORTS):
        p = ports['v%d' % v]
        check_eq('v%d type' % v, 'vhost-user', p['type'])
        check_eq('v%d link (no peer)' % v, 'waiting', p['link'])
        check(os.path.exists(os.path.join(tmp, 'v%d.sock' % v)),
              'server-mode port v%d did not create its socket' % v)
    sw.wait_link(['h%d-%d' % (n, i) for n, i, _ in hosts], timeout=30)
    nets = sw.networks()
    for n in range(N_NETS):
        check_eq('ports in network s%d' % n, HOSTS_PER_NET + VHOST_PORTS // N_NETS,
                 len(nets['s%d' % n]['ports']))

    # every host pings its neighbour in the same network
    same = [(ns, addr(n, (i + 1) % HOSTS_PER_NET)) for n, i, ns in hosts]
    t0 = time.monotonic()
    bad = ping_all(same, True)
    check(not bad, '%d of %d pings inside a network failed: %s' % (len(bad), len(same), bad[:10]))
    log('%d pings inside networks answered (%.1f s)' % (len(same), time.monotonic() - t0))

    # a sample across networks: never answered (same subnet, other network)
    across = [(ns, addr((n + 1) % N_NETS, i)) for n, i, ns in hosts if i % 5 == 0]
    bad = ping_all(across, False)
    check(not bad, 'pings across networks were answered: %s' % bad[:10])
    log('%d pings across networks unanswered, as they must be' % len(across))

    st = sw.stats()
    learned = {x['name']: x['macs'] for x in st['networks']}
    for n in range(N_NETS):
        check(learned['s%d' % n] >= HOSTS_PER_NET,
              'network s%d learned %d MACs, expected at least %d' %
              (n, learned['s%d' % n], HOSTS_PER_NET))
    log('switch RSS after traffic: %d MB' % (rss_kb(sw.proc.pid) // 1024))

    # removing them all leaves an empty, working switch
    t0 = time.monotonic()
    for name in list(ports):
        sw.port_del(name)
    log('%d ports removed in %.2f s' % (n_ports, time.monotonic() - t0))
    check_eq('ports after removing all', 0, len(sw.ports()))
    sw.stop_checked()


if __name__ == '__main__':
    run(main)
