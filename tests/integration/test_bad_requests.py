#!/usr/bin/env python3
"""Malformed and abusive control-API clients while the switch carries
traffic (two af-packet ports, ns1 pinging ns2 continuously).

Every answer to a bad request is an error object with the code the API
document specifies; valid clients are served while hundreds of others connect
and disconnect, and a client beyond the 1,024 served at once waits in the
backlog instead of being refused; a client pipelining 40,000 requests without
reading is held back, not dropped, and gets every reply in order; afterwards the switch answers `version`, is
alive, its configuration is unchanged and the ping still gets replies."""
import json
import os
import resource
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vlabtest import *  # noqa: E402,F403

NET, VNI = 'lan', 77
PARSE, INVALID, NOMETHOD = -32700, -32600, -32601
EINVAL, ENOENT, EEXIST, EBUSY = -22, -2, -17, -16

NA = 'network.add'
CLIENT_SLOTS = 1024  # clients the switch serves at once (docs/switch-api.md)


def req(method=None, params=None, id=None, **extra):
    o = {}
    if id is not None:
        o['id'] = id
    if method is not None:
        o['method'] = method
    if params is not None:
        o['params'] = params
    o.update(extra)
    return json.dumps(o)


def cases(iface):
    """(description, raw line without \\n, accepted error codes)."""
    c = [
        ('not JSON', 'hello switch', {PARSE}),
        ('truncated JSON', '{"method": "version"', {PARSE}),
        ('JSON with trailing garbage', '{"method": "version"} x', {PARSE}),
        ('empty object', '{}', {INVALID}),
        ('JSON array', '[{"method": "version"}]', {INVALID}),
        ('JSON number', '42', {INVALID}),
        ('JSON string', '"version"', {INVALID}),
        ('JSON null', 'null', {INVALID}),
        ('missing method', req(id=1, params={}), {INVALID}),
        ('method is a number', req(5, id=2), {INVALID}),
        ('method is null', '{"id": 3, "method": null}', {INVALID}),
        ('method is an object', req({'x': 1}, id=4), {INVALID}),
        ('params is an array', req('version', [1, 2], id=5), {INVALID}),
        ('params is a string', req(NA, 'lan', id=6), {INVALID}),
        ('unknown method', req('network.explode', id=7), {NOMETHOD}),
        ('empty method', req('', id=8), {NOMETHOD}),
        # jansson (and so the switch) refuses \u0000 inside strings: -32700 is fine
        ('method with NUL', req('version\u0000x', id=9), {NOMETHOD, INVALID, PARSE}),
        ('network.add name is a number', req(NA, {'name': 5, 'vni': 5}, id=10), {EINVAL}),
        ('network.add vni is a string', req(NA, {'name': 'x1', 'vni': '5'}, id=11), {EINVAL}),
        ('network.add vni is a float', req(NA, {'name': 'x2', 'vni': 5.5}, id=12), {EINVAL}),
        ('network.add vni is true', req(NA, {'name': 'x3', 'vni': True}, id=13), {EINVAL}),
        ('network.add vni missing', req(NA, {'name': 'x4'}, id=14), {EINVAL}),
        ('network.add name missing', req(NA, {'vni': 14}, id=15), {EINVAL}),
        ('network.add params missing', req(NA, id=16), {EINVAL}),
        ('network.add unknown key', req(NA, {'name': 'x5', 'vni': 15, 'colour': 'red'}, id=17),
         {EINVAL}),
        ('network.add vni 0', req(NA, {'name': 'x6', 'vni': 0}, id=18), {EINVAL}),
        ('network.add vni -1', req(NA, {'name': 'x7', 'vni': -1}, id=19), {EINVAL}),
        ('network.add vni 2^24', req(NA, {'name': 'x8', 'vni': 16777216}, id=20), {EINVAL}),
        ('network.add vni 2^32+5', req(NA, {'name': 'x9', 'vni': 2**32 + 5}, id=21), {EINVAL}),
        ('network.add vni INT64_MAX', req(NA, {'name': 'xa', 'vni': 2**63 - 1}, id=22), {EINVAL}),
        ('network.add vni INT64_MIN', req(NA, {'name': 'xb', 'vni': -2**63}, id=23), {EINVAL}),
        ('network.add vni 1e30', '{"id": 24, "method": "network.add", "params": '
         '{"name": "xc", "vni": 1e30}}', {EINVAL}),
        # beyond int64: a JSON parser may reject the number itself
        ('network.add vni 10^30 (integer literal)', '{"id": 25, "method": "network.add", '
         '"params": {"name": "xd", "vni": 1000000000000000000000000000000}}', {EINVAL, PARSE}),
        ('network.add name 32 chars', req(NA, {'name': 'n' * 32, 'vni': 30}, id=26), {EINVAL}),
        ('network.add name 1000 chars', req(NA, {'name': 'n' * 1000, 'vni': 31}, id=27), {EINVAL}),
        ('network.add empty name', req(NA, {'name': '', 'vni': 32}, id=28), {EINVAL}),
        ('network.add name with space', req(NA, {'name': 'a b', 'vni': 33}, id=29), {EINVAL}),
        ('network.add name with slash', req(NA, {'name': '../x', 'vni': 34}, id=30), {EINVAL}),
        ('network.add name with quote', req(NA, {'name': 'a"b', 'vni': 35}, id=31), {EINVAL}),
        ('network.add name non-ASCII', req(NA, {'name': 'r\u00e9seau', 'vni': 36}, id=32), {EINVAL}),
        ('network.add name with NUL', req(NA, {'name': 'ab\u0000cd', 'vni': 37}, id=33),
         {EINVAL, PARSE}),
        ('network.add existing name', req(NA, {'name': NET, 'vni': 38}, id=34), {EEXIST}),
        ('network.add existing vni', req(NA, {'name': 'x10', 'vni': VNI}, id=35), {EEXIST}),
        ('network.del missing', req('network.del', {'name': 'nosuchnet'}, id=36), {ENOENT}),
        ('network.del with ports', req('network.del', {'name': NET}, id=37), {EBUSY}),
        ('network.del name is a list', req('network.del', {'name': [NET]}, id=38), {EINVAL}),
        ('port.add unknown type', req('port.add', {'name': 'q1', 'type': 'warp', 'network': NET},
                                       id=40), {EINVAL}),
        ('port.add missing network', req('port.add', {'name': 'q2', 'type': 'af-packet',
                                                      'network': 'nosuchnet', 'iface': iface},
                                         id=41), {ENOENT}),
        ('port.add af-packet without iface', req('port.add', {'name': 'q3', 'type': 'af-packet',
                                                              'network': NET}, id=42), {EINVAL}),
        ('port.add vhost-user without path', req('port.add', {'name': 'q4', 'type': 'vhost-user',
                                                              'network': NET}, id=43), {EINVAL}),
        ('port.add vhost-user bad mode', req('port.add', {'name': 'q5', 'type': 'vhost-user',
                                                          'network': NET, 'path': '/tmp/x.sock',
                                                          'mode': 'sideways'}, id=44), {EINVAL}),
        ('port.add path for af-packet', req('port.add', {'name': 'q6', 'type': 'af-packet',
                                                         'network': NET, 'iface': iface,
                                                         'path': '/tmp/x'}, id=45), {EINVAL}),
        ('port.add existing port', req('port.add', {'name': 'p1', 'type': 'af-packet',
                                                    'network': NET, 'iface': iface}, id=46),
         {EEXIST}),
        ('port.add mac_limit -1', req('port.add', {'name': 'q7', 'type': 'null', 'network': NET,
                                                   'mac_limit': -1}, id=47), {EINVAL}),
        ('port.add mac_limit string', req('port.add', {'name': 'q8', 'type': 'null',
                                                       'network': NET, 'mac_limit': 'lots'},
                                          id=48), {EINVAL}),
        ('port.add name with comma (devargs injection)',
         req('port.add', {'name': 'q9,iface=lo', 'type': 'af-packet', 'network': NET,
                          'iface': iface}, id=49), {EINVAL}),
        ('port.add unknown key', req('port.add', {'name': 'q10', 'type': 'null', 'network': NET,
                                                  'speed': 100}, id=50), {EINVAL}),
        ('port.del missing', req('port.del', {'name': 'nosuchport'}, id=51), {ENOENT}),
        ('port.del no params', req('port.del', id=52), {EINVAL}),
        ('fdb.show missing network', req('fdb.show', {'network': 'nosuchnet'}, id=53), {ENOENT}),
        ('fdb.show network is a number', req('fdb.show', {'network': 1}, id=54), {EINVAL}),
        ('fdb.flush both network and port', req('fdb.flush', {'network': NET, 'port': 'p1',
                                                              'x': 1}, id=55), {EINVAL}),
        ('fdb.add_static bad MAC', req('fdb.add_static', {'network': NET, 'mac': '52:54:00:zz:00:01',
                                                          'port': 'p1'}, id=56), {EINVAL}),
        ('fdb.add_static short MAC', req('fdb.add_static', {'network': NET, 'mac': '52:54:00:00:01',
                                                            'port': 'p1'}, id=57), {EINVAL}),
        ('fdb.add_static multicast MAC', req('fdb.add_static', {'network': NET,
                                                                'mac': '01:00:5e:00:00:01',
                                                                'port': 'p1'}, id=58), {EINVAL}),
        ('fdb.add_static missing port', req('fdb.add_static', {'network': NET,
                                                               'mac': '52:54:00:00:00:01',
                                                               'port': 'nosuchport'}, id=59),
         {ENOENT}),
        ('fdb.del_static not present', req('fdb.del_static', {'network': NET,
                                                              'mac': '52:54:00:00:00:02'}, id=60),
         {ENOENT}),
        ('version with unknown param', req('version', {'verbose': True}, id=61), {EINVAL}),
        ('stats.clear with params', req('stats.clear', {'port': 'p1'}, id=62), {EINVAL}),
        ('id is an object (echoed)', req('no.such', id={'a': [1, 2]}), {NOMETHOD}),
        ('binary garbage with NUL bytes', b'\x00\xff\xfe{\x00"method"\x00\x80\x81\x00', {PARSE}),
        ('invalid UTF-8 in a string', b'{"id": 70, "method": "version\xff\xfe"}', {PARSE, NOMETHOD,
                                                                                   INVALID}),
        ('deeply nested JSON', '[' * 5000 + ']' * 5000, {PARSE, INVALID}),
        ('deeply nested params', '{"id": 71, "method": "version", "params": {"a": ' +
         '[' * 3000 + ']' * 3000 + '}}', {PARSE, INVALID, EINVAL}),
    ]
    return c


