/* Capture files and lines (capfile.h): the pcapng and classic pcap writers
 * of `vlab capture`, and the one-line summary of a frame it prints on a
 * terminal.
 *
 * Threads: the CLI's main thread. Pure: the writers touch only the FILE they
 * are given, capfile_line() only the caller's buffer; a frame is read only
 * within its captured length, whatever its bytes say. */
#include "capfile.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>

#ifndef VLAB_VERSION
#define VLAB_VERSION "unknown"
#endif

#define NSEC_PER_SEC	    1000000000ull
#define CAPFILE_SNAPLEN_MAX 262144u /* libpcap's largest; a snap length of 0 means it */
#define LINKTYPE_ETHERNET   1

/* pcapng blocks and options (draft-ietf-opsawg-pcapng) */
#define PCAPNG_SHB		0x0a0d0d0au
#define PCAPNG_IDB		0x00000001u
#define PCAPNG_EPB		0x00000006u
#define PCAPNG_BYTE_ORDER_MAGIC 0x1a2b3c4du
#define PCAPNG_OPT_END		0
#define PCAPNG_OPT_SHB_USERAPPL 4
#define PCAPNG_OPT_IF_NAME	2
#define PCAPNG_OPT_IF_DESC	3
#define PCAPNG_OPT_IF_TSRESOL	9
#define PCAPNG_OPT_EPB_FLAGS	2
#define PCAPNG_TSRESOL_NSEC	9 /* 10^-9 s */

/* classic pcap with nanosecond timestamps */
#define PCAP_MAGIC_NSEC	   0xa1b23c4du
#define PCAP_VERSION_MAJOR 2
#define PCAP_VERSION_MINOR 4

/* --- writers --- */

/* One block being written: the first error sticks and later puts do
 * nothing, so a block is a straight sequence of puts and one check. */
struct wr {
	FILE *f;
	int err; /* 0 or -EIO / -EPIPE */
};

static int write_error(void)
{
	return errno == EPIPE ? -EPIPE : -EIO;
}

static void put(struct wr *w, const void *p, size_t n)
{
	if (w->err || n == 0)
		return;
	errno = 0;
	if (fwrite(p, 1, n, w->f) != n)
		w->err = write_error();
}

static void put16(struct wr *w, uint16_t v)
{
	put(w, &v, sizeof(v));
}

static void put32(struct wr *w, uint32_t v)
{
	put(w, &v, sizeof(v));
}

static void put64(struct wr *w, uint64_t v)
{
	put(w, &v, sizeof(v));
}

static size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

/* Zero bytes from n up to the next multiple of 4. */
static void put_pad(struct wr *w, size_t n)
{
	static const uint8_t zero[4];

	put(w, zero, pad4(n) - n);
}

/* Bytes of an option with a value of vlen bytes: code, length, padded value. */
static uint32_t opt_size(size_t vlen)
{
	return 4 + (uint32_t)pad4(vlen);
}

static void put_opt(struct wr *w, uint16_t code, const void *v, uint16_t vlen)
{
	put16(w, code);
	put16(w, vlen);
	put(w, v, vlen);
	put_pad(w, vlen);
}

static void put_opt_end(struct wr *w)
{
	put16(w, PCAPNG_OPT_END);
	put16(w, 0);
}

int capfile_open(struct capfile *c, FILE *f, enum capfile_format format, uint32_t snaplen)
{
	static const char appl[] = "vlab " VLAB_VERSION;
	struct wr w = {f, 0};
	uint32_t total;

	if (!c || !f || (format != CAPFILE_PCAPNG && format != CAPFILE_PCAP))
		return -EINVAL;
	c->f = f;
	c->format = format;
	c->snaplen = snaplen && snaplen < CAPFILE_SNAPLEN_MAX ? snaplen : CAPFILE_SNAPLEN_MAX;
	c->n_ifaces = 0;

	if (format == CAPFILE_PCAP) {
		put32(&w, PCAP_MAGIC_NSEC);
		put16(&w, PCAP_VERSION_MAJOR);
		put16(&w, PCAP_VERSION_MINOR);
		put32(&w, 0); /* thiszone: UTC */
		put32(&w, 0); /* sigfigs */
		put32(&w, c->snaplen);
		put32(&w, LINKTYPE_ETHERNET);
		return w.err;
	}

	/* type, length, byte-order magic, version 1.0, section length
	 * unknown (-1), options, length again */
	total = 28 + opt_size(sizeof(appl) - 1) + opt_size(0);
	put32(&w, PCAPNG_SHB);
	put32(&w, total);
	put32(&w, PCAPNG_BYTE_ORDER_MAGIC);
	put16(&w, 1);
	put16(&w, 0);
	put64(&w, UINT64_MAX);
	put_opt(&w, PCAPNG_OPT_SHB_USERAPPL, appl, sizeof(appl) - 1);
	put_opt_end(&w);
	put32(&w, total);
	return w.err;
}

