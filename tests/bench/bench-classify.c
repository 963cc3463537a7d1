/* bench-classify: the policy classifier (switch/policy/classify.c) against
 * DPDK's rte_acl and against trying every rule in order, at 10,000 rules.
 *
 * Two rule sets, each 10,000 rules that the traffic does not match and a
 * last one that allows it:
 *   ports     TCP to one destination port each (10000..19999);
 *   prefixes  TCP from one /24 each (11.0.0.0/24, 11.0.1.0/24, ...), any
 *             port: rules the classifier cannot bucket.
 * 4,096 TCP frames from 10.0.0.0/16 to random ports are parsed once; each
 * classifier then finds the first matching rule of each frame, in bursts of
 * 32, for a number of rounds; the result is checked against the linear
 * search, and the figure is cycles (TSC) per frame.
 *
 * Run by hand (root not needed): build/tests/bench/bench-classify [ROUNDS]. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_acl.h>
#include <rte_cycles.h>
#include <rte_eal.h>

#include "classify.h"

#define N_RULES  10000
#define N_FRAMES 4096

struct acl_in { /* what rte_acl reads of a frame, network byte order */
	uint8_t proto;
	uint8_t pad[3];
	uint32_t src, dst;
	uint16_t sport, dport;
};

RTE_ACL_RULE_DEF(bench_acl_rule, 5);

static struct rte_acl_field_def defs[5] = {
    {.type = RTE_ACL_FIELD_TYPE_BITMASK, .size = 1, .field_index = 0, .input_index = 0,
     .offset = offsetof(struct acl_in, proto)},
    {.type = RTE_ACL_FIELD_TYPE_MASK, .size = 4, .field_index = 1, .input_index = 1,
     .offset = offsetof(struct acl_in, src)},
    {.type = RTE_ACL_FIELD_TYPE_MASK, .size = 4, .field_index = 2, .input_index = 2,
     .offset = offsetof(struct acl_in, dst)},
    {.type = RTE_ACL_FIELD_TYPE_RANGE, .size = 2, .field_index = 3, .input_index = 3,
     .offset = offsetof(struct acl_in, sport)},
    {.type = RTE_ACL_FIELD_TYPE_RANGE, .size = 2, .field_index = 4, .input_index = 3,
     .offset = offsetof(struct acl_in, dport)},
};

static uint8_t frames[N_FRAMES][64];
static struct pkt_meta meta[N_FRAMES];
static struct acl_in in[N_FRAMES];

static void make_frames(void)
{
	for (int i = 0; i < N_FRAMES; i++) {
		uint8_t *f = frames[i], *p = f + 14;
		uint32_t src = 0x0a000000u | (uint32_t)(rand() & 0xffff), dst = 0x0a640001u;
		uint16_t sp = (uint16_t)(1024 + rand() % 60000), dp = (uint16_t)(rand() % 65536);

		memset(f, 0, 64);
		memcpy(f, "\x52\x54\x00\x00\x00\x02\x52\x54\x00\x00\x00\x01\x08\x00", 14);
		p[0] = 0x45;
		p[3] = 40;
		p[8] = 64;
		p[9] = PKT_IP_TCP;
		for (int k = 0; k < 4; k++) {
			p[12 + k] = (uint8_t)(src >> (24 - 8 * k));
			p[16 + k] = (uint8_t)(dst >> (24 - 8 * k));
		}
		p[20] = (uint8_t)(sp >> 8);
		p[21] = (uint8_t)sp;
		p[22] = (uint8_t)(dp >> 8);
		p[23] = (uint8_t)dp;
		p[33] = 0x10;
		pkt_parse(f, 60, &meta[i]);
		in[i] = (struct acl_in){.proto = PKT_IP_TCP, .src = htonl(src), .dst = htonl(dst),
					.sport = htons(sp), .dport = htons(dp)};
	}
}

static void make_rules(struct pol_rule *r, struct bench_acl_rule *a, int prefixes)
{
	memset(r, 0, (N_RULES + 1) * sizeof(*r));
	memset(a, 0, (N_RULES + 1) * sizeof(*a));
	for (int i = 0; i <= N_RULES; i++) {
		struct pol_match *m = &r[i].m;

		m->fields = POL_F_PROTO;
		m->proto = PKT_IP_TCP;
		a[i].data.category_mask = 1;
		a[i].data.priority = N_RULES + 1 - i; /* first wins */
		a[i].data.userdata = (uint32_t)i + 1;
		a[i].field[0].value.u8 = PKT_IP_TCP;
		a[i].field[0].mask_range.u8 = 0xff;
		a[i].field[3].mask_range.u16 = 0xffff;
		a[i].field[4].mask_range.u16 = 0xffff;
		if (i == N_RULES)
			continue; /* the last allows every TCP frame */
		if (prefixes) {
			uint32_t net = 0x0b000000u | (uint32_t)i << 8;

			m->fields |= POL_F_IP_SRC;
			m->ip_version = 4;
			m->src.addr[0] = (uint8_t)(net >> 24);
			m->src.addr[1] = (uint8_t)(net >> 16);
			m->src.addr[2] = (uint8_t)(net >> 8);
			m->src.len = 24;
			a[i].field[1].value.u32 = net;
			a[i].field[1].mask_range.u32 = 24;
		} else {
			m->fields |= POL_F_DPORT;
			m->dport_lo = m->dport_hi = (uint16_t)(10000 + i);
			a[i].field[4].value.u16 = (uint16_t)(10000 + i);
			a[i].field[4].mask_range.u16 = (uint16_t)(10000 + i);
		}
	}
}

