#!/usr/bin/env python3
"""Lab policies end to end, as a user runs them: `vlab up` of a topology
with two QEMU guests and two namespace hosts and a `policies:` section
(a web server w1 that clients may reach on TCP 80 and UDP 5353 and ping,
an admin a1 that reaches everything statefully, ssh rejected). Then:
`vlab pingall`, `--tcp 80` and `--udp 5353` agree with the policies (pairs
checked one by one, guests included: the image carries socat); a TCP
connect to port 22 is refused at once (the switch's RST); `vlab policy
show -j` counts exactly the pings sent (rule and connection); `vlab apply` of an edited policy
changes what is reachable without restarting a guest; `vlab policy clear`
opens everything; `vlab down` leaves no policy on the switch."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vlabtest import *  # noqa: E402,F403

vlab = lab_vlab
LAB = 'lpol' + str(os.getpid() % 10000)

TOPO = """# lab policy test: a web server, two clients, an admin
name: %(lab)s
networks:
  web: { vni: %(vni)d, subnet: 10.83.0.0/24 }
nodes:
  w1: { kind: vm, interfaces: [ { network: web, ip: 10.83.0.10/24 } ] }
  c1: { kind: vm, interfaces: [ { network: web, ip: 10.83.0.21/24 } ] }
  c2: { kind: host, interfaces: [ { network: web, ip: 10.83.0.22/24 } ] }
  a1: { kind: host, interfaces: [ { network: web, ip: 10.83.0.100/24 } ] }
policies:
  web-in:
    apply: [ { network: web, direction: in } ]
    default: drop
    rules:
      - { action: allow, name: arp, ethertype: arp }
      - { action: allow, name: admin, src: a1, stateful: true }
      %(c1)s
      - { action: allow, name: http, proto: tcp, dst: w1, dport: 80, stateful: true }
      - { action: allow, name: dns, proto: udp, dst: w1, dport: 5353, stateful: true }
      - { action: allow, name: ping-web, proto: icmp, dst: w1, stateful: true }
      - { action: reject, name: no-ssh, proto: tcp, dport: 22 }
