/* Unit tests of capture files and lines (control/capfile.c): pcapng and
 * classic pcap files read back with libpcap at nanosecond precision, the
 * pcapng blocks walked here for what libpcap does not expose (interface
 * names and descriptions, direction flags, both block lengths), write
 * errors, the one-line summaries of hand-built frames, and a fuzz loop over
 * random bytes.
 *
 * Threads: cmocka runs every test on the main thread. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <pcap/pcap.h>

#include "capfile.h"

#define TS0 1700000000123456789ull /* 2023-11-14 22:13:20.123456789 UTC */

/* --- frame builders --- */

static const uint8_t mac1[6] = {0x02, 0, 0, 0, 0, 0x01};
static const uint8_t mac2[6] = {0x02, 0, 0, 0, 0, 0x02};

static void be16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static size_t put_eth(uint8_t *p, uint16_t type)
{
	memcpy(p, mac2, 6);
	memcpy(p + 6, mac1, 6);
	be16(p + 12, type);
	return 14;
}

static void be32(uint8_t *p, uint32_t v)
{
	be16(p, v >> 16);
	be16(p + 2, v & 0xffff);
}

/* An IPv4 header of 20 bytes for l4len bytes of `proto` from 10.0.0.s to 10.0.0.d. */
static size_t put_ipv4(uint8_t *p, uint8_t proto, uint8_t s, uint8_t d, size_t l4len)
{
	memset(p, 0, 20);
	p[0] = 0x45;
	be16(p + 2, (uint16_t)(20 + l4len));
	be16(p + 4, 0x1234);
	p[8] = 64;
	p[9] = proto;
	p[12] = 10, p[15] = s;
	p[16] = 10, p[19] = d;
	return 20;
}

static size_t put_icmp_echo(uint8_t *p, uint8_t type, uint16_t id, uint16_t seq, size_t data)
{
	memset(p, 0, 8 + data);
	p[0] = type;
	be16(p + 4, id);
	be16(p + 6, seq);
	for (size_t i = 0; i < data; i++)
		p[8 + i] = (uint8_t)i;
	return 8 + data;
}

/* Ethernet + IPv4 + ICMP echo of 56 data bytes: 98 bytes. */
static size_t frame_echo(uint8_t *f, uint8_t type, uint8_t s, uint8_t d)
{
	size_t n = put_eth(f, 0x0800);

	n += put_ipv4(f + n, 1, s, d, 64);
	n += put_icmp_echo(f + n, type, 7, 1, 56);
	return n;
}

/* Ethernet + IPv4 + TCP with 20 bytes of options: 74 bytes. */
static size_t frame_tcp(uint8_t *f, uint8_t flags, uint32_t seq, uint32_t ack, uint16_t win)
{
	size_t n = put_eth(f, 0x0800);

	n += put_ipv4(f + n, 6, 1, 2, 40);
	memset(f + n, 1, 40);
	be16(f + n, 45678);
	be16(f + n + 2, 80);
	be32(f + n + 4, seq);
	be32(f + n + 8, ack);
	f[n + 12] = 10 << 4; /* 40 bytes with the options */
	f[n + 13] = flags;
	be16(f + n + 14, win);
	return n + 40;
}

/* An IPv6 header for plen bytes behind next header nh. */
static size_t put_ipv6(uint8_t *p, uint8_t nh, const uint8_t src[16], const uint8_t dst[16],
		       size_t plen)
{
	memset(p, 0, 40);
	p[0] = 0x60;
	be16(p + 4, (uint16_t)plen);
	p[6] = nh;
	p[7] = 64;
	memcpy(p + 8, src, 16);
	memcpy(p + 24, dst, 16);
	return 40;
}

static const uint8_t fd1[16] = {0xfd, [15] = 1};
static const uint8_t fd2[16] = {0xfd, [15] = 2};
static const uint8_t ll1[16] = {0xfe, 0x80, [15] = 1};
static const uint8_t ll2[16] = {0xfe, 0x80, [15] = 2};
static const uint8_t snm2[16] = {0xff, 0x02, [11] = 1, [12] = 0xff, [15] = 2};

/* --- files --- */

struct tpkt {
	int iface;
	uint64_t ts;
	int dir;
	uint32_t caplen, origlen; /* given to capfile_packet */
	uint32_t want_caplen;	  /* as written: cut to the snap length */
};

