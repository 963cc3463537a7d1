/* bench-vxlan: what the VXLAN stages' own work costs per frame, apart from
 * moving the frames: the inner frame's L3/L4 parse that gives the source
 * port its flow hash, building the 50 bytes of outer headers
 * (vx_encap_build, and vx_encap_fill from a per-VTEP template as the
 * datapath does), and the decapsulation checks (vx_decap_check); against
 * the Ethernet parse every frame gets anyway.
 *
 * 4,096 UDP frames of 64 bytes, one flow each, encapsulated once into
 * 114-byte VXLAN frames; each step then runs over all of them for a number
 * of rounds; the figure is TSC cycles per frame (the loop included). The
 * results are checked (every decapsulation succeeds with the right VNI).
 *
 * Run by hand (root not needed): build/tests/bench/bench-vxlan [ROUNDS]. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>

#include "pkt.h"
#include "vxhdr.h"

#define N_FRAMES  4096
#define INNER_LEN 64

static uint8_t inner[N_FRAMES][INNER_LEN];
static uint8_t outer[N_FRAMES][VX_HDR_LEN + INNER_LEN];

static void make_frames(void)
{
	const struct vx_encap e = {.src_mac = 0x020000000053ull,
				   .dst_mac = 0x020000000054ull,
				   .src_ip = 0x0aff0001,
				   .dst_ip = 0x0aff0002,
				   .vni = 100,
				   .dport = VX_UDP_PORT,
				   .ttl = 64};

	for (uint32_t i = 0; i < N_FRAMES; i++) {
		uint8_t *f = inner[i];

		pkt_put48(f, 0x020000000b00ull | i);
		pkt_put48(f + 6, 0x020000000a00ull | i);
		pkt_put16(f + 12, PKT_ETH_IPV4);
		f[14] = 0x45;
		pkt_put16(f + 16, INNER_LEN - 14);
		f[22] = 64;
		f[23] = PKT_IP_UDP;
		pkt_put32(f + 26, 0x0a000000 | i);
		pkt_put32(f + 30, 0x0a800000 | i);
		pkt_put16(f + 34, 1024);
		pkt_put16(f + 36, 5001);
		pkt_put16(f + 38, INNER_LEN - 34);
		vx_encap_build(outer[i], &e, INNER_LEN, vx_sport(i));
		memcpy(outer[i] + VX_HDR_LEN, f, INNER_LEN);
	}
}

int main(int argc, char **argv)
{
	const struct vx_encap e = {.src_mac = 0x020000000054ull,
				   .dst_mac = 0x020000000053ull,
				   .src_ip = 0x0aff0002,
				   .dst_ip = 0x0aff0001,
				   .vni = 100,
				   .dport = VX_UDP_PORT,
				   .ttl = 64};
	int rounds = argc > 1 ? atoi(argv[1]) : 2000;
	static uint8_t hdr[VX_HDR_LEN], tmpl[VX_HDR_LEN];
	struct pkt_meta m;
	struct vx_rx_info info;
	uint64_t t0, t_l2 = 0, t_l3 = 0, t_enc = 0, t_fill = 0, t_dec = 0, sink = 0, bad = 0;
	double n;

	if (rounds < 1) {
		fprintf(stderr, "usage: bench-vxlan [ROUNDS]\n");
		return 2;
	}
	make_frames();
	vx_encap_build(tmpl, &e, 0, 0);
	for (int r = 0; r < rounds; r++) {
		t0 = rte_rdtsc();
		for (uint32_t i = 0; i < N_FRAMES; i++) {
			pkt_parse_l2(inner[i], INNER_LEN, &m);
			sink += m.src;
		}
		t_l2 += rte_rdtsc() - t0;
		t0 = rte_rdtsc();
		for (uint32_t i = 0; i < N_FRAMES; i++) {
			pkt_parse_l2(inner[i], INNER_LEN, &m);
			pkt_parse_l3l4(inner[i], &m);
			sink += vx_sport(m.hash);
		}
		t_l3 += rte_rdtsc() - t0;
		t0 = rte_rdtsc();
		for (uint32_t i = 0; i < N_FRAMES; i++) {
			vx_encap_build(hdr, &e, INNER_LEN, (uint16_t)(VX_SPORT_MIN + i));
			sink += hdr[24];
		}
		t_enc += rte_rdtsc() - t0;
		t0 = rte_rdtsc();
		for (uint32_t i = 0; i < N_FRAMES; i++) {
			vx_encap_fill(hdr, tmpl, INNER_LEN, (uint16_t)(VX_SPORT_MIN + i));
			sink += hdr[24];
		}
		t_fill += rte_rdtsc() - t0;
		t0 = rte_rdtsc();
		for (uint32_t i = 0; i < N_FRAMES; i++) {
			bad += vx_decap_check(outer[i], sizeof(outer[i]), 0x0aff0002, VX_UDP_PORT,
					      &info) != VX_RX_OK;
			sink += info.vni;
		}
		t_dec += rte_rdtsc() - t0;
	}
	if (bad) {
		fprintf(stderr, "bench-vxlan: %llu decapsulations failed\n",
			(unsigned long long)bad);
		return 1;
	}
	n = (double)rounds * N_FRAMES;
	printf("VXLAN stage work, %d frames x %d rounds, TSC cycles per frame:\n", N_FRAMES,
	       rounds);
	printf("  %-44s %6.1f\n", "Ethernet parse (every frame, L2 path)", (double)t_l2 / n);
	printf("  %-44s %6.1f\n", "Ethernet + L3/L4 parse and source port", (double)t_l3 / n);
	printf("  %-44s %6.1f\n", "outer headers (vx_encap_build)", (double)t_enc / n);
	printf("  %-44s %6.1f\n", "the same from a template (vx_encap_fill)", (double)t_fill / n);
	printf("  %-44s %6.1f\n", "decapsulation checks (vx_decap_check)", (double)t_dec / n);
	printf("(checksum of the results: %llu)\n", (unsigned long long)(sink & 0xffff));
	return 0;
}
