#!/usr/bin/env python3
"""Policies in the switch, with namespace hosts on af-packet ports.

Three hosts h1, h2, h3 on network `pn` (10.95.0.0/24), policies set through
the API:
- allowed and blocked ping, and the hit counters match the pings sent;
- `stateful`: TCP from h1 to h2:8080 connects, from h2 to h1:8080 does not
  (the SYN is dropped by the default), the replies count as related;
- `reject`: a TCP connect to a rejected port fails at once with a RST
  (connection refused), UDP there gets an ICMP unreachable;
- `rate-limit`: a UDP flood at several times the rate passes within 10% of
  the rate for its duration;
- a policy changed 30 times under a continuous allowed UDP flow loses no
  packet of it (numbered datagrams, counted at both ends), and the
  connection table survives the changes;
- `mirror` copies the matching frames to a capture of the policy;
- bad policies are rejected with the rule and key named, and nothing changes;
- policy.del takes a policy out of the path.
"""
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vlabtest import *  # noqa: E402,F403

NET, VNI = 'pn', 95
IP = {1: '10.95.0.1', 2: '10.95.0.2', 3: '10.95.0.3'}

# A UDP sender and receiver run inside the namespaces (python3 is there).
SENDER = r'''
import socket, sys, time
dst, port, pps, secs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
n, t0 = 0, time.monotonic()
while True:
    now = time.monotonic()
    if now - t0 >= secs:
        break
    want = int((now - t0) * pps) + 1
    while n < want:
        s.sendto(n.to_bytes(8, 'big') + bytes(56), (dst, port))
        n += 1
    time.sleep(0.0005)
print(n, time.monotonic() - t0)
'''

RECEIVER = r'''
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
s.bind(('0.0.0.0', int(sys.argv[1])))
s.settimeout(float(sys.argv[2]))
print('ready', flush=True)
seen = set()
try:
    while True:
        d = s.recv(2048)
        seen.add(int.from_bytes(d[:8], 'big'))
except socket.timeout:
    pass
print(len(seen), max(seen) + 1 if seen else 0)
'''

# Connects to (dst, port) within `timeout`: prints ok, refused or timeout.
CONNECT = r'''
import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=float(sys.argv[3]))
    print('ok')
except ConnectionRefusedError:
    print('refused')
except (socket.timeout, TimeoutError):
    print('timeout')
'''

# Accepts connections until killed.
LISTEN = r'''
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('0.0.0.0', int(sys.argv[1])))
s.listen(16)
print('ready', flush=True)
while True:
    c, _ = s.accept()
    c.close()
'''


def py(ns, script, *args, timeout=60):
    p = ns.run(['python3', '-c', script] + [str(a) for a in args], timeout=timeout)
    return p.stdout.strip()