#define SNAPLEN 128

/* Both interfaces and directions; cut by the capturer (caplen < origlen) and
 * by the writer (caplen > snap length); odd lengths (padding); 5 ns after the
 * epoch; the last second of 32-bit time, 2038-01-19 (libpcap reads pcap
 * seconds as signed). */
static const struct tpkt pkts[] = {
    {0, TS0, 1, 98, 98, 98},
    {1, TS0 + 1, 2, 98, 98, 98},
    {0, TS0 + 999999999ull, 2, 128, 1514, 128},
    {1, TS0 + 1000000000ull, 0, 61, 61, 61},
    {0, 5, 1, 200, 200, SNAPLEN},
    {1, INT32_MAX * 1000000000ull + 999999999ull, 2, 0, 60, 0},
};

#define NPKTS (sizeof(pkts) / sizeof(pkts[0]))

static uint8_t frames[NPKTS][1514];

static void fill_frames(void)
{
	for (size_t k = 0; k < NPKTS; k++)
		for (size_t i = 0; i < sizeof(frames[k]); i++)
			frames[k][i] = (uint8_t)(k * 31 + i * 7 + 3);
}

/* Writes the test packets in `format` to a new temporary file; its path in path. */
static void write_file(enum capfile_format format, char path[64])
{
	struct capfile c;
	FILE *f;
	int fd;

	snprintf(path, 64, "/tmp/test_vlab_capfile.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fill_frames();
	assert_int_equal(capfile_open(&c, f, format, SNAPLEN), 0);
	assert_int_equal(capfile_iface(&c, "a1:eth0", "lab l1, network n1, vni 5001"), 0);
	assert_int_equal(capfile_iface(&c, "b1:eth0", "lab l1, network n1, vni 5001 (b)"),
			 format == CAPFILE_PCAPNG ? 1 : 0);
	assert_int_equal(c.n_ifaces, format == CAPFILE_PCAPNG ? 2 : 0);
	for (size_t k = 0; k < NPKTS; k++)
		assert_int_equal(capfile_packet(&c, pkts[k].iface, pkts[k].ts, pkts[k].dir,
						frames[k], pkts[k].caplen, pkts[k].origlen),
				 0);
	assert_int_equal(capfile_flush(&c), 0);
	assert_int_equal(fclose(f), 0);
}

static uint8_t *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = malloc(1 << 16);

	assert_non_null(f);
	assert_non_null(buf);
	*n = fread(buf, 1, 1 << 16, f);
	assert_true(*n < 1 << 16);
	fclose(f);
	return buf;
}

/* libpcap reads every packet back: lengths, timestamps to the ns, bytes. */
static void check_libpcap(const char *path)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	size_t k = 0;
	pcap_t *p;
	int rc;

	p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	if (!p)
		fail_msg("libpcap: %s", errbuf);
	assert_int_equal(pcap_datalink(p), DLT_EN10MB);
	assert_int_equal(pcap_snapshot(p), SNAPLEN);
	while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
		assert_true(k < NPKTS);
		assert_int_equal(h->caplen, pkts[k].want_caplen);
		assert_int_equal(h->len, pkts[k].origlen);
		assert_int_equal(h->ts.tv_sec, pkts[k].ts / 1000000000ull);
		assert_int_equal(h->ts.tv_usec, pkts[k].ts % 1000000000ull); /* ns here */
		assert_memory_equal(data, frames[k], h->caplen);
		k++;
	}
	if (rc != PCAP_ERROR_BREAK)
		fail_msg("libpcap: %s", pcap_geterr(p));
	assert_int_equal(k, NPKTS);
	pcap_close(p);
}

static uint32_t host32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint16_t host16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

/* Finds option `code` in the options at p (n bytes); its value and length. */
static const uint8_t *find_opt(const uint8_t *p, size_t n, uint16_t code, uint16_t *len)
{
	size_t off = 0;
	bool ended = false;
	const uint8_t *found = NULL;

	while (off + 4 <= n) {
		uint16_t c = host16(p + off), l = host16(p + off + 2);

		if (c == 0) {
			assert_int_equal(l, 0);
			ended = true;
			off += 4;
			break;
		}
		assert_true(off + 4 + ((l + 3u) & ~3u) <= n);
		if (c == code) {
			found = p + off + 4;
			*len = l;
		}
		off += 4 + ((l + 3u) & ~3u);
	}
	/* options, if any, end with opt_endofopt and fill the block */
	if (n)
		assert_true(ended);
	assert_int_equal(off, n);
	return found;
}

