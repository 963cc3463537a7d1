/* `vlab extcap ...`: vlab as a Wireshark extcap program, so Wireshark and
 * tshark list the running labs' node interfaces, networks and the switch's
 * ports as capture interfaces (`tshark -D`) and capture from them (`tshark
 * -i vlab:a1:eth0`), the capture filter passed through to the switch.
 *
 * Wireshark runs the program in its extcap folder (scripts/setup.sh puts a
 * two-line `vlab` script there that runs `vlab extcap "$@"`) with:
 *   --extcap-interfaces                      list the interfaces
 *   --extcap-interface IF --extcap-dlts      their link type (Ethernet)
 *   --extcap-interface IF --extcap-config    options (none)
 *   --capture --extcap-interface IF --fifo PATH [--extcap-capture-filter F]
 *                                            capture into the FIFO as pcapng,
 *                                            until Wireshark stops it (SIGTERM)
 * Interface names are "vlab:" and a `vlab capture` target.
 *
 * Threads: the CLI's main thread. */
#include "capture_extcap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture_args.h"
#include "capture_cmd.h"
#include "lab.h"
#include "swclient.h"

#define EXTCAP_PREFIX "vlab:"

static void list_interfaces(const struct vlab_opts *opts)
{
	char (*labs)[NODE_NAME_MAX] = NULL;
	int nl = lab_list_all(&labs);
	struct swc *swc = NULL;
	struct swc_error e = {0};
	json_t *ports = NULL, *o;
	size_t i;

	printf("extcap {version=%s}{display=vlab: virtual network labs}"
	       "\n",
	       VLAB_VERSION);
	for (int l = 0; l < nl; l++) {
		char (*nodes)[NODE_NAME_MAX] = NULL;
		int nn = lab_list_nodes_all(labs[l], &nodes);
		char seen[64][NODE_NAME_MAX];
		int ns = 0;

		for (int k = 0; k < nn; k++) {
			struct node n;
			struct lab_record rec;

			if (lab_record_load(labs[l], nodes[k], &n, &rec) < 0)
				continue;
			for (int c = 0; c < n.n_nics; c++) {
				bool dup = false;

				printf("interface {value=" EXTCAP_PREFIX "%s/%s:%s}{display=vlab lab %s: "
				       "node %s interface %s (network %s)}\n",
				       labs[l], n.name, n.nics[c].ifname, labs[l], n.name,
				       n.nics[c].ifname, n.nics[c].network);
				for (int s = 0; s < ns; s++)
					dup |= !strcmp(seen[s], n.nics[c].network);
				if (!dup && ns < 64)
					snprintf(seen[ns++], NODE_NAME_MAX, "%s", n.nics[c].network);
			}
		}
		for (int s = 0; s < ns; s++)
			printf("interface {value=" EXTCAP_PREFIX "%s/%s}{display=vlab lab %s: network "
			       "%s (every port)}\n",
			       labs[l], seen[s], labs[l], seen[s]);
		free(nodes);
	}
	free(labs);
	/* the switch's ports that no lab made */
	if (swc_connect(swc_socket_path(opts->socket), &swc) == 0 &&
	    swc_call(swc, "port.list", NULL, &ports, &e) == 0)
		json_array_foreach(ports, i, o)
		{
			const char *name = json_string_value(json_object_get(o, "name"));
			const char *net = json_string_value(json_object_get(o, "network"));

			if (name && net && !strchr(name, '.'))
				printf("interface {value=" EXTCAP_PREFIX "%s}{display=vlab switch port "
				       "%s (network %s)}\n",
				       name, name, net);
		}
	json_decref(ports);
	swc_close(swc);
}

int capture_extcap_cmd(const struct vlab_opts *opts, int argc, char **argv)
{
	const char *iface = NULL, *fifo = NULL, *filter = NULL;
	bool interfaces = false, dlts = false, config = false, capture = false;
	char *cargv[10];
	int n = 0;

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--extcap-interfaces"))
			interfaces = true;
		else if (!strcmp(a, "--extcap-dlts"))
			dlts = true;
		else if (!strcmp(a, "--extcap-config"))
			config = true;
		else if (!strcmp(a, "--capture"))
			capture = true;
		else if (!strcmp(a, "--extcap-interface") && v)
			iface = argv[++i];
		else if (!strcmp(a, "--fifo") && v)
			fifo = argv[++i];
		else if (!strcmp(a, "--extcap-capture-filter") && v)
			filter = argv[++i];
		else if (!strncmp(a, "--extcap-version", 16) || !strcmp(a, "--extcap-reload-option"))
			; /* nothing to say */
		else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			printf("usage: vlab extcap --extcap-interfaces | --extcap-interface IF "
			       "(--extcap-dlts | --extcap-config | --capture --fifo PATH "
			       "[--extcap-capture-filter F])\n\nWireshark runs this to list and "
			       "capture vlab interfaces; people use vlab capture.\n");
			return VLAB_EXIT_OK;
		}
	}
	if (interfaces) {
		list_interfaces(opts);
		return VLAB_EXIT_OK;
	}
	if (iface == NULL || strncmp(iface, EXTCAP_PREFIX, strlen(EXTCAP_PREFIX))) {
		fprintf(stderr, "vlab extcap: --extcap-interface " EXTCAP_PREFIX "TARGET needed\n");
		return VLAB_EXIT_USAGE;
	}
	if (dlts) {
		printf("dlt {number=1}{name=EN10MB}{display=Ethernet}\n");
		return VLAB_EXIT_OK;
	}
	if (config)
		return VLAB_EXIT_OK;
	if (!capture && filter != NULL) {
		/* Wireshark checks a capture filter this way: silence means valid */
		char err[512];

		if (capargs_check_filter(filter, 65535, err, sizeof(err)) < 0) {
			printf("%s\n", err);
			return VLAB_EXIT_FAIL;
		}
		return VLAB_EXIT_OK;
	}
	if (!capture || fifo == NULL) {
		fprintf(stderr, "vlab extcap: --capture needs --fifo PATH\n");
		return VLAB_EXIT_USAGE;
	}
	cargv[n++] = (char *)iface + strlen(EXTCAP_PREFIX);
	cargv[n++] = "-q"; /* Wireshark shows what an extcap says on stderr as an error */
	cargv[n++] = "-w";
	cargv[n++] = (char *)fifo;
	if (filter && filter[0]) {
		cargv[n++] = "-f";
		cargv[n++] = (char *)filter;
	}
	cargv[n] = NULL;
	return capture_cmd(opts, n, cargv);
}
