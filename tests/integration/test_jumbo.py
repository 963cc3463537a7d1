#!/usr/bin/env python3
"""Jumbo frames pass whole: 9,000-byte IP packets between namespace hosts
whose veths have MTU 9000 (af-packet ports take frames up to their
interface's MTU), and between two QEMU guests with MTU 9000 NICs
(vhost-user, chained packet buffers). A frame larger than an af-packet
output port's MTU is dropped and counted (tx_failed), never cut."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vlabtest import *  # noqa: E402,F403

NET, VNI = 'jumbo', 630
LAB = 'jt' + str(os.getpid() % 10000)


def vlab(env, *args, check=True, timeout=240):
    p = subprocess.run([cli_path()] + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, env=env, timeout=timeout)
    if check and p.returncode != 0:
        fail('vlab %s failed (rc=%d): %s %s' % (' '.join(args), p.returncode, p.stdout,
                                                 p.stderr))
    return p


def main():
    require(switch=True, netns=True, hugepages_mb=128)
    tmp = tmpdir()
    ns1, ns2, ns3 = Netns('j1'), Netns('j2'), Netns('j3')
    o1, o2, o3 = PREFIX + 'j1', PREFIX + 'j2', PREFIX + 'j3'
    for ns, o, ip, mtu in ((ns1, o1, '10.96.63.1/24', 9000), (ns2, o2, '10.96.63.2/24', 9000),
                           (ns3, o3, '10.96.63.3/24', 1500)):
        veth_into(ns, o, 'eth0', ip)
        sh(['ip', 'link', 'set', o, 'mtu', str(mtu)])
        ns.run(['ip', 'link', 'set', 'eth0', 'mtu', str(mtu)])
    sw = register_switch(Switch(tmp)).start()
    sw.network_add(NET, VNI)
    for p, o in (('p1', o1), ('p2', o2), ('p3', o3)):
        sw.port_add(p, 'af-packet', NET, iface=o)
    sw.wait_link(['p1', 'p2', 'p3'])

    # 8,972 bytes of ICMP payload: a 9,000-byte IP packet, do not fragment
    ok, out = ns1.ping('10.96.63.2', count=3, interval=0.2)
    check(ok, 'ns1 cannot ping ns2:\n%s' % out)
    p = ns1.run(['ping', '-n', '-c', '3', '-i', '0.2', '-W', '2', '-M', 'do', '-s', '8972',
                 '10.96.63.2'], check=False)
    check(p.returncode == 0, '9,000-byte packets between MTU 9000 hosts did not pass:\n%s'
          % p.stdout)
    st = sw.port_stats('p1')['drops']
    check_eq('rx_truncated on p1', 0, st['rx_truncated'])

    # a 9,000-byte frame to the MTU 1500 host: dropped and counted, not cut
    ns1.run(['ip', 'neigh', 'replace', '10.96.63.3', 'lladdr', ns3.mac_of('eth0'), 'dev',
             'eth0'])
    tf0 = sw.port_stats('p3')['drops']['tx_failed']
    ns1.run(['ping', '-n', '-c', '2', '-i', '0.2', '-W', '1', '-M', 'do', '-s', '8972',
             '10.96.63.3'], check=False)
    check(wait_until(lambda: sw.port_stats('p3')['drops']['tx_failed'] >= tf0 + 2, 5),
          'frames over the output port\'s MTU were not counted as tx_failed: %s'
          % sw.port_stats('p3')['drops'])

    # two guests with MTU 9000 NICs
    rundir = os.path.join(tmp, 'run')
    env = dict(os.environ, VLAB_RUN_DIR=rundir, VLAB_SWITCH_SOCKET=sw.sock,
               VLAB_SWITCHD=switchd_path())
    on_cleanup(lambda: vlab(env, 'vm', 'destroy', '--all', '--lab', LAB, check=False),
               name='destroy guests')
    procs = [subprocess.Popen([cli_path(), 'vm', 'start', g, '--lab', LAB, '--nic',
                               'network=%s,ip=%s,mtu=9000' % (NET, ip), '--timeout', '150'],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=env)
             for g, ip in (('g1', '10.96.63.11/24'), ('g2', '10.96.63.12/24'))]
    for pr in procs:
        out, err = pr.communicate(timeout=240)
        check(pr.returncode == 0, 'vlab vm start failed: %s %s' % (out, err))
    r = vlab(env, 'vm', 'exec', 'g1', '--lab', LAB, '--', 'ping', '-c', '3', '-W', '3', '-s',
             '8972', '10.96.63.12', check=False, timeout=120)
    check(r.returncode == 0, '9,000-byte pings between MTU 9000 guests failed:\n%s%s'
          % (r.stdout, r.stderr))
    r = vlab(env, 'vm', 'exec', 'g1', '--lab', LAB, '--', 'ping', '-c', '2', '-W', '3', '-s',
             '8972', '10.96.63.1', check=False, timeout=120)
    check(r.returncode == 0, '9,000-byte pings from a guest to an MTU 9000 host failed:\n%s%s'
          % (r.stdout, r.stderr))
    vlab(env, 'vm', 'destroy', '--all', '--lab', LAB)
    sw.stop_checked()


if __name__ == '__main__':
    run(main)