static void test_pcapng(void **state)
{
	static const char *const names[] = {"a1:eth0", "b1:eth0"};
	static const char *const descs[] = {"lab l1, network n1, vni 5001",
					    "lab l1, network n1, vni 5001 (b)"};
	size_t n, off = 0, nidb = 0, nepb = 0;
	const uint8_t *v;
	char path[64];
	uint16_t vlen;
	uint8_t *buf;

	write_file(CAPFILE_PCAPNG, path);
	check_libpcap(path);

	buf = slurp(path, &n);
	while (off < n) {
		uint32_t type, total;
		const uint8_t *b = buf + off;

		assert_true(n - off >= 12);
		type = host32(b);
		total = host32(b + 4);
		assert_true(total >= 12 && total % 4 == 0 && total <= n - off);
		assert_int_equal(host32(b + total - 4), total);
		if (off == 0) {
			assert_int_equal(type, 0x0a0d0d0a);
			assert_int_equal(host32(b + 8), 0x1a2b3c4d);
			assert_int_equal(host16(b + 12), 1);
			assert_int_equal(host16(b + 14), 0);
			find_opt(b + 24, total - 28, 0, &vlen);
		} else if (type == 1) {
			assert_true(nidb < 2);
			assert_int_equal(host16(b + 8), 1); /* Ethernet */
			assert_int_equal(host32(b + 12), SNAPLEN);
			v = find_opt(b + 16, total - 20, 2, &vlen);
			assert_non_null(v);
			assert_int_equal(vlen, strlen(names[nidb]));
			assert_memory_equal(v, names[nidb], vlen);
			v = find_opt(b + 16, total - 20, 3, &vlen);
			assert_non_null(v);
			assert_int_equal(vlen, strlen(descs[nidb]));
			assert_memory_equal(v, descs[nidb], vlen);
			v = find_opt(b + 16, total - 20, 9, &vlen);
			assert_non_null(v);
			assert_int_equal(vlen, 1);
			assert_int_equal(v[0], 9);
			nidb++;
		} else if (type == 6) {
			const struct tpkt *t = &pkts[nepb];
			uint32_t cap = host32(b + 20), pad = (cap + 3) & ~3u;

			assert_true(nepb < NPKTS);
			assert_int_equal(nidb, 2);
			assert_int_equal(host32(b + 8), t->iface);
			assert_int_equal(host32(b + 12), t->ts >> 32);
			assert_int_equal(host32(b + 16), (uint32_t)t->ts);
			assert_int_equal(cap, t->want_caplen);
			assert_int_equal(host32(b + 24), t->origlen);
			assert_true(28 + pad + 4 <= total);
			assert_memory_equal(b + 28, frames[nepb], cap);
			for (uint32_t i = cap; i < pad; i++)
				assert_int_equal(b[28 + i], 0);
			v = find_opt(b + 28 + pad, total - 32 - pad, 2, &vlen);
			if (t->dir) {
				assert_non_null(v);
				assert_int_equal(vlen, 4);
				assert_int_equal(host32(v) & 3, t->dir);
			} else {
				assert_null(v);
			}
			nepb++;
		} else {
			fail_msg("unexpected block type %u", type);
		}
		off += total;
	}
	assert_int_equal(off, n);
	assert_int_equal(nidb, 2);
	assert_int_equal(nepb, NPKTS);
	free(buf);
	unlink(path);
}

static void test_pcap(void **state)
{
	size_t n, off = 24;
	char path[64];
	uint8_t *buf;

	write_file(CAPFILE_PCAP, path);
	check_libpcap(path);

	buf = slurp(path, &n);
	assert_true(n >= 24);
	assert_int_equal(host32(buf), 0xa1b23c4d);
	assert_int_equal(host16(buf + 4), 2);
	assert_int_equal(host16(buf + 6), 4);
	assert_int_equal(host32(buf + 8), 0);  /* thiszone */
	assert_int_equal(host32(buf + 12), 0); /* sigfigs */
	assert_int_equal(host32(buf + 16), SNAPLEN);
	assert_int_equal(host32(buf + 20), 1); /* Ethernet */
	for (size_t k = 0; k < NPKTS; k++) {
		assert_true(n - off >= 16);
		assert_int_equal(host32(buf + off), pkts[k].ts / 1000000000ull);
		assert_int_equal(host32(buf + off + 4), pkts[k].ts % 1000000000ull);
		assert_int_equal(host32(buf + off + 8), pkts[k].want_caplen);
		assert_int_equal(host32(buf + off + 12), pkts[k].origlen);
		off += 16 + pkts[k].want_caplen;
	}
	assert_int_equal(off, n);
	free(buf);
	unlink(path);
}