int capfile_iface(struct capfile *c, const char *name, const char *description)
{
	static const uint8_t tsresol = PCAPNG_TSRESOL_NSEC;
	size_t name_len = name ? strlen(name) : 0;
	size_t desc_len = description ? strlen(description) : 0;
	struct wr w;
	uint32_t total;

	if (!c || !c->f)
		return -EINVAL;
	if (c->format == CAPFILE_PCAP)
		return 0;
	if (name_len > UINT16_MAX || desc_len > UINT16_MAX)
		return -EINVAL;
	if (c->n_ifaces >= INT32_MAX)
		return -EOVERFLOW;

	/* type, length, link type, reserved, snap length, options, length */
	total = 20 + opt_size(sizeof(tsresol)) + opt_size(0);
	if (name_len)
		total += opt_size(name_len);
	if (desc_len)
		total += opt_size(desc_len);
	w = (struct wr){c->f, 0};
	put32(&w, PCAPNG_IDB);
	put32(&w, total);
	put16(&w, LINKTYPE_ETHERNET);
	put16(&w, 0);
	put32(&w, c->snaplen);
	if (name_len)
		put_opt(&w, PCAPNG_OPT_IF_NAME, name, (uint16_t)name_len);
	if (desc_len)
		put_opt(&w, PCAPNG_OPT_IF_DESC, description, (uint16_t)desc_len);
	put_opt(&w, PCAPNG_OPT_IF_TSRESOL, &tsresol, sizeof(tsresol));
	put_opt_end(&w);
	put32(&w, total);
	if (w.err)
		return w.err;
	return (int)c->n_ifaces++;
}

int capfile_packet(struct capfile *c, int iface, uint64_t ts_ns, int dir, const uint8_t *data,
		   uint32_t caplen, uint32_t origlen)
{
	struct wr w;
	uint32_t flags, total;

	if (!c || !c->f || (!data && caplen))
		return -EINVAL;
	if (caplen > c->snaplen)
		caplen = c->snaplen;
	if (origlen < caplen)
		origlen = caplen;
	w = (struct wr){c->f, 0};

	if (c->format == CAPFILE_PCAP) {
		put32(&w, (uint32_t)(ts_ns / NSEC_PER_SEC));
		put32(&w, (uint32_t)(ts_ns % NSEC_PER_SEC));
		put32(&w, caplen);
		put32(&w, origlen);
		put(&w, data, caplen);
		return w.err;
	}

	if (iface < 0 || (uint32_t)iface >= c->n_ifaces)
		return -EINVAL;
	/* epb_flags bits 0-1: 1 inbound, 2 outbound; no option when unknown */
	flags = dir == 1 || dir == 2 ? (uint32_t)dir : 0;
	/* type, length, interface, timestamp high and low, captured and
	 * original lengths, padded data, options, length */
	total = 32 + (uint32_t)pad4(caplen);
	if (flags)
		total += opt_size(sizeof(flags)) + opt_size(0);
	put32(&w, PCAPNG_EPB);
	put32(&w, total);
	put32(&w, (uint32_t)iface);
	put32(&w, (uint32_t)(ts_ns >> 32));
	put32(&w, (uint32_t)ts_ns);
	put32(&w, caplen);
	put32(&w, origlen);
	put(&w, data, caplen);
	put_pad(&w, caplen);
	if (flags) {
		put_opt(&w, PCAPNG_OPT_EPB_FLAGS, &flags, sizeof(flags));
		put_opt_end(&w);
	}
	put32(&w, total);
	return w.err;
}

