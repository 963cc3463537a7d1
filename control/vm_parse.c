/* Pure argv parsers of `vlab vm` (see vm_cmd.h): the options of `start`
 * (NIC specs, memory sizes, routes, kinds) and the NAME/--lab/--timeout/--all
 * arguments the other commands take. No I/O; vmcmd_lab() reads $VLAB_LAB.
 *
 * Threads: main thread of the vlab CLI. */
#include "vm_cmd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "kind.h"
#include "mac.h"

const char *vmcmd_lab(const char *opt)
{
	const char *env = getenv("VLAB_LAB");

	if (opt && opt[0])
		return opt;
	return env && env[0] ? env : "default";
}

int vmcmd_parse_mem(const char *s, unsigned int *mib, char *err, size_t errlen)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || s[0] == '-')
		goto bad;
	if (*end == 'G' || *end == 'g')
		v *= 1024, end++;
	else if (*end == 'M' || *end == 'm')
		end++;
	if (*end == 'i' && end[1] == 'B')
		end += 2;
	else if (*end == 'B')
		end++;
	if (*end != '\0' || v < 32 || v > 65536)
		goto bad;
	*mib = (unsigned int)v;
	return 0;
bad:
	snprintf(err, errlen, "--memory: \"%s\" is not a size from 32M to 64G (e.g. 128M, 1G)",
		 s);
	return -EINVAL;
}

int vmcmd_parse_nic(const char *spec, struct node_nic *nic, char *err, size_t errlen)
{
	char buf[512], *save = NULL, *tok;
	char mac[18];

	memset(nic, 0, sizeof(*nic));
	if (strlen(spec) >= sizeof(buf)) {
		snprintf(err, errlen, "--nic: value too long");
		return -EINVAL;
	}
	snprintf(buf, sizeof(buf), "%s", spec);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		const char *key = tok, *val;
		uint64_t u;

		if (eq == NULL) {
			snprintf(err, errlen, "--nic: \"%s\" is not KEY=VALUE (keys: network, ip, "
				 "mac, mtu, ifname)", tok);
			return -EINVAL;
		}
		*eq = '\0';
		val = eq + 1;
		if (strcmp(key, "network") == 0) {
			if (args_name(val, "--nic network", err, errlen) < 0)
				return -EINVAL;
			snprintf(nic->network, sizeof(nic->network), "%s", val);
		} else if (strcmp(key, "ip") == 0) {
			if (nic->n_addrs == NODE_MAX_ADDRS || strlen(val) >= NODE_ADDR_MAX ||
			    strchr(val, '/') == NULL) {
				snprintf(err, errlen, "--nic ip: \"%s\" must be an address with a "
					 "prefix, e.g. 10.0.0.1/24 (at most %d per NIC)", val,
					 NODE_MAX_ADDRS);
				return -EINVAL;
			}
			snprintf(nic->addrs[nic->n_addrs++], NODE_ADDR_MAX, "%s", val);
		} else if (strcmp(key, "mac") == 0) {
			if (args_mac(val, mac, err, errlen) < 0 || mac_parse(mac, nic->mac) < 0)
				return -EINVAL;
			if (nic->mac[0] & 1) {
				snprintf(err, errlen, "--nic mac: %s is a multicast address", val);
				return -EINVAL;
			}
		} else if (strcmp(key, "mtu") == 0) {
			if (args_u64(val, 68, 65535, "--nic mtu", &u, err, errlen) < 0)
				return -EINVAL;
			nic->mtu = (uint32_t)u;
		} else if (strcmp(key, "queues") == 0) {
			if (args_u64(val, 1, NODE_MAX_QUEUES, "--nic queues", &u, err, errlen) < 0)
				return -EINVAL;
			nic->queues = (uint32_t)u;
		} else if (strcmp(key, "ifname") == 0) {
			if (strlen(val) == 0 || strlen(val) >= sizeof(nic->ifname) ||
			    args_name(val, "--nic ifname", err, errlen) < 0) {
				snprintf(err, errlen, "--nic ifname: \"%s\" must be 1-15 characters "
					 "from A-Z a-z 0-9 _ . -, not starting with . or -", val);
				return -EINVAL;
			}
			snprintf(nic->ifname, sizeof(nic->ifname), "%s", val);
		} else {
			snprintf(err, errlen, "--nic: unknown key \"%s\" (network, ip, mac, mtu, "
				 "queues, ifname)", key);
			return -EINVAL;
		}
	}
	if (nic->network[0] == '\0') {
		snprintf(err, errlen, "--nic \"%s\": network=NET is required", spec);
		return -EINVAL;
	}
	return 0;
}

