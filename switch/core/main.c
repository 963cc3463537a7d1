/* vlab-switchd: command line, EAL start-up, launching PMD lcores, and an
 * orderly shutdown.
 *
 * The main thread becomes the control thread (main lcore): it restores the
 * saved configuration, then serves the control socket until SIGINT/SIGTERM.
 * PMD lcores run sw_pmd_main(); DPDK's vhost thread handles vhost-user
 * sockets. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "cap.h"
#include "ctl.h"
#include "policy.h"
#include "port.h"
#include "state.h"
#include "sw.h"
#include "vxlan.h"

#define DEFAULT_STATE    "/var/lib/vlab/switch.json"
#define DEFAULT_MBUFS    16384
#define DEFAULT_MACLIMIT 4096

static struct sw *sw;

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: vlab-switchd [OPTIONS] [-- EAL-ARGS]\n"
		"DPDK switch for vlab: vhost-user, tap, af-packet, ring, null and pcap ports\n"
		"(up to %d, vhost-user ones through the vhost library, kernel ones on\n"
		"sockets the switch owns) joined into up to %d isolated networks with MAC\n"
		"learning. Controlled through a JSON\n"
		"API on a Unix socket (docs/switch-api.md), e.g. with `vlab switch ...`.\n"
		"\n"
		"  -s, --socket PATH     control socket (default: $VLAB_SWITCH_SOCKET or %s)\n"
		"  -S, --state FILE      configuration kept across restarts (default %s)\n"
		"  -p, --pmd-cores LIST  CPUs for PMD threads, e.g. 1 or 1,2 (default: the last CPU)\n"
		"  -c, --ctl-core CPU    CPU for the control thread (default 0)\n"
		"      --busy-poll       never sleep when idle (benchmarks); default backs off\n"
		"      --aging-time SEC  age out learned MACs after SEC seconds (default %d)\n"
		"      --mac-limit N     learned MACs per port (default %d)\n"
		"      --fdb-size N      FDB entries (default %u)\n"
		"      --mbufs N         packet buffers (default %d)\n"
		"  -V, --version         print the version\n"
		"  -h, --help            this help\n"
		"\n"
		"EAL arguments after `--` are passed to DPDK (the switch already uses\n"
		"--in-memory --no-pci and an --lcores map from the options above).\n",
		SW_MAX_PORTS, SW_MAX_NETS, API_SOCKET_DEFAULT, DEFAULT_STATE, FDB_DEFAULT_AGE, DEFAULT_MACLIMIT,
		FDB_DEFAULT_CAPACITY, DEFAULT_MBUFS);
}

static int parse_u32(const char *opt, const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max || s[0] == '-') {
		fprintf(stderr, "vlab-switchd: %s: \"%s\" is not a number in %u..%u\n", opt, s, min,
			max);
		return -EINVAL;
	}
	*out = (uint32_t)v;
	return 0;
}

/* Parses a CPU list "1,2,4-5" into cpus[]; returns how many or -EINVAL. */
static int parse_cpus(const char *s, unsigned int *cpus, int max)
{
	char buf[64], *save = NULL, *tok;
	int n = 0;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		unsigned int a, b;
		char c;

		if (sscanf(tok, "%u-%u%c", &a, &b, &c) == 2) {
			if (b < a)
				return -EINVAL;
		} else if (sscanf(tok, "%u%c", &a, &c) == 1) {
			b = a;
		} else {
			return -EINVAL;
		}
		for (unsigned int i = a; i <= b; i++) {
			if (n == max || i >= CPU_SETSIZE)
				return -EINVAL;
			cpus[n++] = i;
		}
	}
	return n ? n : -EINVAL;
}

/* Creates the parent directories of `path`. */
static void mkdir_parents(const char *path)
{
	char buf[PATH_MAX];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(buf, 0755);
		*p = '/';
	}
}

enum { OPT_BUSY = 256, OPT_AGING, OPT_MACLIMIT, OPT_FDBSIZE, OPT_MBUFS };