static int32_t linear(const struct pol_rule *r, int i)
{
	for (int k = 0; k <= N_RULES; k++)
		if (pol_match_frame(&r[k].m, &meta[i], frames[i]))
			return k;
	return -1;
}

static int run_set(const char *name, int prefixes, int rounds)
{
	static struct pol_rule r[N_RULES + 1];
	static struct bench_acl_rule a[N_RULES + 1];
	struct rte_acl_param prm = {.name = name,
				    .socket_id = SOCKET_ID_ANY,
				    .rule_size = RTE_ACL_RULE_SZ(5),
				    .max_rule_num = N_RULES + 1};
	struct rte_acl_config cfg = {.num_categories = 1, .num_fields = 5};
	struct rte_acl_ctx *ctx;
	struct pol_class *c;
	const uint8_t *ptrs[N_FRAMES];
	uint32_t res[N_FRAMES];
	uint64_t t0, t_cls, t_acl, t_lin, sink = 0, b0, b1;
	int bad = 0;

	make_rules(r, a, prefixes);
	b0 = rte_rdtsc();
	c = pol_class_build(r, N_RULES + 1);
	b1 = rte_rdtsc();
	ctx = rte_acl_create(&prm);
	memcpy(cfg.defs, defs, sizeof(defs));
	if (c == NULL || ctx == NULL || rte_acl_add_rules(ctx, (struct rte_acl_rule *)a, N_RULES + 1) ||
	    rte_acl_build(ctx, &cfg)) {
		fprintf(stderr, "bench-classify: %s: cannot build the classifiers\n", name);
		return 1;
	}
	printf("%-9s build: classifier %.1f ms, rte_acl %.1f ms\n", name,
	       (double)(b1 - b0) * 1e3 / (double)rte_get_tsc_hz(),
	       (double)(rte_rdtsc() - b1) * 1e3 / (double)rte_get_tsc_hz());
	for (int i = 0; i < N_FRAMES; i++)
		ptrs[i] = (const uint8_t *)&in[i];
	/* the same answers */
	rte_acl_classify(ctx, ptrs, res, N_FRAMES, 1);
	for (int i = 0; i < N_FRAMES; i++) {
		int32_t l = linear(r, i);

		bad += pol_class_lookup(c, &meta[i], frames[i]) != l || (int32_t)res[i] - 1 != l;
	}
	t0 = rte_rdtsc();
	for (int k = 0; k < rounds; k++)
		for (int i = 0; i < N_FRAMES; i++)
			sink += (uint64_t)pol_class_lookup(c, &meta[i], frames[i]);
	t_cls = rte_rdtsc() - t0;
	t0 = rte_rdtsc();
	for (int k = 0; k < rounds; k++)
		for (int i = 0; i < N_FRAMES; i += 32)
			rte_acl_classify(ctx, ptrs + i, res + i, 32, 1);
	t_acl = rte_rdtsc() - t0;
	t0 = rte_rdtsc();
	for (int i = 0; i < N_FRAMES / 16; i++) /* linear: a sixteenth, it is slow */
		sink += (uint64_t)linear(r, i);
	t_lin = (rte_rdtsc() - t0) * 16;
	printf("%-9s cycles/frame: classifier %.1f, rte_acl %.1f, linear %.1f; %d disagreements "
	       "(%llu)\n",
	       name, (double)t_cls / ((double)rounds * N_FRAMES),
	       (double)t_acl / ((double)rounds * N_FRAMES), (double)t_lin / N_FRAMES, bad,
	       (unsigned long long)(sink & 1));
	pol_class_free(c);
	rte_acl_free(ctx);
	return bad != 0;
}

int main(int argc, char **argv)
{
	char *eal[] = {argv[0], "--no-huge", "-m", "512", "--no-pci", "--no-telemetry",
		       "--log-level", "error", "--no-shconf", "-l", "0"};
	int rounds = argc > 1 ? atoi(argv[1]) : 50, rc;

	if (rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])), eal) < 0) {
		fprintf(stderr, "bench-classify: EAL initialisation failed\n");
		return 1;
	}
	srand(3);
	make_frames();
	rc = run_set("ports", 0, rounds) | run_set("prefixes", 1, rounds);
	rte_eal_cleanup();
	return rc;
}
