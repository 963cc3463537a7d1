#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz harnesses (tests/fuzz/README.md):
api/seeds (one valid request per method of api/schema.c, and nasty lines),
topo/seeds (small topologies and pathological shapes that are fast enough to
fuzz from) and frame/seeds (well-formed and broken Ethernet frames).

  tests/fuzz/mkseeds.py [--pathological DIR]

The seeds are kept in the repository; run this again after changing it and
commit what changed. --pathological DIR also writes the large shapes of
issue 9 item 7 (200 KB of nested [[[...]]], 800 KB of it, 90,000 network keys)
into DIR: they are slow to parse while that item is open and live in
topo/reproducers/pending/ until then. Stdlib only."""
import json
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def write(sub, name, data):
    d = os.path.join(HERE, sub) if not os.path.isabs(sub) else sub
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data)


def req(id, method, params=None):
    o = {'id': id, 'method': method}
    if params is not None:
        o['params'] = params
    return json.dumps(o, separators=(',', ':'))


# ------------------------------------------------------------------ API

def api_seeds():
    s = 'api/seeds'
    valid = [
        ('version', req(1, 'version')),
        ('network-add', req(2, 'network.add', {'name': 'lan1', 'vni': 100})),
        ('network-del', req(3, 'network.del', {'name': 'lan1'})),
        ('network-list', req(4, 'network.list')),
        ('port-add-vhost-user', req(5, 'port.add', {
            'name': 'vm1-eth0', 'type': 'vhost-user', 'network': 'lan1',
            'path': '/run/vlab/vm1.sock', 'mode': 'server', 'mac_limit': 64})),
        ('port-add-tap', req(6, 'port.add', {'name': 't0', 'type': 'tap',
                                             'network': 'lan1', 'iface': 'vlt0'})),
        ('port-add-af-packet', req(7, 'port.add', {
            'name': 'h1', 'type': 'af-packet', 'network': 'lan1', 'iface': 'h1-out'})),
        ('port-add-ring', req(8, 'port.add', {'name': 'r0', 'type': 'ring',
                                              'network': 'lan1', 'devargs': 'nodeaction=r0:0:CREATE'})),
        ('port-add-null', req(9, 'port.add', {'name': 'n0', 'type': 'null',
                                              'network': 'lan1', 'devargs': 'size=64,copy=0'})),
        ('port-add-pcap', req(10, 'port.add', {
            'name': 'p0', 'type': 'pcap', 'network': 'lan1',
            'devargs': 'rx_pcap=/tmp/in.pcap,tx_pcap=/tmp/out.pcap', 'mac_limit': 0})),
        ('port-del', req(11, 'port.del', {'name': 'h1'})),
        ('port-list', req(12, 'port.list')),
        ('fdb-show', req(13, 'fdb.show', {'network': 'lan1'})),
        ('fdb-flush', req(14, 'fdb.flush', {'network': 'lan1', 'port': 'h1'})),
        ('fdb-add-static', req(15, 'fdb.add_static', {
            'network': 'lan1', 'mac': '52:54:00:12:34:56', 'port': 'h1'})),
        ('fdb-del-static', req(16, 'fdb.del_static', {
            'network': 'lan1', 'mac': '52:54:00:12:34:56'})),
        ('stats', req(17, 'stats')),
        ('stats-clear', req(18, 'stats.clear')),
    ]
    for name, line in valid:
        write(s, name + '.json', line)
    write(s, 'pipelined.jsonl', ''.join(l + '\n' for _, l in valid))
    write(s, 'crlf-blank-lines.jsonl', '\r\n \r\n' + req('a', 'version') + '\r\n\n' +
          req(None, 'stats') + ' \n')

    nasty = {
        # nesting: within jansson's depth limit (2048) and beyond it
        'deep-array-2000': '{"id":1,"method":"version","params":{"x":' + '[' * 2000 +
                           ']' * 2000 + '}}',
        'deep-array-5000': '[' * 5000 + ']' * 5000,
        'deep-id-object': '{"id":' + '{"a":' * 1500 + '1' + '}' * 1500 +
                          ',"method":"version"}',
        'unclosed-nesting': '{"id":2,"method":' + '[' * 3000,
        # long strings
        'long-name': req(3, 'network.add', {'name': 'n' * 60000, 'vni': 1}),
        'long-method': req(4, 'm' * 65000),
        'line-over-limit': req(5, 'version', {'pad': 'x' * 66000}),
        'long-devargs': req(6, 'port.add', {'name': 'n0', 'type': 'null', 'network': 'a',
                                            'devargs': 'size=' + '9' * 300}),
        # UTF-8: issue 9 item 2 (a message cut inside a character), then a
        # request on the same connection that must still be answered
        'utf8-cut-in-message': '{"id":1,"method":"network.del","params":{"name":"a' +
                               '\u00e9' * 30 + '"}}\n' + req(2, 'version') + '\n',
        'utf8-cut-mac': req(7, 'fdb.add_static', {'network': 'a', 'port': 'b',
                                                   'mac': '\u20ac' * 30}),
        'utf8-cut-key': req(8, 'network.add', {'\u00e9' * 40: 1, 'name': 'a', 'vni': 1}),
        'utf8-cut-method': req(9, '\U0001f600' * 20),
        'utf8-cut-enum': req(10, 'port.add', {'name': 'a', 'network': 'b',
                                              'type': '\u00e9' * 40}),
        'utf8-4byte-name': req(11, 'port.del', {'name': '\U0001f600' * 12}),
    }
    for name, line in nasty.items():
        write(s, name + '.json', line)
    raw = {
        'invalid-utf8-bytes': b'{"id":1,"method":"network.del","params":{"name":"\xff\xfe\xc3"}}',
        'invalid-utf8-overlong': b'{"id":2,"method":"ver\xc0\xafsion"}',
        'invalid-utf8-surrogate': b'{"id":3,"method":"\xed\xa0\x80"}',
        'invalid-utf8-in-id': b'{"id":"\xe2\x82","method":"version"}',
        'escaped-surrogates': b'{"id":"\\ud83d\\ude00\\ud800","method":"version"}',
        'nul-raw-in-line': b'{"id":4,"method":"version"}\x00',
        'nul-after-number': b'{"id":5\x00,"method":"version"}',
        'nul-escaped': b'{"id":6,"method":"network.add","params":{"name":"a\\u0000b","vni":1}}',
        'nul-escaped-devargs': b'{"id":7,"method":"port.add","params":{"name":"n","type":"null",'
                               b'"network":"a","devargs":"size=64\\u0000,x"}}',
        'bom': b'\xef\xbb\xbf{"id":8,"method":"version"}',
        'huge-int': b'{"id":9,"method":"network.add","params":{"name":"a","vni":'
                    b'99999999999999999999999999999999}}',
        'huge-real': b'{"id":1e400,"method":"network.add","params":{"name":"a","vni":1e308}}',
        'int64-edges': b'{"id":-9223372036854775808,"method":"network.add","params":'
                       b'{"name":"a","vni":9223372036854775807}}\n'
                       b'{"id":9223372036854775808,"method":"version"}\n'
                       b'{"id":1,"method":"port.add","params":{"name":"a","type":"null",'
                       b'"network":"b","mac_limit":-1}}',
        'uint-edges': b'{"id":1,"method":"network.add","params":{"name":"a","vni":16777215}}\n'
                      b'{"id":2,"method":"network.add","params":{"name":"a","vni":16777216}}\n'
                      b'{"id":3,"method":"network.add","params":{"name":"a","vni":0}}\n'
                      b'{"id":4,"method":"network.add","params":{"name":"a","vni":1.0}}\n'
                      b'{"id":5,"method":"port.add","params":{"name":"a","type":"null",'
                      b'"network":"b","mac_limit":16777217}}',
        'duplicate-keys': b'{"id":1,"id":2,"method":"version"}',
        'unknown-member': b'{"id":1,"method":"version","extra":true}',
        'params-array': b'{"id":1,"method":"version","params":[]}',
        'params-null': b'{"id":[1,{"a":null}],"method":"network.list","params":null}',
        'not-an-object': b'[{"method":"version"}]\n42\n"version"\nnull\ntrue\n{}\n',
        'trailing-garbage': b'{"method":"version"} x\n{"method":"version"}}',
        'null-values': b'{"id":1,"method":"port.add","params":{"name":null,"type":null,'
                       b'"network":null,"path":null}}',
        'wrong-types': b'{"id":{},"method":"fdb.add_static","params":{"network":[],"mac":5,'
                       b'"port":{}}}',
        'port-type-mismatch': b'{"id":1,"method":"port.add","params":{"name":"a","type":"tap",'
                              b'"network":"b","path":"/x","devargs":"y"}}\n'
                              b'{"id":2,"method":"port.add","params":{"name":"a",'
                              b'"type":"vhost-user","network":"b"}}',
        'bad-names': b'{"id":1,"method":"network.add","params":{"name":"","vni":1}}\n'
                     b'{"id":2,"method":"network.add","params":{"name":"a b","vni":1}}\n'
                     b'{"id":3,"method":"port.add","params":{"name":"ok","type":"tap",'
                     b'"network":"x","iface":"0123456789abcdef"}}',
        'bad-macs': b'{"id":1,"method":"fdb.del_static","params":{"network":"a","mac":'
                    b'"52:54:00:12:34"}}\n{"id":2,"method":"fdb.del_static","params":'
                    b'{"network":"a","mac":"ff:ff:ff:ff:ff:ff:00"}}',
        'lone-cr': b'\r',
        'empty': b'',
    }
    for name, data in raw.items():
        write(s, name + '.json', data)


# ------------------------------------------------------------------ topologies

def topo_seeds():
    s = 'topo/seeds'
    write(s, 'minimal.yaml', 'name: m\nnetworks:\n  a: {}\nnodes:\n  h1: { kind: host, '
          'interfaces: [ { network: a } ] }\n')
    write(s, 'everything.yaml', '''name: all-keys
networks:
  red: { vni: 100, subnet: 10.0.0.0/24 }
  blue: { subnet: "10.1.0.0/16" }
  green: {}
nodes:
  r1:
    kind: vm
    cpus: 2
    memory: 256M
    forward: true
    interfaces:
      - { network: red, ip: 10.0.0.1/24, mac: "52:54:00:aa:00:01", mtu: 9000, queues: 2 }
      - { network: blue, ip: [10.1.0.1/16, "2001:db8::1/64"], name: uplink }
    routes:
      - { to: default, via: 10.0.0.254 }
      - { to: 10.9.0.0/16, via: 10.1.0.2 }
  h1: { kind: host, interfaces: [ { network: red, ip: 10.0.0.20/24 } ] }
  h2: { kind: host, interfaces: [ { network: green } ] }
expect:
  - { from: h1, to: r1, reach: true }
  - { from: h2, to: "r1:uplink", reach: false }
''')
    # issue 9 item 8: values that must not forge output lines or escape
    write(s, 'forge-newline.yaml', 'name: "x\\nevil.yaml:1:1: all good"\nnetworks: {}\n'
          'nodes: {}\n')
    write(s, 'forge-escape.yaml', 'name: "\\e[31mred\\e[0m"\nnetworks:\n  "a\\u0007b": {}\n'
          'nodes:\n  "h\\r1": { kind: "\\x1b]0;title\\x07" }\n')
    write(s, 'utf8-cut-value.yaml', 'name: lab\nnetworks:\n  "' + '\u00e9' * 200 +
          '": { vni: 1 }\nnodes:\n  h1: { kind: "' + '\u20ac' * 100 + '" }\n')
    write(s, 'utf8-invalid.yaml', b'name: "\xff\xfe"\nnetworks: {}\nnodes: {}\n')
    write(s, 'nul-byte.yaml', b'name: a\x00b\nnetworks: {}\nnodes: {}\n')
    # small versions of the pathological shapes: cheap to run, and mutations
    # grow them
    write(s, 'nested-brackets-2k.yaml', '[' * 1000 + ']' * 1000)
    write(s, 'nested-maps.yaml', 'name: ' + '{a: ' * 300 + '1' + '}' * 300 + '\n')
    write(s, 'unclosed-brackets.yaml', 'nodes: ' + '[' * 2000)
    write(s, 'many-networks-500.yaml', 'name: many\nnetworks:\n' +
          ''.join('  n%d: {}\n' % i for i in range(500)) + 'nodes: {}\n')
    write(s, 'over-limits.yaml', 'name: big\nnetworks:\n' +
          ''.join('  n%d: {}\n' % i for i in range(1002)) + 'nodes:\n' +
          ''.join('  h%d: { kind: host, interfaces: [ { network: n%d } ] }\n' % (i, i % 7)
                  for i in range(1003)))
    write(s, 'many-errors.yaml', 'name: -bad\nnetworks:\n' +
          ''.join('  "n %d": { vni: 0 }\n' % i for i in range(80)) + 'nodes: 5\n')
    write(s, 'anchors-aliases.yaml', 'name: a\nnetworks:\n  a: &n { vni: 5 }\n  b: *n\n'
          'nodes:\n  h1: &h { kind: host, interfaces: [ { network: a } ] }\n  h2: *h\n'
          'x: &x [*x]\n')
    write(s, 'two-documents.yaml', 'name: a\nnetworks: {}\nnodes: {}\n---\nname: b\n')
    write(s, 'tags.yaml', 'name: !!binary aGVsbG8=\nnetworks: !!map {}\nnodes: !custom {}\n')


def pathological(d):
    """Issue 9 item 7: slow while it is open."""
    write(d, 'nested-brackets-200k.yaml', '[' * 100000 + ']' * 100000)
    write(d, 'nested-brackets-800k.yaml', '[' * 400000 + ']' * 400000)
    body = ', '.join('n%x: 0' % i for i in range(90000))  # within the 1 MiB limit
    write(d, 'network-keys-90000.yaml', 'name: keys\nnetworks: {' + body + '}\nnodes: {}\n')


# ------------------------------------------------------------------ frames

DST = bytes.fromhex('020000000002')
SRC = bytes.fromhex('020000000001')


def csum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


def eth(et, payload, tags=()):
    h = DST + SRC
    for tpid, tci in tags:
        h += struct.pack('!HH', tpid, tci)
    return h + struct.pack('!H', et) + payload


def ipv4(proto, l4, frag=0, opts=b'', tot=None):
    ihl = 5 + len(opts) // 4
    tot = 20 + len(opts) + len(l4) if tot is None else tot
    h = struct.pack('!BBHHHBBH4s4s', 0x40 | ihl, 0, tot, 1, frag, 64, proto, 0,
                    bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])) + opts
    h = h[:10] + struct.pack('!H', csum(h)) + h[12:]
    return h + l4


def ipv6(nh, payload, plen=None):
    plen = len(payload) if plen is None else plen
    return (struct.pack('!IHBB', 0x60000000, plen, nh, 64) +
            bytes.fromhex('20010db8000000000000000000000001') +
            bytes.fromhex('20010db8000000000000000000000002') + payload)


def tcp(data=b'', flags=0x18, ck=0x1234):
    return struct.pack('!HHIIBBHHH', 40000, 80, 1, 2, 5 << 4, flags, 65535, ck, 0) + data


def udp(data=b'', ck=0x1234, ulen=None):
    return struct.pack('!HHHH', 53000, 53, 8 + len(data) if ulen is None else ulen, ck) + data


def vxlan(inner, flags=0x08, vni=100, dport=4789):
    vx = bytes([flags, 0, 0, 0]) + struct.pack('!I', vni << 8) + inner
    return struct.pack('!HHHH', 50000, dport, 8 + len(vx), 0) + vx


def frame_seeds():
    s = 'frame/seeds'
    inner = eth(0x0800, ipv4(17, udp(b'inner')))
    f = {
        'vxlan-udp': eth(0x0800, ipv4(17, vxlan(inner))),
        'vxlan-arp': eth(0x0800, ipv4(17, vxlan(eth(0x0806, bytes.fromhex('0001080006040001') +
                                                    SRC + bytes(10))))),
        'vxlan-no-i-flag': eth(0x0800, ipv4(17, vxlan(inner, flags=0))),
        'vxlan-other-port': eth(0x0800, ipv4(17, vxlan(inner, dport=8472))),
        'vxlan-fragment': eth(0x0800, ipv4(17, vxlan(inner), frag=0x2000)),
        'ipv4-tcp': eth(0x0800, ipv4(6, tcp(b'GET / HTTP/1.1\r\n'))),
        'ipv4-udp': eth(0x0800, ipv4(17, udp(b'\x12\x34' * 10))),
        'ipv4-udp-odd': eth(0x0800, ipv4(17, udp(b'odd'))),
        'ipv4-udp-zero-sum': eth(0x0800, ipv4(17, udp(b'\xff\xff' * 2, ck=0))),
        'ipv4-icmp': eth(0x0800, ipv4(1, b'\x08\x00\x00\x00\x00\x01\x00\x01' + b'a' * 56)),
        'ipv4-options-tcp': eth(0x0800, ipv4(6, tcp(), opts=b'\x01\x01\x01\x00' * 10)),
        'ipv4-first-fragment': eth(0x0800, ipv4(17, udp(b'x' * 64), frag=0x2000)),
        'ipv4-later-fragment': eth(0x0800, ipv4(17, udp(b'x' * 64), frag=0x0010)),
        'ipv4-tot-too-long': eth(0x0800, ipv4(6, tcp(), tot=1500)),
        'ipv4-tot-short': eth(0x0800, ipv4(6, tcp(b'xx'), tot=30)),
        'ipv4-bad-ihl': eth(0x0800, b'\x43' + ipv4(6, tcp())[1:]),
        'ipv4-padded': eth(0x0800, ipv4(17, udp(b'hi'))) + b'\0' * 20,
        'vlan-ipv4-tcp': eth(0x0800, ipv4(6, tcp()), tags=[(0x8100, 0x2005)]),
        'qinq-ipv4-udp': eth(0x0800, ipv4(17, udp(b'q')), tags=[(0x88a8, 100), (0x8100, 5)]),
        'vlan-cut': DST + SRC + b'\x81\x00\x00',
        'ipv6-tcp': eth(0x86dd, ipv6(6, tcp(b'data'))),
        'ipv6-udp': eth(0x86dd, ipv6(17, udp(b'v6'))),
        'ipv6-icmpv6': eth(0x86dd, ipv6(58, b'\x80\x00\x00\x00\x00\x01\x00\x01')),
        'ipv6-hbh-dst-udp': eth(0x86dd, ipv6(0, b'\x3c\x00' + b'\x01\x04\0\0\0\0' +
                                             b'\x11\x00' + b'\x01\x04\0\0\0\0' + udp(b'x'))),
        'ipv6-routing-tcp': eth(0x86dd, ipv6(43, b'\x06\x02' + b'\0' * 22 + tcp())),
        'ipv6-frag-first': eth(0x86dd, ipv6(44, b'\x11\x00\x00\x01\x00\x00\x00\x01' +
                                            udp(b'x' * 16))),
        'ipv6-frag-later': eth(0x86dd, ipv6(44, b'\x11\x00\x00\x10\x00\x00\x00\x01' +
                                            b'x' * 16)),
        'ipv6-ext-past-end': eth(0x86dd, ipv6(0, b'\x00\xff' + b'\0' * 6)),
        'ipv6-plen-long': eth(0x86dd, ipv6(17, udp(b'x'), plen=4000)),
        'vlan-ipv6-udp': eth(0x86dd, ipv6(17, udp()), tags=[(0x8100, 7)]),
        'arp': eth(0x0806, bytes.fromhex('0001080006040001') + SRC + bytes([10, 0, 0, 1]) +
                   b'\0' * 6 + bytes([10, 0, 0, 2])),
        'runt-13': (DST + SRC)[:13],
        'runt-0': b'',
        'eth-only': eth(0x0800, b''),
        'multicast-src': bytes.fromhex('ffffffffffff') + bytes.fromhex('010000000001') +
                         b'\x08\x00' + ipv4(17, udp()),
        'jumbo-udp-9000': eth(0x0800, ipv4(17, udp(b'\xab' * (9000 - 28)))),
        'max-udp-65535': eth(0x0800, ipv4(17, udp(b'\xcd' * (65535 - 14 - 20 - 8)))),
    }
    for name, data in f.items():
        write(s, name + '.bin', data)


def main():
    api_seeds()
    topo_seeds()
    frame_seeds()
    if len(sys.argv) == 3 and sys.argv[1] == '--pathological':
        pathological(os.path.abspath(sys.argv[2]))
    elif len(sys.argv) != 1:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(main())