"""
C1_BARRED = '- { action: drop, name: c1-barred, src: c1, proto: tcp, dport: 80 }'


def pingall(env, *probe):
    """pingall -j; every pair must match what the policies allow. Returns
    {(from, to): reached}."""
    p = vlab(env, '-j', 'pingall', LAB, *probe, check=False, timeout=300)
    res = json.loads(p.stdout)
    bad = [c for c in res['pings'] if not c['match']]
    check(p.returncode == 0 and res['ok'] and not bad,
          'pingall %s differs from the policies: %s\n%s' % (probe, bad, p.stderr))
    check('left out' not in p.stderr, 'pingall %s left nodes out: %s' % (probe, p.stderr))
    return {(c['from'], c['to']): c['reached'] for c in res['pings']}


def expect_pairs(what, got, reached, blocked):
    for pair in reached:
        check(got.get(pair) is True, '%s: %s -> %s should be reached: %s' % (what, *pair, got))
    for pair in blocked:
        check(got.get(pair) is False, '%s: %s -> %s should be blocked: %s' % (what, *pair, got))


def policy(env, name):
    res = json.loads(vlab(env, '-j', 'policy', 'show', '%s/%s' % (LAB, name)).stdout)
    check_eq('policies named %s' % name, 1, len(res['policies']))
    return res['policies'][0]


def rule_hits(pol, name):
    for r in pol['rules']:
        if r.get('name') == name:
            return r['packets']
    fail('policy %s has no rule %s: %s' % (pol['name'], name, pol['rules']))


def main():
    require(switch=True, netns=True, hugepages_mb=64)
    tmp = tmpdir()
    env, rundir = lab_env(tmp)
    on_cleanup(lambda: vlab(env, 'down', LAB, check=False), name='vlab down')
    v = {'lab': LAB, 'vni': 5100 + os.getpid() % 1000, 'c1': ''}
    f1, f2 = os.path.join(tmp, 'lab1.yaml'), os.path.join(tmp, 'lab2.yaml')
    with open(f1, 'w') as f:
        f.write(TOPO % v)
    with open(f2, 'w') as f:
        f.write(TOPO % dict(v, c1=C1_BARRED))

    vlab(env, 'validate', f1)
    vlab(env, 'up', f1)
    pids = {n['name']: n['pid'] for n in json.loads(
        vlab(env, '-j', 'status', LAB).stdout)[0]['nodes']}

    to_web = [('c1', 'w1'), ('c2', 'w1'), ('a1', 'w1')]
    got = pingall(env)
    expect_pairs('ping', got, to_web + [('a1', 'c1'), ('a1', 'c2')],
                 [('c1', 'c2'), ('c2', 'c1'), ('w1', 'c1'), ('w1', 'a1'), ('c1', 'a1')])
    got = pingall(env, '--tcp', '80')
    expect_pairs('tcp 80', got, to_web, [('w1', 'c1'), ('c1', 'c2'), ('c2', 'a1')])
    got = pingall(env, '--udp', '5353')
    expect_pairs('udp 5353', got, to_web, [('w1', 'c1'), ('c2', 'c1'), ('c1', 'a1')])

    # reject: the switch answers the SYN with a RST, nc reports a refusal
    p = vlab(env, 'exec', '%s/c1' % LAB, '--', 'busybox', 'nc', '-w', '20', '10.83.0.10',
             '22', check=False)
    check(p.returncode != 0 and 'refused' in (p.stdout + p.stderr).lower(),
          'a connect to port 22 was not refused: rc=%d %s %s' % (p.returncode, p.stdout,
                                                                 p.stderr))
    check(rule_hits(policy(env, 'web-in'), 'no-ssh') >= 1, 'the reject rule has no hit')

    # counters count the traffic sent: of 5 echo requests from c2 the first
    # opens a connection by the stateful rule; the other 4 and the 5 replies
    # pass as part of it (related)
    pol = policy(env, 'web-in')
    before = (rule_hits(pol, 'ping-web'), pol['related_hits']['packets'])
    vlab(env, 'exec', '%s/c2' % LAB, '--', 'ping', '-c', '5', '-i', '0.2', '10.83.0.10')
    pol = policy(env, 'web-in')
    check_eq('ping-web hits after 5 pings', before[0] + 1, rule_hits(pol, 'ping-web'))
    check_eq('related hits after 5 pings', before[1] + 9, pol['related_hits']['packets'])

    # an edited policy: c1 may no longer reach the web server on TCP 80
    vlab(env, 'apply', f2)
    got = pingall(env, '--tcp', '80')
    expect_pairs('tcp 80 after apply', got, [('c2', 'w1'), ('a1', 'w1')], [('c1', 'w1')])
    check(rule_hits(policy(env, 'web-in'), 'c1-barred') >= 1,
          'the new rule c1-barred has no hit')
    after = {n['name']: n['pid'] for n in json.loads(
        vlab(env, '-j', 'status', LAB).stdout)[0]['nodes']}
    for n in ('w1', 'c1'):
        check_eq('%s QEMU pid after a policy change' % n, pids[n], after[n])

    # clear: everything reaches everything
    vlab(env, 'policy', 'clear')  # the only lab running
    got = pingall(env)
    check(all(got.values()), 'after policy clear some pairs are blocked: %s' % got)

    vlab(env, 'down', LAB)
    with open(env['VLAB_SWITCH_STATE']) as f:
        state = json.load(f)
    check('policies' in state or 'networks' in state, 'no switch state: %s' % state)
    check(not [p for p in state.get('policies', []) if p['name'].startswith(LAB + '.')],
          'the switch keeps the lab policies after down: %s' % state.get('policies'))


if __name__ == '__main__':
    run(main)
