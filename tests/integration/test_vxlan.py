#!/usr/bin/env python3
"""VXLAN between two vlab-switchd instances and a Linux kernel VTEP.

The underlay is a bridge in a namespace of its own (nothing reaches the
machine's interfaces): sw1 (198.51.100.1) and sw2 (198.51.100.12) on af-packet
ports (the root namespace's kernel told not to answer ARP on them), and a
namespace `kv` (198.51.100.2) whose kernel `vxlan` device vx0
(VNI 100, `nolearning`, `bridge fdb append` entries for both switches) is
itself a host of network lan (10.50.0.2). Behind the switches, namespace
hosts: h1 on sw1 and h2 on sw2 in lan (VNI 100), h3 on sw1 and h4 on sw2 in
blue (VNI 200), all in 10.50.0.0/24 with MTU 1450. Checked:
- the switches resolve each other and the kernel VTEP by ARP;
- ping both ways between h1 and the kernel VTEP's host, and h1 <-> h2;
  tshark on the underlay decodes the frames as VXLAN with VNI 100;
- an iperf3 TCP run h1 -> h2;
- one ARP broadcast from h1 crosses the underlay once per VTEP (two
  frames), and sw2 sends none of it on to the kernel VTEP (split horizon);
- blue is isolated from lan although both use one subnet;
- an inner frame over the underlay MTU is dropped and counted (vxlan_mtu);
- malformed underlay frames (wrong port, flags, VNI, source, checksum,
  options, fragment, truncated, another address) each have their counter;
- vtep.del and underlay.del take the overlay down; the state file keeps
  underlay and VTEPs across a restart.
"""
import json
import os
import struct
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vlabtest import *  # noqa: E402,F403

SW1, SW2, KV = '198.51.100.1', '198.51.100.12', '198.51.100.2'
H = {1: '10.50.0.1', 2: '10.50.0.22', 3: '10.50.0.3', 4: '10.50.0.4', 'kv': '10.50.0.2'}

SEND = r'''
import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[1], 0))
for h in sys.argv[2:]:
    s.send(bytes.fromhex(h))
'''


def csum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


def mac(s):
    return bytes.fromhex(s.replace(':', ''))


def vxlan_frame(dst_mac, src_mac, src=KV, dst=SW1, vni=100, dport=4789, flags=0x08,
                options=b'', frag=0x4000, bad_csum=False, cut=None):
    inner = mac('ff:ff:ff:ff:ff:ff') + mac('02:00:00:00:00:99') + b'\x08\x00' + bytes(46)
    vx = bytes([flags, 0, 0, 0]) + struct.pack('!I', vni << 8)
    udp = struct.pack('!HHHH', 50000, dport, 8 + len(vx) + len(inner), 0) + vx + inner
    if cut is not None:
        udp = udp[:cut]
    ihl = 5 + len(options) // 4
    hdr = struct.pack('!BBHHHBBH4s4s', 0x40 | ihl, 0, ihl * 4 + len(udp), 0, frag, 64, 17, 0,
                      socket_aton(src), socket_aton(dst)) + options
    c = csum(hdr) ^ (0x1234 if bad_csum else 0)
    hdr = hdr[:10] + struct.pack('!H', c) + hdr[12:]
    return mac(dst_mac) + mac(src_mac) + b'\x08\x00' + hdr + udp


def socket_aton(a):
    return bytes(int(x) for x in a.split('.'))


def tshark(ns, tmp, name, *args):
    """tshark capturing on the underlay bridge into tmp/name.pcap, once it
    says it captures."""
    path, err = os.path.join(tmp, name + '.pcap'), os.path.join(tmp, name + '.err')
    with open(err, 'w') as ef:
        p = ns.spawn(['tshark', '-i', 'br0', '-w', path, '-f', 'udp port 4789'] + list(args),
                     stderr=ef)
    on_cleanup(lambda: p.poll() is None and p.kill(), name='kill tshark')
    check(wait_until(lambda: 'Capturing on' in open(err).read(), 30),
          'tshark did not start: %s' % open(err).read())
    return p, path


