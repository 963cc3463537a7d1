/* Capture filters: a libpcap expression (pcap-filter(7)) compiled with
 * pcap_compile() for Ethernet frames, converted to DPDK BPF
 * (rte_bpf_convert) and loaded, with its x86 JIT code when there is one. The
 * program runs on PMDs over each frame before anything is copied.
 *
 * DPDK 22.11 converts indirect loads (BPF_LD|BPF_IND, BPF_LDX|BPF_MSH: any
 * filter on a field after the IP header, such as "tcp port 80" or
 * "icmp[0] == 0") into programs that match nothing. Programs with them run
 * in libpcap's own interpreter (bpf_filter()) instead: no JIT, still no
 * copy, allocation or syscall per frame.
 *
 * Runs on the control thread. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>
#define ALLOW_EXPERIMENTAL_API 1 /* rte_bpf_convert() */
#include <rte_bpf.h>
#include <rte_errno.h>
#include <rte_malloc.h>

#include "cap.h"

int cap_filter_compile(const char *expr, uint32_t snaplen, struct rte_bpf **bpf,
		       uint64_t (**jit)(void *), struct bpf_insn **cbpf, struct api_err *err)
{
	struct bpf_program prog;
	struct rte_bpf_prm *prm;
	struct rte_bpf_jit jc;
	pcap_t *p;
	int rc = 0;

	*bpf = NULL;
	*jit = NULL;
	*cbpf = NULL;
	p = pcap_open_dead(DLT_EN10MB, (int)snaplen);
	if (p == NULL)
		return api_fail(err, -ENOMEM, "out of memory compiling the capture filter");
	if (pcap_compile(p, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		rc = api_fail(err, -EINVAL, "capture filter \"%.200s\": %s (see pcap-filter(7))",
			      expr, pcap_geterr(p));
		goto out_close;
	}
	for (u_int i = 0; i < prog.bf_len; i++) {
		u_short code = prog.bf_insns[i].code;

		if ((BPF_CLASS(code) == BPF_LD && BPF_MODE(code) == BPF_IND) ||
		    (BPF_CLASS(code) == BPF_LDX && BPF_MODE(code) == BPF_MSH)) {
			*cbpf = malloc(prog.bf_len * sizeof(**cbpf));
			if (*cbpf == NULL) {
				rc = api_fail(err, -ENOMEM, "out of memory for the filter");
				goto out_free;
			}
			memcpy(*cbpf, prog.bf_insns, prog.bf_len * sizeof(**cbpf));
			goto out_free;
		}
	}
	prm = rte_bpf_convert(&prog);
	if (prm == NULL) {
		rc = api_fail(err, -EINVAL, "capture filter \"%.200s\": cannot convert it to DPDK "
			      "BPF: %s", expr, rte_strerror(rte_errno));
		goto out_free;
	}
	*bpf = rte_bpf_load(prm);
	rte_free(prm);
	if (*bpf == NULL) {
		rc = api_fail(err, -EINVAL, "capture filter \"%.200s\": DPDK BPF refused it: %s",
			      expr, rte_strerror(rte_errno));
		goto out_free;
	}
	if (rte_bpf_get_jit(*bpf, &jc) == 0 && jc.func != NULL)
		*jit = jc.func;
out_free:
	pcap_freecode(&prog);
out_close:
	pcap_close(p);
	return rc;
}
