#!/usr/bin/env python3
"""Kernel-interface ports on the switch's own sockets and descriptors.

af-packet: hosts in namespaces whose veths keep checksum offload on (so their
TCP and UDP frames reach the switch with only a partial checksum) exchange a
2 MB TCP stream and 200 UDP datagrams: the data arrives intact and the
receiving kernels count no checksum errors. An 802.1Q frame (the kernel hands
the tag over beside the frame) crosses the switch with its tag. A host whose veth
still does TSO sends 64 KB segments: they are dropped and counted as
rx_truncated, never forwarded cut.

tap: the switch creates a tap interface, which is moved into a namespace;
that host pings an af-packet host through the switch, and the interface
goes away with the port."""
import hashlib
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vlabtest import *  # noqa: E402,F403

NET, VNI = 'kp', 900

SERVER = r'''
import hashlib, socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 5001)); s.listen(1); s.settimeout(30)
print("listening", flush=True)
c, _ = s.accept(); c.settimeout(30); h = hashlib.sha256(); n = 0
while True:
    b = c.recv(65536)
    if not b: break
    h.update(b); n += len(b)
print(n, h.hexdigest(), flush=True)
'''

CLIENT = r'''
import socket, sys
data = bytes((i * 31 + 7) & 0xff for i in range(2 * 1024 * 1024))
c = socket.create_connection((sys.argv[1], 5001), timeout=30); c.sendall(data); c.close()
'''

UDP_RECV = r'''
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", 5002))
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20); s.settimeout(10)
print("listening", flush=True)
good = 0
try:
    while good < 200:
        b, _ = s.recvfrom(2048)
        good += b == bytes((i * 13) & 0xff for i in range(1200))
except socket.timeout:
    pass
print(good, flush=True)
'''

UDP_SEND = r'''
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(200):
    s.sendto(bytes((i * 13) & 0xff for i in range(1200)), (sys.argv[1], 5002))
    time.sleep(0.002)
'''


VLAN_SEND = r'''
import socket, sys
dst, src = (bytes.fromhex(m.replace(":", "")) for m in sys.argv[1:3])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW); s.bind(("eth0", 0))
# 802.1Q tag: priority 5, VLAN 10; then a local experimental ethertype
s.send(dst + src + bytes([0x81, 0x00, 0xa0, 0x0a, 0x88, 0xb5]) + b"vlab-vlan-test" * 4)
'''


def snmp(ns, proto, field):
    """A counter of /proc/net/snmp in namespace ns (e.g. Tcp InCsumErrors)."""
    lines = [l.split() for l in ns.run(['cat', '/proc/net/snmp']).stdout.splitlines()
             if l.startswith(proto + ':')]
    return int(lines[1][lines[0].index(field)])


def wait_line(proc, what, timeout=15):
    line = wait_until(lambda: proc.stdout.readline(), timeout)
    check(line, '%s printed nothing' % what)
    return line.decode().strip()