def expect_error(what, resp, codes, id=None):
    check(resp is not None, '%s: switch closed the connection instead of answering' % what)
    check(isinstance(resp, dict), '%s: response is not an object: %r' % (what, resp))
    check('error' in resp and 'result' not in resp,
          '%s: expected an error %s, got %r' % (what, sorted(codes), resp))
    err = resp['error']
    check(isinstance(err, dict) and isinstance(err.get('code'), int) and
          isinstance(err.get('message'), str) and err.get('message'),
          '%s: error must be {"code": int, "message": non-empty string}, got %r' % (what, err))
    check(err['code'] in codes, '%s: error code: expected %s, got %d (%s)'
          % (what, ' or '.join(str(c) for c in sorted(codes)), err['code'], err['message']))
    if id is not None and err['code'] != PARSE:
        check_eq('%s: response id' % what, id, resp.get('id'))
    if err['code'] == PARSE:
        check_eq('%s: response id of an unparsable line' % what, None, resp.get('id'))


def config(sw):
    nets = sorted((n['name'], n['vni'], tuple(sorted(n['ports'])))
                  for n in sw.call_ok('network.list'))
    ports = sorted((p['name'], p['type'], p['network'], p.get('iface'), p.get('path'),
                    p.get('mac_limit')) for p in sw.call_ok('port.list'))
    static = sorted((e['mac'], e['port']) for e in sw.fdb(NET) if e['static'])
    return {'networks': nets, 'ports': ports, 'static': static}


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = CLIENT_SLOTS + 256
    if soft < want:
        if hard != resource.RLIM_INFINITY and hard < want:
            fail('prerequisite: the open-files limit (%d) is below %d' % (hard, want))
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def main():
    raise_nofile()
    require(switch=True, netns=True, hugepages_mb=64)
    tmp = tmpdir()
    ns1, ns2 = Netns('n1'), Netns('n2')
    o1, o2 = PREFIX + 'o1', PREFIX + 'o2'
    veth_into(ns1, o1, PREFIX + 'i1', '10.99.0.1/24')
    veth_into(ns2, o2, PREFIX + 'i2', '10.99.0.2/24')

    sw = register_switch(Switch(tmp)).start()
    sw.network_add(NET, VNI)
    sw.port_add('p1', 'af-packet', NET, iface=o1)
    sw.port_add('p2', 'af-packet', NET, iface=o2)
    sw.call_ok('fdb.add_static', {'network': NET, 'mac': '02:76:6c:00:00:99', 'port': 'p2'})
    sw.wait_link(['p1', 'p2'])
    ok, out = ns1.ping('10.99.0.2', count=3, wait=2)
    check(ok, 'ping ns1 -> ns2 failed before the bad requests:\n%s' % out)
    cfg0 = config(sw)
    state0 = open(sw.state, 'rb').read() if os.path.exists(sw.state) else None

    # Continuous traffic during the whole test.
    pinger = ns1.spawn(['ping', '-n', '-i', '0.05', '10.99.0.2'],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rx0 = sw.port_stats('p2')['rx_packets']

    # A client that connects, sends one request and never reads; another
    # that pipelines 40,000 requests in one go without reading: the switch
    # holds it back (stops reading it while its replies wait) instead of
    # dropping it, serves everyone else meanwhile, and once it reads it gets
    # every reply, in order.
    idle = Client(sw.sock)
    idle.send_raw(req('version', id=1) + '\n')
    flood_result = {}
    FLOOD = 40000
    flood = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    flood.connect(sw.sock)
    flood_data = ''.join(req('version', id=k) + '\n' for k in range(FLOOD)).encode()

    def flooder():
        try:
            flood.sendall(flood_data)
            flood_result['sent'] = True
        except OSError as e:
            flood_result['error'] = 'sending the pipelined requests failed: %s' % e
    ft = threading.Thread(target=flooder, daemon=True)
    ft.start()

    # The bad requests, spread over several connections, pipelined.
    allc = cases(o1)
    conns = [Client(sw.sock) for _ in range(4)]
    for k, conn in enumerate(conns):
        mine = allc[k::len(conns)]
        for what, line, codes in mine:
            data = line if isinstance(line, bytes) else line.encode()
            conn.send_raw(data + b'\n')
        for what, line, codes in mine:
            resp = conn.recv_json(timeout=10)
            id = None
            if isinstance(line, str):
                try:
                    o = json.loads(line)
                    if isinstance(o, dict) and 'id' in o:
                        id = o['id']
                except (ValueError, RecursionError):
                    pass
            expect_error(what, resp, codes, id)
        # the connection still works after all that
        check_eq('connection %d: version after its bad requests' % k, 'vlab-switchd',
                 conn.call('version')['name'])
    log('%d bad requests answered with the right error codes' % len(allc))

    # A message that quotes a name whose cut splits a UTF-8 character, then a
    # good request, in one write: both are answered, the connection stays.
    with Client(sw.sock) as c:
        c.send_raw(('{"id":1,"method":"network.del","params":{"name":"a%s"}}\n'
                    '{"id":2,"method":"version"}\n' % ('\u00e9' * 30)).encode())
        r1, r2 = c.recv_json(timeout=10), c.recv_json(timeout=10)
        check(r1 and r1.get('id') == 1 and 'error' in r1,
              'a request quoting cut UTF-8 got no error reply: %r' % r1)
        check(r2 and r2.get('id') == 2 and r2.get('result', {}).get('name') == 'vlab-switchd',
              'the request after it got no reply: %r' % r2)
        check_eq('version on the same connection', 'vlab-switchd', c.call('version')['name'])

    # A line holding a NUL byte after a JSON number is not JSON.
    with Client(sw.sock) as c:
        c.send_raw(b'7\x00\n')
        expect_error('NUL after a number', c.recv_json(timeout=10), {PARSE})

    # A line over 16 MiB whose newline arrives in the same write: -32600 and
    # the connection closes, as for any over-long line.
    with Client(sw.sock) as c:
        c.send_raw(b'{"method":"version","params":{"x":"' + b'A' * (16 << 20) + b'"}}\n')
        resp = c.recv_json(timeout=10)
        expect_error('16 MiB + 40 byte line', resp, {INVALID})
        try:
            gone = c.recv_json(timeout=5) is None
        except (ConnectionResetError, BrokenPipeError):
            gone = True
        check(gone, 'the connection stayed open after an over-long line')

    # A line longer than 16 MiB: -32600, then the switch disconnects.
    with Client(sw.sock) as c:
        c.send_raw('{"method": "version", "params": {"x": "' + 'A' * (16 << 20) + '"}}\n')
        try:
            resp = c.recv_json(timeout=10)
        except (ConnectionResetError, BrokenPipeError):
            resp = None
        expect_error('16 MiB request line', resp, {INVALID})
        try:
            c.send_raw(req('version') + '\n')
            after = c.recv_line(timeout=5)
        except (ConnectionResetError, BrokenPipeError):
            after = None
        check(after is None, '16 MiB request line: the switch must disconnect the client, '
              'but it answered %r' % after)
    # over 16 MiB without any newline: also cut off
    with Client(sw.sock) as c:
        try:
            c.send_raw(b'x' * ((16 << 20) + 1000))
            resp = c.recv_json(timeout=10)
        except (ConnectionResetError, BrokenPipeError):
            resp = None
        if resp is not None:
            expect_error('16 MiB without newline', resp, {INVALID})

    # Half a line, then close; a half line then stall (others still work).
    for _ in range(20):
        with Client(sw.sock) as c:
            c.send_raw('{"method": "netw')
    stall = Client(sw.sock)
    stall.send_raw('{"method": "ver')

    # 200 rapid connects/disconnects, some after sending a request.
    for i in range(200):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(sw.sock)
        if i % 3 == 1:
            s.sendall((req('port.list') + '\n').encode())
        elif i % 3 == 2:
            s.sendall(b'garbage\n')
        s.close()

    # Concurrent clients doing valid work while all that happens.
    errs = []

    def worker(n):
        try:
            with Client(sw.sock) as c:
                for _ in range(50):
                    c.call('stats')
                    c.call('port.list')
        except Exception as e:
            errs.append('worker %d: %s' % (n, e))
    ws = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(4)]
    for w in ws:
        w.start()
    for w in ws:
        w.join(60)
    check(not errs, 'valid clients failed while bad clients were connected: %s' % errs)

    # More clients than the switch serves at once (1,024): the one beyond
    # waits in the backlog, is not refused, and is served once others leave.
    idlers = []
    for _ in range(CLIENT_SLOTS + 8):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(sw.sock)
        idlers.append(s)
    late = Client(sw.sock, timeout=30)
    late.send_raw((req('version', id='late') + '\n').encode())
    for s in idlers:
        s.close()
    resp = late.recv_json(timeout=30)
    check(resp is not None and resp.get('id') == 'late' and 'result' in resp,
          'a client beyond the %d served at once was not answered once others left: %r'
          % (CLIENT_SLOTS, resp))
    late.close()
    log('a client beyond %d connections waited and was served' % CLIENT_SLOTS)

    check(ft.is_alive() and 'error' not in flood_result,
          'the pipelining client was not held back while it did not read: %s' % flood_result)
    got, buf = 0, b''
    flood.settimeout(30)
    while got < FLOOD:
        try:
            chunk = flood.recv(1 << 20)
        except socket.timeout:
            break
        if not chunk:
            break
        buf += chunk
        lines = buf.split(b'\n')
        buf = lines.pop()
        for l in lines:
            r = json.loads(l)
            check(r.get('id') == got and 'result' in r,
                  'pipelined reply %d out of order or failed: %r' % (got, r))
            got += 1
    ft.join(30)
    check_eq('replies to 40,000 pipelined requests', FLOOD, got)
    check(flood_result.get('sent'), 'the pipelining client could not send: %s' % flood_result)
    flood.close()
    log('40,000 pipelined requests: held back while not reading, then all answered in order')

    # ---- afterwards
    check(sw.alive(), 'switch process died (status %s)' % sw.proc.returncode)
    with Client(sw.sock, timeout=10) as c:
        v = c.call('version')
    check_eq('version name after the bad requests', 'vlab-switchd', v.get('name'))
    # the idle client's one request was answered (it can still read it)
    resp = idle.recv_json(timeout=5)
    check(resp is not None and resp.get('result', {}).get('name') == 'vlab-switchd',
          'the idle client did not get its version answer: %r' % resp)
    idle.close()
    stall.close()

    check_eq('configuration after the bad requests', cfg0, config(sw))
    if state0 is not None:
        check(open(sw.state, 'rb').read() == state0,
              'state file changed although every request failed')

    rx1 = sw.port_stats('p2')['rx_packets']
    check(rx1 > rx0, 'traffic stopped during the bad requests: port p2 rx_packets %d -> %d'
          % (rx0, rx1))
    stop(pinger)
    ok, out = ns1.ping('10.99.0.2', count=3, wait=2)
    check(ok, 'ping ns1 -> ns2 failed after the bad requests:\n%s' % out)
    for c in conns:
        c.close()
    sw.stop_checked()


if __name__ == '__main__':
    run(main)