int capfile_flush(struct capfile *c)
{
	if (!c || !c->f)
		return -EINVAL;
	errno = 0;
	if (fflush(c->f) != 0)
		return write_error();
	return 0;
}

/* --- the line --- */

#define ETH_P_IPV4   0x0800
#define ETH_P_ARP    0x0806
#define ETH_P_8021Q  0x8100
#define ETH_P_IPV6   0x86dd
#define ETH_P_SLOW   0x8809
#define ETH_P_8021AD 0x88a8
#define ETH_P_LLDP   0x88cc
#define ETH_P_QINQ1  0x9100 /* pre-standard 802.1ad */

#define TCP_ACK 0x10

/* A line being built in the caller's buffer: never more than len - 1
 * characters and always NUL-terminated; once full, further text is
 * dropped. */
struct line {
	char *buf;
	size_t len; /* size of buf, > 0 */
	size_t n;   /* characters in buf */
};

__attribute__((format(printf, 2, 3))) static void lput(struct line *l, const char *fmt, ...)
{
	size_t room = l->len - l->n;
	va_list ap;
	int r;

	if (room <= 1)
		return;
	va_start(ap, fmt);
	r = vsnprintf(l->buf + l->n, room, fmt, ap);
	va_end(ap);
	if (r < 0)
		l->buf[l->n] = '\0';
	else if ((size_t)r >= room)
		l->n = l->len - 1;
	else
		l->n += (size_t)r;
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void fmt_mac(char s[18], const uint8_t *p)
{
	snprintf(s, 18, "%02x:%02x:%02x:%02x:%02x:%02x", p[0], p[1], p[2], p[3], p[4], p[5]);
}

static void fmt_ip4(char s[16], const uint8_t *p)
{
	snprintf(s, 16, "%u.%u.%u.%u", p[0], p[1], p[2], p[3]);
}

static void fmt_ip6(char s[INET6_ADDRSTRLEN], const uint8_t *p)
{
	if (!inet_ntop(AF_INET6, p, s, INET6_ADDRSTRLEN))
		snprintf(s, INET6_ADDRSTRLEN, "?");
}

/* Name of entry i of a table of n, or NULL. */
static const char *name_of(const char *const *names, size_t n, unsigned int i)
{
	return i < n ? names[i] : NULL;
}

#define NAME_OF(names, i) name_of(names, sizeof(names) / sizeof(names[0]), i)

static void line_tcp(struct line *l, const char *src, const char *dst, const uint8_t *p, size_t n)
{
	/* tcpdump's letters, in its order: FIN SYN RST PSH ACK URG ECE CWR */
	static const char letters[] = "FSRP.UEW";
	char flags[sizeof(letters)];
	unsigned int doff;
	size_t k = 0;

	if (n < 4) {
		lput(l, "%s > %s: [|tcp]", src, dst);
		return;
	}
	lput(l, "%s.%u > %s.%u: ", src, rd16(p), dst, rd16(p + 2));
	if (n < 20) {
		lput(l, "[|tcp]");
		return;
	}
	for (unsigned int i = 0; i < 8; i++)
		if (p[13] & (1u << i))
			flags[k++] = letters[i];
	flags[k] = '\0';
	lput(l, "TCP [%s] seq %u", k ? flags : "none", rd32(p + 4));
	if (p[13] & TCP_ACK)
		lput(l, " ack %u", rd32(p + 8));
	lput(l, " win %u", rd16(p + 14));
	doff = (p[12] >> 4) * 4u;
	if (doff < 20)
		lput(l, " bad header length %u", doff);
}

static void line_udp(struct line *l, const char *src, const char *dst, const uint8_t *p, size_t n)
{
	unsigned int ulen;

	if (n < 4) {
		lput(l, "%s > %s: [|udp]", src, dst);
		return;
	}
	lput(l, "%s.%u > %s.%u: ", src, rd16(p), dst, rd16(p + 2));
	if (n < 8) {
		lput(l, "[|udp]");
		return;
	}
	ulen = rd16(p + 4);
	if (ulen < 8)
		lput(l, "UDP bad length %u", ulen);
	else
		lput(l, "UDP len %u", ulen - 8);
}

static void line_echo(struct line *l, const char *what, const char *trunc, const uint8_t *p,
		      size_t n)
{
	lput(l, "echo %s", what);
	if (n < 8)
		lput(l, " %s", trunc);
	else
		lput(l, " id %u seq %u", rd16(p + 4), rd16(p + 6));
}

static void line_icmp(struct line *l, const char *src, const char *dst, const uint8_t *p, size_t n)
{
	static const char *const unreach[] = {"net",
					      "host",
					      "protocol",
					      "port",
					      "need to frag",
					      "source route failed",
					      "net unknown",
					      "host unknown",
					      "source host isolated",
					      "net prohibited",
					      "host prohibited",
					      "net tos",
					      "host tos",
					      "admin prohibited",
					      "host precedence violation",
					      "precedence cutoff"};
	static const char *const others[] = {
	    [4] = "source quench",	  [5] = "redirect",	      [9] = "router advertisement",
	    [10] = "router solicitation", [12] = "parameter problem", [13] = "timestamp request",
	    [14] = "timestamp reply"};
	const char *name;

	lput(l, "%s > %s: ", src, dst);
	if (n < 4) {
		lput(l, "[|icmp]");
		return;
	}
	lput(l, "ICMP ");
	switch (p[0]) {
	case 0:
		line_echo(l, "reply", "[|icmp]", p, n);
		break;
	case 8:
		line_echo(l, "request", "[|icmp]", p, n);
		break;
	case 3:
		name = NAME_OF(unreach, p[1]);
		if (name)
			lput(l, "dest unreachable (%s)", name);
		else
			lput(l, "dest unreachable code %u", p[1]);
		break;
	case 11:
		if (p[1] == 0)
			lput(l, "time exceeded in-transit");
		else if (p[1] == 1)
			lput(l, "time exceeded in reassembly");
		else
			lput(l, "time exceeded code %u", p[1]);
		break;
	default:
		name = NAME_OF(others, p[0]);
		if (name && p[1] == 0)
			lput(l, "%s", name);
		else
			lput(l, "type %u code %u", p[0], p[1]);
	}
}

static void line_icmp6(struct line *l, const char *src, const char *dst, const uint8_t *p, size_t n)
{
	static const char *const unreach[] = {"no route",     "admin prohibited",
					      "beyond scope", "address",
					      "port",	      "source address failed policy",
					      "reject route"};
	static const char *const others[] = {[4] = "parameter problem",
					     [130] = "multicast listener query",
					     [131] = "multicast listener report",
					     [132] = "multicast listener done",
					     [133] = "router solicitation",
					     [134] = "router advertisement",
					     [137] = "redirect",
					     [143] = "multicast listener report v2"};
	char target[INET6_ADDRSTRLEN];
	const char *name;

	lput(l, "%s > %s: ", src, dst);
	if (n < 4) {
		lput(l, "[|icmp6]");
		return;
	}
	lput(l, "ICMP6 ");
	switch (p[0]) {
	case 128:
		line_echo(l, "request", "[|icmp6]", p, n);
		break;
	case 129:
		line_echo(l, "reply", "[|icmp6]", p, n);
		break;
	case 135:
	case 136:
		lput(l, "neighbor %s", p[0] == 135 ? "solicitation" : "advertisement");
		if (n < 24) {
			lput(l, " [|icmp6]");
			break;
		}
		fmt_ip6(target, p + 8);
		lput(l, p[0] == 135 ? " who has %s" : " tgt is %s", target);
		break;
	case 1:
		name = NAME_OF(unreach, p[1]);
		if (name)
			lput(l, "dest unreachable (%s)", name);
		else
			lput(l, "dest unreachable code %u", p[1]);
		break;
	case 2:
		if (n < 8)
			lput(l, "packet too big [|icmp6]");
		else
			lput(l, "packet too big mtu %u", rd32(p + 4));
		break;
	case 3:
		lput(l, "time exceeded %s", p[1] == 0 ? "in-transit" : "in reassembly");
		break;
	default:
		name = NAME_OF(others, p[0]);
		if (name)
			lput(l, "%s", name);
		else
			lput(l, "type %u code %u", p[0], p[1]);
	}
}

static void line_proto(struct line *l, uint8_t proto)
{
	static const char *const names[] = {
	    [2] = "IGMP", [4] = "IPIP",	 [41] = "IPv6-in-IP", [47] = "GRE",  [50] = "ESP",
	    [51] = "AH",  [89] = "OSPF", [112] = "VRRP",      [132] = "SCTP"};
	const char *name = NAME_OF(names, proto);

	if (name)
		lput(l, "%s", name);
	else
		lput(l, "ip-proto-%u", proto);
}

/* The transport header at p (n bytes captured) of an IPv4 or IPv6 packet. */
static void line_l4(struct line *l, bool v6, uint8_t proto, const char *src, const char *dst,
		    const uint8_t *p, size_t n)
{
	if (proto == 6) {
		line_tcp(l, src, dst, p, n);
	} else if (proto == 17) {
		line_udp(l, src, dst, p, n);
	} else if (proto == 1 && !v6) {
		line_icmp(l, src, dst, p, n);
	} else if (proto == 58 && v6) {
		line_icmp6(l, src, dst, p, n);
	} else {
		lput(l, "%s > %s: ", src, dst);
		line_proto(l, proto);
	}
}

static void line_ipv4(struct line *l, const uint8_t *p, size_t n)
{
	char src[16], dst[16];
	unsigned int ihl, tot, frag;

	if (n < 20) {
		lput(l, "[|ipv4]");
		return;
	}
	if (p[0] >> 4 != 4) {
		lput(l, "IPv4 bad version %u", p[0] >> 4);
		return;
	}
	fmt_ip4(src, p + 12);
	fmt_ip4(dst, p + 16);
	ihl = (p[0] & 0xf) * 4u;
	if (ihl < 20) {
		lput(l, "%s > %s: bad header length %u", src, dst, ihl);
		return;
	}
	if (n < ihl) {
		lput(l, "%s > %s: [|ipv4]", src, dst);
		return;
	}
	/* Ethernet padding is not transport payload (0: offloaded, unknown). */
	tot = rd16(p + 2);
	if (tot >= ihl && tot < n)
		n = tot;
	frag = (rd16(p + 6) & 0x1fff) * 8u;
	if (frag) {
		lput(l, "%s > %s: fragment id %u offset %u ", src, dst, rd16(p + 4), frag);
		line_proto(l, p[9]);
		return;
	}
	line_l4(l, false, p[9], src, dst, p + ihl, n - ihl);
}

static void line_ipv6(struct line *l, const uint8_t *p, size_t n)
{
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	size_t off = 40, hl;
	unsigned int plen, frag;
	uint8_t nh;

	if (n < 40) {
		lput(l, "[|ipv6]");
		return;
	}
	if (p[0] >> 4 != 6) {
		lput(l, "IPv6 bad version %u", p[0] >> 4);
		return;
	}
	fmt_ip6(src, p + 8);
	fmt_ip6(dst, p + 24);
	plen = rd16(p + 4);
	if (plen && 40 + (size_t)plen < n)
		n = 40 + plen;
	nh = p[6];
	/* Every extension header is 8 bytes or more: the loop ends. */
	for (;;) {
		switch (nh) {
		case 0:	 /* hop-by-hop options */
		case 43: /* routing */
		case 51: /* authentication header */
		case 60: /* destination options */
			if (n - off < 8)
				goto truncated;
			hl = nh == 51 ? (p[off + 1] + 2u) * 4 : (p[off + 1] + 1u) * 8;
			if (n - off < hl)
				goto truncated;
			nh = p[off];
			off += hl;
			break;
		case 44: /* fragment */
			if (n - off < 8)
				goto truncated;
			frag = rd16(p + off + 2) & 0xfff8;
			nh = p[off];
			if (frag) {
				lput(l, "%s > %s: fragment id %u offset %u ", src, dst,
				     rd32(p + off + 4), frag);
				line_proto(l, nh);
				return;
			}
			off += 8;
			break;
		case 59:
			lput(l, "%s > %s: no next header", src, dst);
			return;
		default:
			line_l4(l, true, nh, src, dst, p + off, n - off);
			return;
		}
	}

truncated:
	lput(l, "%s > %s: [|ipv6]", src, dst);
}

static void line_arp(struct line *l, const uint8_t *p, size_t n)
{
	char sha[18], spa[16], tpa[16];
	unsigned int op;

	if (n < 8) {
		lput(l, "ARP [|arp]");
		return;
	}
	op = rd16(p + 6);
	if (rd16(p) != 1 || rd16(p + 2) != ETH_P_IPV4 || p[4] != 6 || p[5] != 4) {
		lput(l, "ARP hardware %u protocol 0x%04x op %u", rd16(p), rd16(p + 2), op);
		return;
	}
	if (n < 28) {
		lput(l, "ARP [|arp]");
		return;
	}
	fmt_mac(sha, p + 8);
	fmt_ip4(spa, p + 14);
	fmt_ip4(tpa, p + 24);
	if (op == 1)
		lput(l, "ARP who-has %s tell %s", tpa, spa);
	else if (op == 2)
		lput(l, "ARP %s is-at %s", spa, sha);
	else
		lput(l, "ARP op %u %s > %s", op, spa, tpa);
}

static void line_ether(struct line *l, const uint8_t *p, size_t n)
{
	char smac[18], dmac[18];
	size_t off = 14;
	unsigned int type, tci;

	if (n < 14) {
		lput(l, "[|ether]");
		return;
	}
	type = rd16(p + 12);
	/* Each tag is 4 bytes within n: the loop ends. */
	while (type == ETH_P_8021Q || type == ETH_P_8021AD || type == ETH_P_QINQ1) {
		if (n - off < 4) {
			lput(l, "%svlan [|vlan]", type == ETH_P_8021Q ? "" : "s");
			return;
		}
		tci = rd16(p + off);
		lput(l, "%svlan %u", type == ETH_P_8021Q ? "" : "s", tci & 0xfff);
		if (tci >> 13)
			lput(l, " p %u", tci >> 13);
		lput(l, ", ");
		type = rd16(p + off + 2);
		off += 4;
	}
	switch (type) {
	case ETH_P_IPV4:
		line_ipv4(l, p + off, n - off);
		return;
	case ETH_P_IPV6:
		line_ipv6(l, p + off, n - off);
		return;
	case ETH_P_ARP:
		line_arp(l, p + off, n - off);
		return;
	}
	fmt_mac(smac, p + 6);
	fmt_mac(dmac, p);
	lput(l, "%s > %s: ", smac, dmac);
	if (type < 0x0600) {
		/* 802.3 length; an LLC header follows */
		if (n - off >= 2 && p[off] == 0x42 && p[off + 1] == 0x42)
			lput(l, "802.3 STP");
		else
			lput(l, "802.3 llc len %u", type);
	} else {
		lput(l, "ethertype 0x%04x", type);
		if (type == ETH_P_LLDP)
			lput(l, " (LLDP)");
		else if (type == ETH_P_SLOW)
			lput(l, " (LACP)");
	}
}

/* The interface name, with control, space, backslash and non-ASCII bytes
 * as \xNN so that the line stays one line of fields. */
static void line_iface(struct line *l, const char *s)
{
	if (!s || !*s) {
		lput(l, "?");
		return;
	}
	for (; *s && l->n + 1 < l->len; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch > ' ' && ch < 0x7f && ch != '\\')
			lput(l, "%c", ch);
		else
			lput(l, "\\x%02x", ch);
	}
}

size_t capfile_line(char *buf, size_t len, uint64_t ts_ns, const char *iface, int dir,
		    const uint8_t *data, uint32_t caplen, uint32_t origlen)
{
	struct line l = {buf, len, 0};
	time_t sec = (time_t)(ts_ns / NSEC_PER_SEC);
	struct tm tm;

	if (!buf || len == 0)
		return 0;
	buf[0] = '\0';
	if (!data)
		caplen = 0;
	if (localtime_r(&sec, &tm))
		lput(&l, "%02d:%02d:%02d", tm.tm_hour, tm.tm_min, tm.tm_sec);
	else
		lput(&l, "??:??:??");
	lput(&l, ".%06u ", (unsigned int)(ts_ns % NSEC_PER_SEC / 1000));
	line_iface(&l, iface);
	lput(&l, " %-3s ", dir == 1 ? "in" : dir == 2 ? "out" : "?");
	line_ether(&l, data, caplen);
	lput(&l, ", length %u", origlen);
	return l.n;
}