def main():
    require(switch=True, netns=True, hugepages_mb=64)
    for tool in ('ethtool', 'python3'):
        if not shutil.which(tool):
            fail('prerequisite: %s not found (scripts/setup.sh installs it)' % tool)
    tmp = tmpdir()
    ns1, ns2, ns3, ns4 = Netns('k1'), Netns('k2'), Netns('k3'), Netns('k4')
    o1, o2, o4 = PREFIX + 'a1', PREFIX + 'a2', PREFIX + 'a4'
    veth_into(ns1, o1, 'eth0', '10.98.0.1/24')
    veth_into(ns2, o2, 'eth0', '10.98.0.2/24')
    veth_into(ns4, o4, 'eth0', '10.98.0.4/24', segmentation=True)
    feats = ns1.run(['ethtool', '-k', 'eth0']).stdout
    check('tx-checksumming: on' in feats,
          'the test needs checksum offload on the hosts\' veths:\n%s' % feats)
    tap = PREFIX + 't3'

    sw = register_switch(Switch(tmp)).start()
    sw.network_add(NET, VNI)
    sw.port_add('p1', 'af-packet', NET, iface=o1)
    sw.port_add('p2', 'af-packet', NET, iface=o2)
    sw.port_add('p4', 'af-packet', NET, iface=o4)
    sw.port_add('t3', 'tap', NET, iface=tap)
    on_cleanup(lambda: sh(['ip', 'link', 'del', tap], check=False), name='del ' + tap)
    sw.wait_link(['p1', 'p2', 'p4', 't3'])
    check(ns1.ping('10.98.0.2', count=3, interval=0.1)[0], 'ns1 cannot ping ns2')

    # ---- TCP with partial checksums from the sender's offload
    tcp_err0, udp_err0 = snmp(ns2, 'Tcp', 'InCsumErrors'), snmp(ns2, 'Udp', 'InCsumErrors')
    server = ns2.spawn(['python3', '-c', SERVER], stdout=subprocess.PIPE)
    check_eq('TCP server', 'listening', wait_line(server, 'TCP server'))
    ns1.run(['python3', '-c', CLIENT, '10.98.0.2'], timeout=60)
    got = wait_line(server, 'TCP server', 40).split()
    want = hashlib.sha256(bytes((i * 31 + 7) & 0xff for i in range(2 * 1024 * 1024)))
    check_eq('bytes received over TCP', str(2 * 1024 * 1024), got[0])
    check_eq('SHA-256 of the TCP stream', want.hexdigest(), got[1])
    check_eq('TCP checksum errors at the receiver', tcp_err0,
             snmp(ns2, 'Tcp', 'InCsumErrors'))
    log('2 MB over TCP intact, no checksum errors')

    # ---- UDP, both directions of checksum handling
    recv = ns2.spawn(['python3', '-c', UDP_RECV], stdout=subprocess.PIPE)
    check_eq('UDP receiver', 'listening', wait_line(recv, 'UDP receiver'))
    ns1.run(['python3', '-c', UDP_SEND, '10.98.0.2'], timeout=60)
    check_eq('intact UDP datagrams received', '200', wait_line(recv, 'UDP receiver', 20))
    check_eq('UDP checksum errors at the receiver', udp_err0,
             snmp(ns2, 'Udp', 'InCsumErrors'))

    # ---- 802.1Q: the kernel hands the tag over beside the frame; it must go on
    dump = ns2.spawn(['tcpdump', '-i', 'eth0', '-c', '1', '-e', '-nn', '-l', 'vlan 10'],
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    check(wait_until(lambda: b'listening' in dump.stderr.readline(), 10),
          'tcpdump did not start in ns2')
    ns1.run(['python3', '-c', VLAN_SEND, ns2.mac_of('eth0'), ns1.mac_of('eth0')])
    line = wait_line(dump, 'tcpdump (a tagged frame)', 10)
    check('vlan 10, p 5' in line and '0x88b5' in line,
          'the frame did not arrive with its 802.1Q tag (VLAN 10, priority 5): %s' % line)
    stop(dump)

    # ---- a veth that still does TSO: 64 KB segments are counted, not cut
    trunc0 = sw.port_stats('p4')['drops']['rx_truncated']
    server = ns2.spawn(['python3', '-c', SERVER], stdout=subprocess.PIPE)
    check_eq('TCP server', 'listening', wait_line(server, 'TCP server'))
    client = ns4.spawn(['python3', '-c', CLIENT, '10.98.0.2'])
    check(wait_until(lambda: sw.port_stats('p4')['drops']['rx_truncated'] > trunc0, 20),
          'segments longer than the MTU from a TSO veth were not counted as rx_truncated')
    stop(client)
    stop(server)

    # ---- tap: the switch's interface, moved into a namespace
    sh(['ip', 'link', 'set', tap, 'netns', ns3.name])
    ns3.run(['ip', 'addr', 'add', '10.98.0.3/24', 'dev', tap])
    ns3.run(['ip', 'link', 'set', tap, 'up'])
    ok, out = ns3.ping('10.98.0.1', count=3, interval=0.1)
    check(ok, 'the tap host cannot ping the af-packet host:\n%s' % out)
    st = sw.port_stats('t3')
    check(st['rx_packets'] >= 3 and st['tx_packets'] >= 3,
          'tap port counters do not show the pings: %s' % st)
    sw.port_del('t3')
    check(wait_until(lambda: not iface_exists(tap, ns3), 5),
          'the tap interface outlived its port')

    drops = sw.port_stats('p1')['drops']
    check(drops['rx_truncated'] == 0 and drops['rx_nombuf'] == 0,
          'unexpected drops on p1: %s' % drops)
    sw.stop_checked()


if __name__ == '__main__':
    run(main)