static void test_bad_args(void **state)
{
	uint8_t d[4] = {0};
	struct capfile c;
	char *mem = NULL;
	size_t memlen = 0;
	FILE *f = open_memstream(&mem, &memlen);

	assert_non_null(f);
	assert_int_equal(capfile_open(NULL, f, CAPFILE_PCAPNG, 0), -EINVAL);
	assert_int_equal(capfile_open(&c, NULL, CAPFILE_PCAPNG, 0), -EINVAL);
	assert_int_equal(capfile_open(&c, f, (enum capfile_format)7, 0), -EINVAL);
	assert_int_equal(capfile_open(&c, f, CAPFILE_PCAPNG, 0), 0);
	assert_int_equal(c.snaplen, 262144);
	/* no interface yet, and then only id 0 */
	assert_int_equal(capfile_packet(&c, 0, 0, 1, d, 4, 4), -EINVAL);
	assert_int_equal(capfile_iface(&c, "x", NULL), 0);
	assert_int_equal(capfile_packet(&c, 0, 0, 1, d, 4, 4), 0);
	assert_int_equal(capfile_packet(&c, 1, 0, 1, d, 4, 4), -EINVAL);
	assert_int_equal(capfile_packet(&c, -1, 0, 1, d, 4, 4), -EINVAL);
	assert_int_equal(capfile_packet(&c, 0, 0, 1, NULL, 4, 4), -EINVAL);
	assert_int_equal(capfile_flush(&c), 0);
	/* SHB 28 + userappl + end; IDB 20 + name 8 + tsresol 8 + end 4; EPB 32 + 4 + 12 */
	assert_true(memlen > 28 + 40 + 48);
	fclose(f);
	free(mem);

	/* pcap: any interface, no blocks for interfaces */
	f = open_memstream(&mem, &memlen);
	assert_int_equal(capfile_open(&c, f, CAPFILE_PCAP, 1u << 30), 0);
	assert_int_equal(c.snaplen, 262144);
	assert_int_equal(capfile_iface(&c, "x", "y"), 0);
	assert_int_equal(capfile_packet(&c, 5, 0, 9, d, 4, 4), 0);
	assert_int_equal(capfile_flush(&c), 0);
	assert_int_equal(memlen, 24 + 16 + 4);
	fclose(f);
	free(mem);
}

static void test_write_errors(void **state)
{
	uint8_t d[64] = {0};
	struct capfile c;
	void (*old)(int);
	int fds[2], rc;
	FILE *f;

	/* a full disk: -EIO, at the latest when flushed */
	f = fopen("/dev/full", "w");
	assert_non_null(f);
	rc = capfile_open(&c, f, CAPFILE_PCAPNG, 0);
	if (rc == 0)
		rc = capfile_flush(&c);
	assert_int_equal(rc, -EIO);
	fclose(f);

	/* a reader that has gone: -EPIPE, unbuffered on the first write */
	old = signal(SIGPIPE, SIG_IGN);
	assert_int_equal(pipe(fds), 0);
	close(fds[0]);
	f = fdopen(fds[1], "w");
	assert_non_null(f);
	setvbuf(f, NULL, _IONBF, 0);
	assert_int_equal(capfile_open(&c, f, CAPFILE_PCAP, 0), -EPIPE);
	assert_int_equal(capfile_packet(&c, 0, 0, 1, d, sizeof(d), sizeof(d)), -EPIPE);
	fclose(f);

	/* buffered: the error shows when flushed */
	assert_int_equal(pipe(fds), 0);
	close(fds[0]);
	f = fdopen(fds[1], "w");
	assert_int_equal(capfile_open(&c, f, CAPFILE_PCAP, 0), 0);
	assert_int_equal(capfile_flush(&c), -EPIPE);
	fclose(f);
	signal(SIGPIPE, old);
}

/* --- lines --- */