static int parse_route(const char *s, struct node_route *r, char *err, size_t errlen)
{
	const char *comma = strchr(s, ',');

	if (comma == NULL || comma == s || comma[1] == '\0' ||
	    (size_t)(comma - s) >= sizeof(r->dst) || strlen(comma + 1) >= sizeof(r->via)) {
		snprintf(err, errlen, "--route: \"%s\" must be DST,VIA (e.g. default,10.0.0.1 or "
			 "10.1.0.0/24,10.0.0.254)", s);
		return -EINVAL;
	}
	snprintf(r->dst, sizeof(r->dst), "%.*s", (int)(comma - s), s);
	snprintf(r->via, sizeof(r->via), "%s", comma + 1);
	return 0;
}

/* Value of option argv[*i] ("--x V" or "--x=V"); advances *i. */
static const char *opt_value(int argc, char *const argv[], int *i, const char *name, char *err,
			     size_t errlen)
{
	const char *a = argv[*i], *eq = strchr(a, '=');

	if (eq)
		return eq + 1;
	if (*i + 1 >= argc) {
		snprintf(err, errlen, "option --%s needs a value", name);
		return NULL;
	}
	return argv[++*i];
}

static bool opt_is(const char *a, const char *name)
{
	size_t n = strlen(name);

	return strncmp(a, "--", 2) == 0 && strncmp(a + 2, name, n) == 0 &&
	       (a[2 + n] == '\0' || a[2 + n] == '=');
}