static int parse_args(int argc, char **argv, struct sw_opts *o, unsigned int *pmd_cpus,
		      int *n_pmd, int *eal_first)
{
	static const struct option longopts[] = {
		{"socket", required_argument, NULL, 's'},
		{"state", required_argument, NULL, 'S'},
		{"pmd-cores", required_argument, NULL, 'p'},
		{"ctl-core", required_argument, NULL, 'c'},
		{"busy-poll", no_argument, NULL, OPT_BUSY},
		{"aging-time", required_argument, NULL, OPT_AGING},
		{"mac-limit", required_argument, NULL, OPT_MACLIMIT},
		{"fdb-size", required_argument, NULL, OPT_FDBSIZE},
		{"mbufs", required_argument, NULL, OPT_MBUFS},
		{"version", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	const char *env = getenv(API_SOCKET_ENV);
	uint32_t v;
	int c;

	o->socket_path = env && env[0] ? env : API_SOCKET_DEFAULT;
	o->state_path = DEFAULT_STATE;
	o->aging_time = FDB_DEFAULT_AGE;
	o->mac_limit = DEFAULT_MACLIMIT;
	o->fdb_size = FDB_DEFAULT_CAPACITY;
	o->mbufs = DEFAULT_MBUFS;
	snprintf(o->pmd_cores, sizeof(o->pmd_cores), "%ld", ncpu > 1 ? ncpu - 1 : 0);

	while ((c = getopt_long(argc, argv, "s:S:p:c:Vh", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			o->socket_path = optarg;
			break;
		case 'S':
			o->state_path = optarg;
			break;
		case 'p':
			snprintf(o->pmd_cores, sizeof(o->pmd_cores), "%s", optarg);
			break;
		case 'c':
			if (parse_u32("--ctl-core", optarg, 0, CPU_SETSIZE - 1, &v))
				return -EINVAL;
			o->ctl_core = v;
			break;
		case OPT_BUSY:
			o->busy_poll = true;
			break;
		case OPT_AGING:
			if (parse_u32("--aging-time", optarg, 1, 1000000, &o->aging_time))
				return -EINVAL;
			break;
		case OPT_MACLIMIT:
			if (parse_u32("--mac-limit", optarg, 0, API_MAC_LIMIT_MAX, &o->mac_limit))
				return -EINVAL;
			break;
		case OPT_FDBSIZE:
			if (parse_u32("--fdb-size", optarg, 1024, 1u << 28, &o->fdb_size))
				return -EINVAL;
			break;
		case OPT_MBUFS:
			if (parse_u32("--mbufs", optarg, 1024, 1u << 24, &o->mbufs))
				return -EINVAL;
			break;
		case 'V':
			printf("vlab-switchd %s\n", VLAB_VERSION);
			exit(0);
		case 'h':
			usage(stdout);
			exit(0);
		default:
			fprintf(stderr, "Try 'vlab-switchd --help'.\n");
			return -EINVAL;
		}
	}
	*n_pmd = parse_cpus(o->pmd_cores, pmd_cpus, SW_MAX_PMDS);
	if (*n_pmd < 0) {
		fprintf(stderr,
			"vlab-switchd: --pmd-cores: \"%s\" is not a CPU list (e.g. 1 or 1,2 or "
			"1-3, at most %d CPUs)\n",
			o->pmd_cores, SW_MAX_PMDS);
		return -EINVAL;
	}
	if (optind < argc && strcmp(argv[optind - 1], "--") != 0) {
		fprintf(stderr, "vlab-switchd: unexpected argument \"%s\" (EAL arguments go "
			"after --)\n", argv[optind]);
		return -EINVAL;
	}
	*eal_first = optind;
	return 0;
}

static int eal_start(const char *prog, const struct sw_opts *o, const unsigned int *pmd_cpus,
		     int n_pmd, int argc, char **argv, int eal_first)
{
	char lcores[256];
	char *eargv[64];
	int n = 0, len;

	len = snprintf(lcores, sizeof(lcores), "0@%u", o->ctl_core);
	for (int i = 0; i < n_pmd; i++)
		len += snprintf(lcores + len, sizeof(lcores) - len, ",%d@%u", i + 1, pmd_cpus[i]);
	eargv[n++] = (char *)prog;
	eargv[n++] = "--lcores";
	eargv[n++] = lcores;
	eargv[n++] = "--main-lcore";
	eargv[n++] = "0";
	eargv[n++] = "--in-memory";
	eargv[n++] = "--no-pci";
	eargv[n++] = "--no-telemetry";
	eargv[n++] = "--log-level=lib.eal:warning";
	eargv[n++] = "--log-level=lib.vhost.config:warning"; /* chatty per connection */
	for (int i = eal_first; i < argc && n < 63; i++)
		eargv[n++] = argv[i];
	eargv[n] = NULL;
	return rte_eal_init(n, eargv);
}

/* Lets the switch hold a file descriptor per kernel port and vhost-user
 * connection (and the vhost library its eventfds): raises the soft limit on
 * open files to the hard one. */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int main(int argc, char **argv)
{
	unsigned int pmd_cpus[SW_MAX_PMDS];
	struct sw_opts opts = {0};
	int n_pmd, eal_first, rc;
	unsigned int lcore, i = 0;
	sigset_t mask;
	size_t rsz;

	if (parse_args(argc, argv, &opts, pmd_cpus, &n_pmd, &eal_first) < 0)
		return 2;
	if (ctl_check_methods() < 0)
		return 1;
	raise_nofile();

	/* SIGINT/SIGTERM are read from a signalfd by the control thread; block
	 * them before EAL starts its threads so every thread inherits the mask */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (eal_start(argv[0], &opts, pmd_cpus, n_pmd, argc, argv, eal_first) < 0) {
		fprintf(stderr, "vlab-switchd: DPDK EAL initialisation failed: %s (are hugepages "
			"reserved and hugetlbfs mounted? see scripts/setup.sh)\n",
			rte_strerror(rte_errno));
		return 1;
	}

	sw = rte_zmalloc("sw", sizeof(*sw), RTE_CACHE_LINE_SIZE);
	if (sw == NULL) {
		fprintf(stderr, "vlab-switchd: out of memory\n");
		rc = 1;
		goto out_eal;
	}
	sw->opts = opts;
	sw->n_pmd = (unsigned int)n_pmd;

	sw->fdb = fdb_create(opts.fdb_size, opts.mac_limit);
	sw->pool = rte_pktmbuf_pool_create("vlab_mbufs", opts.mbufs, 256, 0,
					   RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	rsz = rte_rcu_qsbr_get_memsize((uint32_t)n_pmd);
	sw->rcu = rte_zmalloc("sw_rcu", rsz, RTE_CACHE_LINE_SIZE);
	if (sw->fdb == NULL || sw->pool == NULL || sw->rcu == NULL ||
	    rte_rcu_qsbr_init(sw->rcu, (uint32_t)n_pmd) < 0) {
		fprintf(stderr, "vlab-switchd: cannot allocate the FDB (%u entries), %u mbufs or "
			"RCU state: not enough memory or hugepages\n",
			opts.fdb_size, opts.mbufs);
		rc = 1;
		goto out_free;
	}
	RTE_LCORE_FOREACH_WORKER(lcore)
	{
		struct sw_pmd *pmd = rte_zmalloc("sw_pmd", sizeof(*pmd), RTE_CACHE_LINE_SIZE);

		if (pmd == NULL) {
			fprintf(stderr, "vlab-switchd: out of memory for PMD state\n");
			rc = 1;
			goto out_free;
		}
		pmd->sw = sw;
		pmd->lcore = lcore;
		pmd->idx = i;
		sw->pmd[i++] = pmd;
	}
	/* pipeline features join before the first snapshot, in this order:
	 * captures see frames as they come in and as they go out */
	rc = pol_init_egress();
	if (rc == 0)
		rc = vx_init_egress(); /* captures on VTEP ports see VXLAN frames */
	if (rc == 0)
		rc = cap_init(sw);
	if (rc == 0)
		rc = pol_init(sw, API_CT_SIZE);
	if (rc == 0)
		rc = vx_init(sw); /* decapsulation after captures and policies */
	if (rc < 0) {
		fprintf(stderr, "vlab-switchd: cannot start the pipeline features: %s\n",
			strerror(-rc));
		rc = 1;
		goto out_free;
	}
	if (sw_dp_publish(sw) < 0) {
		rc = 1;
		goto out_free;
	}

	mkdir_parents(opts.socket_path);
	mkdir_parents(opts.state_path);
	rc = ctl_listen(sw, opts.socket_path);
	if (rc < 0) {
		fprintf(stderr, "vlab-switchd: cannot listen on %s: %s\n", opts.socket_path,
			strerror(-rc));
		rc = 1;
		goto out_free;
	}
	if (state_load(sw) < 0) {
		rc = 1;
		goto out_ports;
	}

	RTE_LCORE_FOREACH_WORKER(lcore)
	{
		for (unsigned int k = 0; k < sw->n_pmd; k++)
			if (sw->pmd[k]->lcore == lcore)
				rte_eal_remote_launch(sw_pmd_main, sw->pmd[k], lcore);
	}
	fprintf(stderr, "vlab-switchd %s: listening on %s, %u PMD(s) on CPU(s) %s%s\n",
		VLAB_VERSION, opts.socket_path, sw->n_pmd, opts.pmd_cores,
		opts.busy_poll ? ", busy polling" : "");

	rc = ctl_run(sw) < 0 ? 1 : 0;
	sw->quit = true;
	rte_eal_mp_wait_lcore();
	cap_writer_stop(); /* before ctl_close: the writer posts to the control thread */

out_ports:
	port_close_all(sw);
	ctl_close();
out_free:
	if (sw != NULL) {
		sw_dp_free(sw);
		cap_shutdown(sw);
		pol_shutdown(sw);
		for (unsigned int k = 0; k < SW_MAX_PMDS; k++)
			rte_free(sw->pmd[k]);
		fdb_destroy(sw->fdb);
		rte_mempool_free(sw->pool);
		rte_free(sw->rcu);
		rte_free(sw);
	}
out_eal:
	rte_eal_cleanup();
	return rc;
}