/* capfile_line into a roomy buffer; the line, checked for its length. */
static const char *line(const char *iface, int dir, const uint8_t *f, uint32_t caplen,
			uint32_t origlen)
{
	static char buf[512];
	size_t n = capfile_line(buf, sizeof(buf), TS0, iface, dir, f, caplen, origlen);

	assert_int_equal(n, strlen(buf));
	return buf;
}

#define PFX "22:13:20.123456 a1:eth0 in  "

/* The line of an inbound frame on a1:eth0 is PFX and `want`. */
#define CHECK(f, caplen, origlen, want)                                                            \
	assert_string_equal(line("a1:eth0", 1, f, caplen, origlen), PFX want)

static void test_line_icmp(void **state)
{
	uint8_t f[128];
	size_t n = frame_echo(f, 8, 1, 2);

	assert_int_equal(n, 98);
	CHECK(f, n, n, "10.0.0.1 > 10.0.0.2: ICMP echo request id 7 seq 1, length 98");
	n = frame_echo(f, 0, 2, 1);
	assert_string_equal(
	    line("b1:eth0", 2, f, n, n),
	    "22:13:20.123456 b1:eth0 out 10.0.0.2 > 10.0.0.1: ICMP echo reply id 7 seq 1, "
	    "length 98");
	/* a snap length cut past the headers does not show */
	assert_string_equal(line("a1:eth0", 0, f, 42, n),
			    "22:13:20.123456 a1:eth0 ?   10.0.0.2 > 10.0.0.1: ICMP echo reply id 7 "
			    "seq 1, length 98");
	/* echo cut inside the ICMP header */
	CHECK(f, 14 + 20 + 6, n, "10.0.0.2 > 10.0.0.1: ICMP echo reply [|icmp], length 98");
	CHECK(f, 14 + 20 + 2, n, "10.0.0.2 > 10.0.0.1: [|icmp], length 98");

	/* port unreachable, time exceeded, other */
	f[34] = 3, f[35] = 3;
	CHECK(f, n, n, "10.0.0.2 > 10.0.0.1: ICMP dest unreachable (port), length 98");
	f[34] = 11, f[35] = 0;
	CHECK(f, n, n, "10.0.0.2 > 10.0.0.1: ICMP time exceeded in-transit, length 98");
	f[34] = 42, f[35] = 7;
	CHECK(f, n, n, "10.0.0.2 > 10.0.0.1: ICMP type 42 code 7, length 98");
}

static void test_line_arp(void **state)
{
	uint8_t f[60] = {0};
	size_t n = put_eth(f, 0x0806);

	f[0] = f[1] = f[2] = f[3] = f[4] = f[5] = 0xff;
	be16(f + n, 1);
	be16(f + n + 2, 0x0800);
	f[n + 4] = 6, f[n + 5] = 4;
	be16(f + n + 6, 1);
	memcpy(f + n + 8, mac1, 6);
	f[n + 14] = 10, f[n + 17] = 1;
	f[n + 24] = 10, f[n + 27] = 2;
	CHECK(f, 60, 60, "ARP who-has 10.0.0.2 tell 10.0.0.1, length 60");
	/* the reply from .2 */
	be16(f + n + 6, 2);
	memcpy(f + n + 8, mac2, 6);
	f[n + 17] = 2, f[n + 27] = 1;
	CHECK(f, 60, 60, "ARP 10.0.0.2 is-at 02:00:00:00:00:02, length 60");
	CHECK(f, 14 + 27, 60, "ARP [|arp], length 60");
	f[n + 1] = 6; /* IEEE 802 hardware */
	CHECK(f, 60, 60, "ARP hardware 6 protocol 0x0800 op 2, length 60");
}

