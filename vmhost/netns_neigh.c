/* Namespace hosts share the kernel's neighbour (ARP and NDP) tables, whose
 * limits are host-wide: nsh_neigh_limits() computes the limits a lab needs
 * (pure), nsh_neigh_reserve() raises the root namespace's sysctls to them.
 *
 * Threads: any thread of the root namespace; no state. */
#include "netns_priv.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

bool nsh_neigh_limits(long entries, long cur2, long cur3, long *new2, long *new3)
{
	*new2 = cur2;
	*new3 = cur3;
	/* the defaults hold small labs: only a lab that may take more than
	 * half of the hard limit gets it raised */
	if (entries <= cur3 / 2)
		return false;
	*new3 = entries + NSH_NEIGH_SPARE;
	if (*new2 < entries + NSH_NEIGH_SPARE / 2)
		*new2 = entries + NSH_NEIGH_SPARE / 2;
	return true;
}

int nsh_neigh_reserve(long entries, char *msg, size_t msglen)
{
	static const char *const fam[] = {"ipv4", "ipv6"};
	size_t off = 0;
	int raised = 0;

	if (msg && msglen)
		msg[0] = '\0';
	for (int f = 0; f < 2; f++) {
		char p2[64], p3[64], v2[24], v3[24];
		long cur2, cur3, new2, new3;
		int ret;

		snprintf(p2, sizeof(p2), "net/%s/neigh/default/gc_thresh2", fam[f]);
		snprintf(p3, sizeof(p3), "net/%s/neigh/default/gc_thresh3", fam[f]);
		ret = nsh_sysctl_read_long(p3, &cur3);
		if (ret == 0)
			ret = nsh_sysctl_read_long(p2, &cur2);
		if (ret == -ENOENT && f == 1)
			break; /* no IPv6 */
		if (ret < 0) {
			nsh_set_err(msg, msglen, "read /proc/sys/%s: %s", p3, strerror(-ret));
			return ret;
		}
		if (!nsh_neigh_limits(entries, cur2, cur3, &new2, &new3))
			continue;
		snprintf(v2, sizeof(v2), "%ld", new2);
		snprintf(v3, sizeof(v3), "%ld", new3);
		/* the hard limit first, so the soft one never exceeds it */
		ret = nsh_sysctl_write(p3, v3);
		if (ret == 0 && new2 != cur2)
			ret = nsh_sysctl_write(p2, v2);
		if (ret < 0) {
			nsh_set_err(msg, msglen, "write /proc/sys/%s: %s", p3, strerror(-ret));
			return ret;
		}
		if (msg && off < msglen)
			off += (size_t)snprintf(msg + off, msglen - off,
						"%snet.%s.neigh.default.gc_thresh3 %ld -> %ld, "
						"gc_thresh2 %ld -> %ld",
						raised ? "; " : "", fam[f], cur3, new3, cur2, new2);
		raised = 1;
	}
	return raised;
}
