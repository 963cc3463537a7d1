/* `vlab status [LAB]` (alias inspect): every node of the lab(s) with its
 * kind, state, agent and interfaces with their switch links; JSON with -j.
 *
 * Threads: the CLI's main thread. */
#include "labctl.h"

#include "labctl_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kind.h"
#include "lab.h"
#include "table.h"
#include "vm.h"

static json_t *lab_status_json(const struct vlab_opts *opts, const char *lab)
{
	char(*names)[NODE_NAME_MAX];
	json_t *ports = NULL, *nodes = json_array();
	int n = lab_list_nodes_all(lab, &names);

	labctl_sw_req(opts, "port.list", NULL, &ports, true, NULL);
	for (int k = 0; k < n; k++) {
		struct vm_status st;
		struct lab_record rec;
		struct node nd;
		json_t *nics = json_array();

		vm_status(lab, names[k], &st);
		if (lab_record_load(lab, names[k], &nd, &rec) == 0)
			for (int c = 0; c < nd.n_nics; c++) {
				const char *link = "absent";
				json_t *addrs = json_array(), *p;
				size_t i;
				char mac[18];

				json_array_foreach(ports, i, p)
				{
					if (!strcmp(json_string_value(json_object_get(p, "name"))
							?: "",
						    nd.nics[c].port))
						link =
						    json_string_value(json_object_get(p, "link"));
				}
				for (int a = 0; a < nd.nics[c].n_addrs; a++)
					json_array_append_new(addrs,
							      json_string(nd.nics[c].addrs[a]));
				mac_format(nd.nics[c].mac, mac);
				json_array_append_new(
				    nics, json_pack("{s:s,s:s,s:s,s:s,s:o,s:s}", "ifname",
						    nd.nics[c].ifname, "network",
						    nd.nics[c].network, "mac", mac, "port",
						    nd.nics[c].port, "addrs", addrs, "link", link));
			}
		json_array_append_new(nodes,
				      json_pack("{s:s,s:s,s:s,s:b,s:i,s:I,s:o}", "name", names[k],
						"kind", kind_name(st.kind), "state", st.state,
						"agent", st.agent, "pid", (int)st.pid, "created",
						(json_int_t)st.created, "interfaces", nics));
	}
	free(names);
	json_decref(ports);
	return json_pack("{s:s,s:o}", "lab", lab, "nodes", nodes);
}

int labctl_status(const struct vlab_opts *opts, int argc, char **argv)
{
	static const struct table_col cols[] = {{"LAB", false},	  {"NODE", false},
						{"KIND", false},  {"STATE", false},
						{"AGENT", false}, {"INTERFACES", false}};
	char(*labs)[NODE_NAME_MAX] = NULL;
	int n = 0;
	json_t *all = json_array();

	if (argc && (!strcmp(argv[0], "-h") || !strcmp(argv[0], "--help"))) {
		printf("usage: vlab status [LAB]   (alias: inspect)\n");
		json_decref(all);
		return VLAB_EXIT_OK;
	}
	if (argc && argv[0][0] != '-') {
		char dir[NODE_PATH_MAX];

		lab_dir(argv[0], dir, sizeof(dir));
		if (access(dir, F_OK) < 0) {
			labctl_say("no lab \"%s\"", argv[0]);
			json_decref(all);
			return VLAB_EXIT_FAIL;
		}
		labs = calloc(1, sizeof(*labs));
		if (!labs) {
			json_decref(all);
			return VLAB_EXIT_FAIL;
		}
		snprintf(labs[0], NODE_NAME_MAX, "%s", argv[0]);
		n = 1;
	} else {
		n = lab_list_all(&labs);
	}
	for (int i = 0; i < n; i++)
		json_array_append_new(all, lab_status_json(opts, labs[i]));
	free(labs);
	if (opts->json || opts->pretty) {
		json_dumpf(all, stdout, opts->pretty ? JSON_INDENT(2) : JSON_COMPACT);
		putchar('\n');
	} else if (n == 0) {
		printf("no lab is running\n");
	} else {
		struct table *t = table_new(cols, 6);
		size_t i, k, c;
		json_t *l, *nd, *nic;

		json_array_foreach(all, i, l)
		{
			json_array_foreach(json_object_get(l, "nodes"), k, nd)
			{
				char ifs[768] = "";
				size_t len = 0;

				json_array_foreach(json_object_get(nd, "interfaces"), c, nic)
				{
					json_t *ad = json_object_get(nic, "addrs");

					len += (size_t)snprintf(
					    ifs + len, sizeof(ifs) - len, "%s%s:%s%s%s(%s)",
					    c ? " " : "",
					    json_string_value(json_object_get(nic, "ifname")),
					    json_string_value(json_object_get(nic, "network")),
					    json_array_size(ad) ? "=" : "",
					    json_array_size(ad)
						? json_string_value(json_array_get(ad, 0))
						: "",
					    json_string_value(json_object_get(nic, "link")));
					if (len >= sizeof(ifs))
						break;
				}
				const char *kn = json_string_value(json_object_get(nd, "kind"));
				const struct kind_ops *k = kind_find(kn, NULL);
				const char *cells[] = {
				    json_string_value(json_object_get(l, "lab")),
				    json_string_value(json_object_get(nd, "name")),
				    kn,
				    json_string_value(json_object_get(nd, "state")),
				    !k || !k->agent				 ? "-"
				    : json_is_true(json_object_get(nd, "agent")) ? "ready"
										 : "no",
				    ifs,
				};
				table_add_row(t, cells);
			}
		}
		table_print(t, stdout);
		table_free(t);
	}
	json_decref(all);
	return VLAB_EXIT_OK;
}