static void test_line_tcp(void **state)
{
	static const struct {
		uint8_t flags;
		const char *want;
	} cases[] = {
	    {0x02, "TCP [S] seq 1000 win 64240"},
	    {0x12, "TCP [S.] seq 2000 ack 1001 win 64240"},
	    {0x10, "TCP [.] seq 1001 ack 2001 win 64240"},
	    {0x18, "TCP [P.] seq 1001 ack 2001 win 64240"},
	    {0x11, "TCP [F.] seq 1001 ack 2001 win 64240"},
	    {0x04, "TCP [R] seq 1001 win 64240"},
	    {0x00, "TCP [none] seq 1001 win 64240"},
	};
	char want[256];
	uint8_t f[128];
	size_t n;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t seq = cases[i].flags == 0x02 ? 1000 : cases[i].flags == 0x12 ? 2000 : 1001;

		n = frame_tcp(f, cases[i].flags, seq, cases[i].flags == 0x12 ? 1001 : 2001, 64240);
		assert_int_equal(n, 74);
		snprintf(want, sizeof(want), PFX "10.0.0.1.45678 > 10.0.0.2.80: %s, length 74",
			 cases[i].want);
		assert_string_equal(line("a1:eth0", 1, f, n, n), want);
	}
	/* cut inside the TCP header, after the ports and before them */
	n = frame_tcp(f, 0x02, 1, 0, 1);
	CHECK(f, 14 + 20 + 10, n, "10.0.0.1.45678 > 10.0.0.2.80: [|tcp], length 74");
	CHECK(f, 14 + 20 + 3, n, "10.0.0.1 > 10.0.0.2: [|tcp], length 74");
	/* cut inside the IPv4 header */
	CHECK(f, 14 + 10, n, "[|ipv4], length 74");
	/* a data offset below 5 words */
	f[14 + 20 + 12] = 2 << 4;
	CHECK(f, n, n,
	      "10.0.0.1.45678 > 10.0.0.2.80: TCP [S] seq 1 win 1 bad header length 8, "
	      "length 74");
}

static void test_line_udp_ip(void **state)
{
	uint8_t f[128] = {0};
	size_t n = put_eth(f, 0x0800);

	n += put_ipv4(f + n, 17, 1, 2, 40);
	be16(f + n, 5353);
	be16(f + n + 2, 53);
	be16(f + n + 4, 40);
	n += 40;
	CHECK(f, n, n, "10.0.0.1.5353 > 10.0.0.2.53: UDP len 32, length 74");
	CHECK(f, 14 + 20 + 6, n, "10.0.0.1.5353 > 10.0.0.2.53: [|udp], length 74");
	/* other protocols, fragments, bad headers */
	f[14 + 9] = 47;
	CHECK(f, n, n, "10.0.0.1 > 10.0.0.2: GRE, length 74");
	f[14 + 9] = 200;
	CHECK(f, n, n, "10.0.0.1 > 10.0.0.2: ip-proto-200, length 74");
	f[14 + 9] = 17;
	be16(f + 14 + 6, 185); /* offset 1480 */
	CHECK(f, n, n,
	      "10.0.0.1 > 10.0.0.2: fragment id 4660 offset 1480 ip-proto-17, "
	      "length 74");
	f[14] = 0x46; /* options past the captured bytes */
	CHECK(f, 14 + 22, n, "10.0.0.1 > 10.0.0.2: [|ipv4], length 74");
	f[14] = 0x44;
	CHECK(f, n, n, "10.0.0.1 > 10.0.0.2: bad header length 16, length 74");
	f[14] = 0x55;
	CHECK(f, n, n, "IPv4 bad version 5, length 74");
}