def spawn_ready(ns, script, *args):
    p = ns.spawn(['python3', '-c', script] + [str(a) for a in args],
                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    on_cleanup(lambda p=p: p.poll() is None and p.kill(), name='kill helper')
    line = p.stdout.readline().strip()
    check(line == 'ready', 'helper in %s did not start: %r %s' % (ns.name, line,
                                                             p.poll() is not None and p.stderr.read()))
    return p


def pings(ns, ip, count=3, wait=2, interval=0.2):
    return ns.ping(ip, count=count, wait=wait, interval=interval)[0]


def api_error(sw, method, params):
    try:
        sw.call(method, params)
    except ApiError as e:
        return str(e)
    fail('%s %r was accepted' % (method, params))


def policy(sw, name, rules, default=None, apply=None):
    params = {'name': name, 'rules': rules,
              'apply': apply if apply is not None else [{'network': NET, 'direction': 'in'}]}
    if default:
        params['default'] = default
    return sw.call_ok('policy.set', params)


def hits(sw, name):
    p = sw.call_ok('policy.list', {'name': name})['policies'][0]
    return [r['packets'] for r in p['rules']], p['default_hits']['packets'], \
        p['related_hits']['packets']


def drops(sw, port):
    return sw.port_stats(port)['drops']


def main():
    require(switch=True, netns=True, hugepages_mb=128)
    tmp = tmpdir()
    ns = {}
    for i in (1, 2, 3):
        ns[i] = Netns('pol%d' % i)
        veth_into(ns[i], PREFIX + 'q%d' % i, 'eth0', IP[i] + '/24')
    sw = register_switch(Switch(tmp)).start()
    sw.network_add(NET, VNI)
    for i in (1, 2, 3):
        sw.port_add('p%d' % i, 'af-packet', NET, iface=PREFIX + 'q%d' % i)
    check(pings(ns[1], IP[2], count=2), 'h1 -> h2 ping without a policy')

    # ---- ping allowed and blocked, with counters ----
    rules = [{'action': 'allow', 'ethertype': 'arp'},
             {'action': 'allow', 'proto': 'icmp', 'src': IP[1], 'stateful': True},
             {'action': 'count', 'proto': 'icmp', 'src': IP[3]}]
    r = policy(sw, 'web', rules, default='drop')
    check_eq('policy.set rules', 3, r['rules'])
    check_eq('policy.set warnings', [], r['warnings'])
    before = hits(sw, 'web')
    check(pings(ns[1], IP[2], count=5, interval=0.2), 'h1 -> h2 ping blocked: rule 2 allows it')
    check(not pings(ns[3], IP[2], count=3, interval=0.2, wait=1),
          'h3 -> h2 ping passed: only h1 may ping (default drop)')
    rh, dh, rel = hits(sw, 'web')
    # the first request opens the connection (one ping run, one ICMP id); the
    # rest of the run, both ways, belongs to it
    check_eq('rule 2 hits (h1\'s first echo request)', 1, rh[1] - before[0][1])
    check_eq('related hits (the other 4 requests and the 5 replies)', 9, rel - before[2])
    check_eq('rule 3 hits (h3 echo requests, count goes on)', 3, rh[2] - before[0][2])
    check(dh - before[1] >= 3, 'default hits %d: h3\'s 3 echo requests' % (dh - before[1]))
    check(drops(sw, 'p3').get('policy', 0) >= 3, 'p3 drops.policy %r' % drops(sw, 'p3'))

    # ---- stateful TCP: h1 may open to h2, not the reverse ----
    rules = [{'action': 'allow', 'ethertype': 'arp'},
             {'action': 'allow', 'proto': 'tcp', 'src': IP[1], 'dst': IP[2], 'dport': 8080,
              'stateful': True}]
    policy(sw, 'web', rules, default='drop')
    l2 = spawn_ready(ns[2], LISTEN, 8080)
    l1 = spawn_ready(ns[1], LISTEN, 8080)
    check_eq('h1 -> h2:8080 TCP', 'ok', py(ns[1], CONNECT, IP[2], 8080, 5))
    check_eq('h2 -> h1:8080 TCP (not allowed: the reverse of the stateful rule)', 'timeout',
             py(ns[2], CONNECT, IP[1], 8080, 1.5))
    _, _, rel = hits(sw, 'web')
    check(rel >= 2, 'related hits %d after a TCP connection: SYN-ACK and more' % rel)
    conntrack = sw.call_ok('policy.list')['conntrack']
    check(conntrack['used'] >= 1, 'conntrack used %r after a stateful connection' % conntrack)

    # ---- reject: RST at once, ICMP for UDP ----
    rules = [{'action': 'reject', 'proto': 'tcp', 'dport': 8080}]
    policy(sw, 'web', rules)
    t0 = time.monotonic()
    check_eq('h1 -> h2:8080 TCP with a reject rule', 'refused', py(ns[1], CONNECT, IP[2], 8080, 10))
    check(time.monotonic() - t0 < 5, 'a rejected connect took %.1f s: a RST answers at once'
          % (time.monotonic() - t0))
    check(drops(sw, 'p1').get('policy_reject', 0) >= 1, 'p1 drops %r' % drops(sw, 'p1'))
    l1.kill()
    l2.kill()

    # ---- rate-limit within 10% ----
    # a burst of 200 (0.2 s of the rate) rides out the switch's thread being
    # preempted on a busy machine: frames then arrive bunched
    rules = [{'action': 'rate-limit', 'proto': 'udp', 'rate': '1000pps', 'burst': 200}]
    policy(sw, 'web', rules, default='allow')
    rx = spawn_ready(ns[2], RECEIVER, 9000, 2)
    sent, secs = py(ns[1], SENDER, IP[2], 9000, 4000, 3).split()
    got, _ = rx.communicate(timeout=30)[0].split()
    expect = 1000 * float(secs) + 200
    log('rate-limit 1000pps: sent %s in %s s, %s passed (expected %.0f)' % (sent, secs, got,
                                                                           expect))
    check(abs(int(got) - expect) <= 0.1 * expect,
          'rate limit 1000pps let %s of %s datagrams through in %s s (expected %.0f +- 10%%)'
          % (got, sent, secs, expect))
    check(drops(sw, 'p1').get('policy_rate', 0) >= int(sent) - int(got) - 5,
          'p1 drops.policy_rate %r for %d datagrams over the rate'
          % (drops(sw, 'p1'), int(sent) - int(got)))

    # ---- hitless changes under a continuous flow ----
    base = [{'action': 'allow', 'ethertype': 'arp'},
            {'action': 'allow', 'proto': 'udp', 'dport': 9001, 'stateful': True}]
    policy(sw, 'web', base, default='drop')
    check_eq('h1 -> h2:8080 TCP under the UDP-only policy', 'timeout',
             py(ns[1], CONNECT, IP[2], 8080, 1))
    rx = spawn_ready(ns[2], RECEIVER, 9001, 2)
    tx = ns[1].spawn(['python3', '-c', SENDER, IP[2], '9001', '2000', '4'],
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    on_cleanup(lambda: tx.poll() is None and tx.kill(), name='kill sender')
    changes = 0
    while tx.poll() is None:
        extra = [{'action': 'drop', 'proto': 'tcp', 'dport': 10000 + changes + k}
                 for k in range(100 * (changes % 3))]
        policy(sw, 'web', extra + base if changes % 2 else base + extra, default='drop')
        changes += 1
        if changes >= 30:
            break
    sent = int(tx.communicate(timeout=30)[0].split()[0])
    got, top = (int(x) for x in rx.communicate(timeout=30)[0].split())
    log('hitless: %d policy changes while %d datagrams flowed, %d arrived' % (changes, sent,
                                                                             got))
    check(changes >= 10, 'only %d policy changes during the flow' % changes)
    check_eq('datagrams that arrived while the policy changed %d times' % changes, sent, got)

    # ---- mirror into a capture of the policy ----
    rules = [{'action': 'mirror', 'proto': 'icmp', 'src': IP[3]},
             {'action': 'allow'}]
    policy(sw, 'web', rules)
    if shutil.which('tshark'):
        path = os.path.join(tmp, 'mirror.pcapng')
        before = {c['id'] for c in sw.call_ok('capture.list')['captures']}
        cap = subprocess.Popen([cli_path(), '-s', sw.sock, 'capture', '--policy', 'web',
                                '-w', path, '-c', '3'],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        on_cleanup(lambda: cap.poll() is None and cap.kill(), name='kill capture')
        check(wait_until(lambda: cap.poll() is not None or
                         {c['id'] for c in sw.call_ok('capture.list')['captures']} - before,
                         10) and cap.poll() is None,
              'vlab capture --policy did not start: %s' % (cap.poll() is not None and
                                                          cap.communicate()[1].decode()))
        check(pings(ns[1], IP[2], count=2), 'h1 -> h2 ping (not mirrored)')
        check(pings(ns[3], IP[2], count=3), 'h3 -> h2 ping (its 3 requests mirrored)')
        out, err = cap.communicate(timeout=20)
        check(cap.returncode == 0, 'vlab capture --policy: %s' % err.decode())
        p = sh(['tshark', '-r', path, '-T', 'fields', '-e', 'ip.src', '-e', 'icmp.type'])
        rows = [l.split('\t') for l in p.stdout.splitlines() if l]
        check(len(rows) == 3 and all(r[0] == IP[3] for r in rows),
              'mirror capture holds %r: the first 3 ICMP frames from h3 only' % rows)
    else:
        fail('prerequisite: tshark not found (scripts/setup.sh installs it)')

    # ---- bad policies change nothing ----
    e = api_error(sw, 'policy.set', {'name': 'web', 'rules': [{'action': 'allow',
                                                               'dport': 'x'}]})
    check('rule 1: "dport"' in e, 'a bad port: %s' % e)
    e = api_error(sw, 'policy.set', {'name': 'other', 'apply': [{'network': NET,
                                                                 'direction': 'in'}]})
    check('already applies' in e, 'a second policy on the same place: %s' % e)
    check_eq('policies after bad requests', ['web'],
             [p['name'] for p in sw.call_ok('policy.list')['policies']])

    # ---- policy.del: out of the path ----
    policy(sw, 'web', [], default='drop')
    check(not pings(ns[1], IP[2], count=1, wait=1), 'ping passed a default-drop policy')
    sw.call_ok('policy.del', {'name': 'web'})
    check(pings(ns[1], IP[2], count=2), 'ping blocked after policy.del')
    sw.stop_checked()


if __name__ == '__main__':
    run(main)