def diag(*sws):
    """Each switch's ports with their counters and drops, for failure messages."""
    out = []
    for sw in sws:
        for p in sw.call_ok('stats')['ports']:
            d = {k: v for k, v in p['drops'].items() if v}
            out.append('%s/%s rx %d tx %d drops %s' % (sw.name, p['name'], p['rx_packets'],
                                                   p['tx_packets'], d))
    return '\n'.join(out)


def vteps(sw):
    return {v['remote']: v for v in sw.call_ok('vtep.list')['vteps']}


def neighbors_ok(sw, want):
    got = {n['ip']: n['state'] for n in sw.call_ok('underlay.show')['neighbors']}
    return all(got.get(ip) == 'reachable' for ip in want)


def main():
    require(switch=True, netns=True, hugepages_mb=256)
    tmp = tmpdir()
    ul = Netns('vxul')
    ul.run('ip link add br0 type bridge')
    # a bridge that is only a wire: no netfilter checks of what crosses it
    for k in ('iptables', 'ip6tables', 'arptables'):
        path = '/proc/sys/net/bridge/bridge-nf-call-' + k
        ul.run(['sh', '-c', '[ ! -e %s ] || echo 0 > %s' % (path, path)])
    ul.run('ip link set br0 up')
    kv = Netns('vxkv')
    hosts = {i: Netns('vxh%d' % i) for i in (1, 2, 3, 4)}

    # underlay: sw1 and sw2 on root-namespace veth ends, kv on a veth into ul
    for name, peer in (('vxu1', 'u1'), ('vxu2', 'u2')):
        veth_into(ul, PREFIX + name, peer)
        # the machine's own addresses are not the lab's: no ARP answers here
        sh(['sysctl', '-qw', 'net.ipv4.conf.%s.arp_ignore=8' % (PREFIX + name)])
        ul.run(['ip', 'link', 'set', peer, 'master', 'br0'])
    ul.run(['ip', 'link', 'add', 'ukv', 'type', 'veth', 'peer', 'name', 'eth0', 'netns',
            kv.name])
    ul.run('ip link set ukv master br0')
    ul.run('ip link set ukv up')
    kv.run(['ip', 'addr', 'add', KV + '/24', 'dev', 'eth0'])
    kv.run('ip link set eth0 up')
    kv.run(['ip', 'link', 'add', 'vx0', 'type', 'vxlan', 'id', '100', 'dstport', '4789',
            'local', KV, 'dev', 'eth0', 'nolearning'])
    for r in (SW1, SW2):
        kv.run(['bridge', 'fdb', 'append', '00:00:00:00:00:00', 'dev', 'vx0', 'dst', r])
    kv.run(['ip', 'addr', 'add', H['kv'] + '/24', 'dev', 'vx0'])
    kv.run('ip link set vx0 up')
    check_eq('kernel vxlan MTU', '1450', kv.run('cat /sys/class/net/vx0/mtu').stdout.strip())

    for i in (1, 2, 3, 4):
        veth_into(hosts[i], PREFIX + 'vxq%d' % i, 'eth0', H[i] + '/24')
        hosts[i].run('ip link set eth0 mtu 1450')

    sws = {}
    for n, addr in ((1, SW1), (2, SW2)):
        sw = register_switch(Switch(tmp, name='sw%d' % n)).start()
        sw.network_add('ul', 900 + n)
        sw.port_add('up0', 'af-packet', 'ul', iface=PREFIX + 'vxu%d' % n)
        sw.network_add('lan', 100)
        sw.network_add('blue', 200)
        u = sw.call_ok('underlay.set', {'port': 'up0', 'address': addr + '/24'})
        check_eq('underlay inner MTU', 1450, u['inner_mtu'])
        sws[n] = sw
    sw1, sw2 = sws[1], sws[2]
    sw1.port_add('h1', 'af-packet', 'lan', iface=PREFIX + 'vxq1')
    sw1.port_add('h3', 'af-packet', 'blue', iface=PREFIX + 'vxq3')
    sw2.port_add('h2', 'af-packet', 'lan', iface=PREFIX + 'vxq2')
    sw2.port_add('h4', 'af-packet', 'blue', iface=PREFIX + 'vxq4')
    for sw, other in ((sw1, SW2), (sw2, SW1)):
        v = sw.call_ok('vtep.add', {'network': 'lan', 'remote': other})
        check_eq('VTEP port name', 'vx-%s-100' % other, v['port'])
        sw.call_ok('vtep.add', {'network': 'lan', 'remote': KV})
        sw.call_ok('vtep.add', {'network': 'blue', 'remote': other})
    for sw, want in ((sw1, (SW2, KV)), (sw2, (SW1, KV))):
        check(wait_until(lambda: neighbors_ok(sw, want), 15),
              'next hops not resolved: %s' % sw.call_ok('underlay.show'))
    check(all(v['link'] == 'connected' for v in vteps(sw1).values()),
          'sw1 VTEPs: %s' % vteps(sw1))
    out = cli(sw1.sock, 'switch', 'underlay').stdout
    check(SW2 in out and 'reachable' in out, 'vlab switch underlay: %s' % out)
    out = cli(sw1.sock, 'switch', 'vtep').stdout
    check(('vx-%s-200' % SW2) in out and 'connected' in out, 'vlab switch vtep: %s' % out)

    # ping across, tshark on the underlay decoding VXLAN
    ts, cap = tshark(ul, tmp, 'ul')
    ok, out = hosts[1].ping(H['kv'], count=3)
    check(ok, 'h1 -> kernel VTEP host: %s\n%s' % (out, diag(sw1, sw2)))
    ok, out = kv.ping(H[1], count=3)
    check(ok, 'kernel VTEP host -> h1: %s\n%s' % (out, diag(sw1, sw2)))
    ok, out = hosts[1].ping(H[2], count=3)
    check(ok, 'h1 -> h2 across sw1 and sw2: %s\n%s' % (out, diag(sw1, sw2)))
    stop(ts)
    rows = sh(['tshark', '-r', cap, '-Y', 'vxlan && icmp', '-T', 'fields', '-e',
               'vxlan.vni', '-e', 'ip.src']).stdout.split('\n')
    rows = [r.split('\t') for r in rows if r]
    check(len(rows) >= 18, 'tshark saw %d VXLAN ICMP frames: %s' % (len(rows), rows))
    check(all(r[0] == '100' for r in rows), 'VNIs on the underlay: %s' % rows)

    # iperf3 TCP across the two switches
    srv = hosts[2].spawn(['iperf3', '-s', '-1'], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    on_cleanup(lambda: srv.poll() is None and srv.kill(), name='kill iperf3 -s')
    check(wait_until(lambda: 'LISTEN' in hosts[2].run('ss -ltn').stdout and
                     ':5201' in hosts[2].run('ss -ltn').stdout, 10), 'iperf3 -s not up')
    p = hosts[1].run(['iperf3', '-c', H[2], '-t', '2', '-J'], check=False, timeout=60)
    res = json.loads(p.stdout or '{}')
    got = res.get('end', {}).get('sum_received', {}).get('bytes', 0)
    check(p.returncode == 0 and got > 1000000, 'iperf3 over VXLAN: rc=%d %d bytes %s'
          % (p.returncode, got, p.stderr))
    log('iperf3 h1 -> h2 over VXLAN: %.0f Mbit/s' %
        (res['end']['sum_received']['bits_per_second'] / 1e6))

    # one broadcast: once per VTEP, never VTEP to VTEP
    ts, cap2 = tshark(ul, tmp, 'arp', '-a', 'duration:6')
    hosts[1].run(['arping', '-c', '1', '-I', 'eth0', '10.50.0.99'], check=False)
    ts.wait(timeout=30)
    rows = sh(['tshark', '-r', cap2, '-Y', 'arp.dst.proto_ipv4 == 10.50.0.99', '-T',
               'fields', '-e', 'ip.src', '-e', 'ip.dst', '-e', 'vxlan.vni']).stdout.split('\n')
    rows = sorted(tuple(r.split('\t')) for r in rows if r)
    check_eq('VXLAN copies of one ARP broadcast', [(SW1, SW2, '100'), (SW1, KV, '100')], rows)

    # isolation: blue shares the subnet, not the network
    check(not hosts[1].ping(H[4], count=2, wait=1)[0], 'h1 (lan) reached h4 (blue)')
    ok, out = hosts[3].ping(H[4], count=2)
    check(ok, 'h3 -> h4 in blue: %s' % out)

    # too long for the underlay: dropped, counted, not fragmented
    hosts[1].run('ip link set eth0 mtu 1500')
    port = 'vx-%s-100' % SW2
    before = sw1.port_stats(port)['drops'].get('vxlan_mtu', 0)
    hosts[1].ping(H[2], count=1, wait=1)  # h2's MAC stays known
    hosts[1].run(['ping', '-c', '2', '-W', '1', '-s', '1430', '-M', 'do', H[2]], check=False)
    check(sw1.port_stats(port)['drops'].get('vxlan_mtu', 0) - before >= 2,
          'vxlan_mtu drops: %s' % sw1.port_stats(port)['drops'])
    hosts[1].run('ip link set eth0 mtu 1450')

    # malformed underlay frames, each with its counter
    sw_mac = sh(['cat', '/sys/class/net/%svxu1/address' % PREFIX]).stdout.strip()
    kv_mac = kv.mac_of('eth0')
    cases = {
        'vxlan_wrong_port': dict(dport=4790),
        'vxlan_bad_flags': dict(flags=0),
        'vxlan_unknown_vni': dict(vni=4242),
        'vxlan_unknown_vtep': dict(src='198.51.100.3'),
        'vxlan_bad_checksum': dict(bad_csum=True),
        'vxlan_ip_options': dict(options=b'\x01\x01\x01\x00'),
        'vxlan_fragment': dict(frag=0x2000),
        'vxlan_truncated': dict(cut=12),
        'vxlan_not_local': dict(dst='198.51.100.77'),
    }
    before = sw1.port_stats('up0')['drops']
    frames = [vxlan_frame(sw_mac, kv_mac, **kw).hex() for kw in cases.values()]
    kv.run(['python3', '-c', SEND, 'eth0'] + frames + frames)

    def counted():
        d = sw1.port_stats('up0')['drops']
        return all(d.get(k, 0) - before.get(k, 0) >= 2 for k in cases)
    check(wait_until(counted, 10), 'malformed frame drops: %s' % {
        k: sw1.port_stats('up0')['drops'].get(k, 0) - before.get(k, 0) for k in cases})
    check(sw1.alive(), 'sw1 died on malformed frames')

    # the state file keeps the overlay; a restart brings it back
    sw2.stop_checked()
    sw2.start()
    check_eq('sw2 VTEPs after a restart', sorted([SW1, KV]), sorted(vteps(sw2)))
    check(wait_until(lambda: hosts[1].ping(H[2], count=1, wait=1)[0], 20),
          'h1 -> h2 after sw2 restarted')

    # vtep.del and underlay.del take it down
    sw1.call_ok('vtep.del', {'network': 'lan', 'remote': SW2})
    check(not hosts[1].ping(H[2], count=2, wait=1)[0], 'h1 reached h2 without the VTEP')
    check(hosts[1].ping(H['kv'], count=2)[0], 'h1 lost the kernel VTEP too')
    sw1.call_ok('underlay.del')
    check(not hosts[1].ping(H['kv'], count=2, wait=1)[0], 'h1 reached kv without an underlay')
    check_eq('underlay.show after del', {'set': False}, sw1.call_ok('underlay.show'))


if __name__ == '__main__':
    run(main)