static void test_line_ipv6(void **state)
{
	uint8_t f[128] = {0};
	size_t n = put_eth(f, 0x86dd);

	n += put_ipv6(f + n, 58, fd1, fd2, 16);
	n += put_icmp_echo(f + n, 128, 1, 2, 8);
	assert_int_equal(n, 70);
	CHECK(f, n, n, "fd00::1 > fd00::2: ICMP6 echo request id 1 seq 2, length 70");
	f[54] = 129;
	CHECK(f, n, n, "fd00::1 > fd00::2: ICMP6 echo reply id 1 seq 2, length 70");
	CHECK(f, 14 + 39, n, "[|ipv6], length 70");

	/* neighbor solicitation for fe80::2 */
	memset(f, 0, sizeof(f));
	n = put_eth(f, 0x86dd);
	n += put_ipv6(f + n, 58, ll1, snm2, 32);
	f[n] = 135;
	memcpy(f + n + 8, ll2, 16);
	n += 32;
	CHECK(f, n, n,
	      "fe80::1 > ff02::1:ff00:2: ICMP6 neighbor solicitation who has fe80::2, length 86");
	f[54] = 136;
	CHECK(f, n, n,
	      "fe80::1 > ff02::1:ff00:2: ICMP6 neighbor advertisement tgt is fe80::2, length 86");
	CHECK(f, 14 + 40 + 20, n,
	      "fe80::1 > ff02::1:ff00:2: ICMP6 neighbor advertisement [|icmp6], length 86");
	f[54] = 133;
	CHECK(f, n, n, "fe80::1 > ff02::1:ff00:2: ICMP6 router solicitation, length 86");
	f[54] = 134;
	CHECK(f, n, n, "fe80::1 > ff02::1:ff00:2: ICMP6 router advertisement, length 86");

	/* MLDv2 report behind hop-by-hop options, UDP behind a fragment header
	 * and destination options */
	memset(f, 0, sizeof(f));
	n = put_eth(f, 0x86dd);
	n += put_ipv6(f + n, 0, ll1, snm2, 8 + 28);
	f[n] = 58;
	n += 8;
	f[n] = 143;
	n += 28;
	CHECK(f, n, n, "fe80::1 > ff02::1:ff00:2: ICMP6 multicast listener report v2, length 90");
	CHECK(f, 14 + 40 + 6, n, "fe80::1 > ff02::1:ff00:2: [|ipv6], length 90");
	memset(f, 0, sizeof(f));
	n = put_eth(f, 0x86dd);
	n += put_ipv6(f + n, 44, fd1, fd2, 8 + 16 + 8);
	f[n] = 60;
	n += 8;
	f[n] = 17, f[n + 1] = 1; /* 16 bytes */
	n += 16;
	be16(f + n, 1000);
	be16(f + n + 2, 2000);
	be16(f + n + 4, 8);
	n += 8;
	CHECK(f, n, n, "fd00::1.1000 > fd00::2.2000: UDP len 0, length 86");
	be16(f + 14 + 40 + 2, 1480); /* a later fragment */
	assert_string_equal(line("a1:eth0", 1, f, n, n), PFX
			    "fd00::1 > fd00::2: fragment id 0 offset 1480 ip-proto-60, length 86");
}

static void test_line_vlan_other(void **state)
{
	uint8_t f[128] = {0};
	size_t n = put_eth(f, 0x8100);

	be16(f + n, 100);
	be16(f + n + 2, 0x0800);
	n += 4;
	n += put_ipv4(f + n, 1, 1, 2, 64);
	n += put_icmp_echo(f + n, 8, 7, 1, 56);
	CHECK(f, n, n,
	      "vlan 100, 10.0.0.1 > 10.0.0.2: ICMP echo request id 7 seq 1, "
	      "length 102");
	CHECK(f, 16, n, "vlan [|vlan], length 102");

	/* QinQ: 802.1ad 200, priority 5, then 802.1Q 100 */
	memset(f, 0, sizeof(f));
	n = put_eth(f, 0x88a8);
	be16(f + n, 5 << 13 | 200);
	be16(f + n + 2, 0x8100);
	be16(f + n + 4, 100);
	be16(f + n + 6, 0x0800);
	n += 8;
	n += put_ipv4(f + n, 1, 1, 2, 64);
	n += put_icmp_echo(f + n, 8, 7, 1, 56);
	CHECK(f, n, n,
	      "svlan 200 p 5, vlan 100, 10.0.0.1 > 10.0.0.2: ICMP echo request "
	      "id 7 seq 1, length 106");

	memset(f, 0, sizeof(f));
	n = put_eth(f, 0x88b5);
	assert_string_equal(line("a1:eth0", 1, f, 60, 60), PFX
			    "02:00:00:00:00:01 > 02:00:00:00:00:02: ethertype 0x88b5, length 60");
	/* a runt, and nothing at all */
	CHECK(f, 5, 5, "[|ether], length 5");
	assert_string_equal(line("a1:eth0", 1, NULL, 0, 0), PFX "[|ether], length 0");
}

static void test_line_iface_dir(void **state)
{
	uint8_t f[128];
	size_t n = frame_echo(f, 8, 1, 2);

	assert_string_equal(
	    line("a\n\x01 \\\xc3\xa9", 2, f, 14, n),
	    "22:13:20.123456 a\\x0a\\x01\\x20\\x5c\\xc3\\xa9 out [|ipv4], length 98");
	assert_string_equal(line(NULL, 7, f, 14, n), "22:13:20.123456 ? ?   [|ipv4], length 98");
	assert_string_equal(line("", -1, f, 14, n), "22:13:20.123456 ? ?   [|ipv4], length 98");
}