int vmcmd_parse_start(int argc, char *const argv[], struct vmcmd_start *out, char *err,
		      size_t errlen)
{
	struct node *n = &out->node;
	const struct kind_ops *k;
	const char *lab = NULL, *v;
	char kinds[128];
	uint64_t u;

	memset(out, 0, sizeof(*out));
	out->wait = true;
	out->timeout_s = 120;
	n->kind = NODE_VM;
	n->cpus = 1;
	n->mem_mib = 128;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-h") || !strcmp(a, "--help"))
			return 1;
		if (a[0] != '-') {
			if (n->name[0]) {
				snprintf(err, errlen, "unexpected argument \"%s\" (one node per "
					 "start)", a);
				return -EINVAL;
			}
			if (args_name(a, "node name", err, errlen) < 0)
				return -EINVAL;
			snprintf(n->name, sizeof(n->name), "%s", a);
			continue;
		}
#define VALUE(name)                                                                            \
	do {                                                                                   \
		v = opt_value(argc, argv, &i, name, err, errlen);                              \
		if (v == NULL)                                                                 \
			return -EINVAL;                                                        \
	} while (0)
		if (opt_is(a, "lab")) {
			VALUE("lab");
			if (args_name(v, "--lab", err, errlen) < 0)
				return -EINVAL;
			lab = v;
		} else if (opt_is(a, "kind")) {
			VALUE("kind");
			if (!kind_find(v, &n->kind)) {
				snprintf(err, errlen, "--kind must be %s, not \"%s\"",
					 kind_list(kinds, sizeof(kinds), "", false, 0), v);
				return -EINVAL;
			}
		} else if (opt_is(a, "cpus")) {
			VALUE("cpus");
			if (args_u64(v, 1, 64, "--cpus", &u, err, errlen) < 0)
				return -EINVAL;
			n->cpus = (unsigned int)u;
		} else if (opt_is(a, "memory")) {
			VALUE("memory");
			if (vmcmd_parse_mem(v, &n->mem_mib, err, errlen) < 0)
				return -EINVAL;
		} else if (opt_is(a, "nic")) {
			VALUE("nic");
			if (n->n_nics == NODE_MAX_NICS) {
				snprintf(err, errlen, "at most %d --nic options", NODE_MAX_NICS);
				return -EINVAL;
			}
			if (vmcmd_parse_nic(v, &n->nics[n->n_nics], err, errlen) < 0)
				return -EINVAL;
			n->n_nics++;
		} else if (opt_is(a, "route")) {
			VALUE("route");
			if (n->n_routes == NODE_MAX_ROUTES) {
				snprintf(err, errlen, "at most %d --route options", NODE_MAX_ROUTES);
				return -EINVAL;
			}
			if (parse_route(v, &n->routes[n->n_routes++], err, errlen) < 0)
				return -EINVAL;
		} else if (!strcmp(a, "--forward")) {
			n->ip_forward = true;
		} else if (!strcmp(a, "--no-wait")) {
			out->wait = false;
		} else if (opt_is(a, "timeout")) {
			VALUE("timeout");
			if (args_u64(v, 1, 3600, "--timeout", &u, err, errlen) < 0)
				return -EINVAL;
			out->timeout_s = (int)u;
		} else if (opt_is(a, "disk") || opt_is(a, "kernel") || opt_is(a, "initrd") ||
			   opt_is(a, "append")) {
			char *dst = opt_is(a, "disk")     ? n->disk
				    : opt_is(a, "kernel") ? n->kernel
				    : opt_is(a, "initrd") ? n->initrd
							  : n->append;
			const char *name = a + 2;

			VALUE(name);
			if (strlen(v) >= NODE_PATH_MAX) {
				snprintf(err, errlen, "%.12s: value longer than %d bytes", a,
					 NODE_PATH_MAX - 1);
				return -EINVAL;
			}
			snprintf(dst, NODE_PATH_MAX, "%s", v);
		} else {
			snprintf(err, errlen, "unknown option \"%s\"", a);
			return -EINVAL;
		}
#undef VALUE
	}
	if (n->name[0] == '\0') {
		snprintf(err, errlen, "missing node NAME");
		return -EINVAL;
	}
	k = kind_of(n->kind);
	if (!(k->features & KIND_BOOT) && (n->disk[0] || n->kernel[0])) {
		snprintf(err, errlen, "--disk and --kernel are for kind %s, not %s",
			 kind_list(kinds, sizeof(kinds), "", false, KIND_BOOT), k->name);
		return -EINVAL;
	}
	if (n->initrd[0] && !n->kernel[0]) {
		snprintf(err, errlen, "--initrd needs --kernel");
		return -EINVAL;
	}
	for (int i = 0; !(k->features & KIND_QUEUES) && i < n->n_nics; i++)
		if (n->nics[i].queues > 1) {
			snprintf(err, errlen,
				 "--nic queues is for kind %s (a %s's %s has no virtio queues)",
				 kind_list(kinds, sizeof(kinds), "", false, KIND_QUEUES), k->name,
				 k->nic_noun);
			return -EINVAL;
		}
	snprintf(out->lab, sizeof(out->lab), "%s", vmcmd_lab(lab));
	return 0;
}

int vmcmd_parse_args(int argc, char *const argv[], struct vmcmd_args *a, char *err,
		     size_t errlen)
{
	uint64_t u;

	memset(a, 0, sizeof(*a));
	a->dashdash = -1;
	a->timeout_s = -1;
	for (int i = 0; i < argc; i++) {
		const char *v;

		if (!strcmp(argv[i], "--")) {
			a->dashdash = i + 1;
			break;
		}
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return 1;
		if (opt_is(argv[i], "lab")) {
			v = opt_value(argc, argv, &i, "lab", err, errlen);
			if (v == NULL || args_name(v, "--lab", err, errlen) < 0)
				return -EINVAL;
			a->lab = v;
		} else if (opt_is(argv[i], "timeout")) {
			v = opt_value(argc, argv, &i, "timeout", err, errlen);
			if (v == NULL || args_u64(v, 0, 3600, "--timeout", &u, err, errlen) < 0)
				return -EINVAL;
			a->timeout_s = (int)u;
		} else if (!strcmp(argv[i], "--all")) {
			a->all = true;
		} else if (argv[i][0] == '-') {
			snprintf(err, errlen, "unknown option \"%s\"", argv[i]);
			return -EINVAL;
		} else if (a->npos < 4) {
			a->pos[a->npos++] = argv[i];
		} else {
			snprintf(err, errlen, "too many arguments");
			return -EINVAL;
		}
	}
	a->lab = vmcmd_lab(a->lab);
	a->name = a->npos ? a->pos[0] : NULL;
	if (a->name && args_name(a->name, "node name", err, errlen) < 0)
		return -EINVAL;
	return 0;
}