static void test_line_small_buffers(void **state)
{
	char buf[32];
	uint8_t f[128];
	size_t n = frame_echo(f, 8, 1, 2);

	memset(buf, 'x', sizeof(buf));
	assert_int_equal(capfile_line(buf, 0, TS0, "a1:eth0", 1, f, n, n), 0);
	assert_int_equal(buf[0], 'x');
	assert_int_equal(capfile_line(NULL, 0, TS0, "a1:eth0", 1, f, n, n), 0);
	assert_int_equal(capfile_line(buf, 1, TS0, "a1:eth0", 1, f, n, n), 0);
	assert_int_equal(buf[0], '\0');
	assert_int_equal(buf[1], 'x');
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(capfile_line(buf, 10, TS0, "a1:eth0", 1, f, n, n), 9);
	assert_string_equal(buf, "22:13:20.");
	assert_int_equal(buf[10], 'x');
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(capfile_line(buf, 16, TS0, "a1:eth0", 1, f, n, n), 15);
	assert_string_equal(buf, "22:13:20.123456");
	/* cut in the middle of an escaped interface byte */
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(capfile_line(buf, 18, TS0, "\x01", 1, f, n, n), 17);
	assert_string_equal(buf, "22:13:20.123456 \\");
	assert_int_equal(buf[18], 'x');
}

static uint64_t rnd_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

/* Random frames, half of them shaped to reach deep into the parsers; each
 * in a heap block of exactly its length, so a sanitizer sees overreads;
 * lines into random buffer sizes guarded by a canary. */
static void test_line_fuzz(void **state)
{
	static const uint16_t types[] = {0x0800, 0x86dd, 0x0806, 0x8100, 0x88a8, 0x9100, 0x0042};
	static const uint8_t protos[] = {1, 6, 17, 58, 0, 43, 44, 51, 59, 60, 47};
	char out[512];

	for (int it = 0; it < 100000; it++) {
		size_t n = rnd() % 201, blen = 1 + rnd() % 300, r;
		uint8_t *f = malloc(n ? n : 1);

		assert_non_null(f);
		for (size_t i = 0; i < n; i++)
			f[i] = (uint8_t)rnd();
		if (rnd() & 1) {
			size_t l3 = 14;

			for (size_t t = 12; t + 2 <= n && t < 30; t += 4) {
				be16(f + t, types[rnd() % (sizeof(types) / sizeof(types[0]))]);
				if (f[t] != 0x81 && f[t] != 0x88 && f[t] != 0x91) {
					l3 = t + 2;
					break;
				}
			}
			if (l3 < n)
				f[l3] = (rnd() & 1 ? 0x40 : 0x60) | (uint8_t)(rnd() % 16);
			if (l3 + 9 < n && f[l3] >> 4 == 4)
				f[l3 + 9] = protos[rnd() % sizeof(protos)];
			if (l3 + 6 < n && f[l3] >> 4 == 6)
				f[l3 + 6] = protos[rnd() % sizeof(protos)];
			if (l3 + 3 < n && rnd() & 1)
				f[l3 + 2] = 0, f[l3 + 3] = (uint8_t)(rnd() % 64);
		}
		memset(out, 0xa5, sizeof(out));
		r = capfile_line(out, blen, rnd(), (rnd() & 3) ? "a1:eth0" : "\x7f\x80",
				 (int)(rnd() % 4), f, (uint32_t)n, (uint32_t)rnd());
		assert_true(r < blen);
		assert_int_equal(out[r], '\0');
		assert_int_equal(strlen(out), r);
		for (size_t i = blen; i < sizeof(out); i++)
			assert_int_equal((uint8_t)out[i], 0xa5);
		free(f);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pcapng),	   cmocka_unit_test(test_pcap),
	    cmocka_unit_test(test_bad_args),	   cmocka_unit_test(test_write_errors),
	    cmocka_unit_test(test_line_icmp),	   cmocka_unit_test(test_line_arp),
	    cmocka_unit_test(test_line_tcp),	   cmocka_unit_test(test_line_udp_ip),
	    cmocka_unit_test(test_line_ipv6),	   cmocka_unit_test(test_line_vlan_other),
	    cmocka_unit_test(test_line_iface_dir), cmocka_unit_test(test_line_small_buffers),
	    cmocka_unit_test(test_line_fuzz),
	};

	setenv("TZ", "UTC", 1);
	tzset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
