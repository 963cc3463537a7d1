/* A lab's policies on the switch: bringing them to what a topology says
 * (`vlab up`, `vlab apply`, `vlab policy apply`: the plan of polsw.h, set
 * and delete), removing them (`vlab down`, `vlab policy clear`), and the
 * `vlab policy` commands: apply FILE, show, clear. On the switch a lab's
 * policies are named LAB.POLICY, like its networks.
 *
 * Threads: the CLI's main thread. */
#include "labctl.h"

#include "labctl_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdtree.h"
#include "polsw.h"
#include "swreq.h"

/* The switch's policies (the "policies" of policy.list) into *list. 0 or
 * -errno, said. */
static int list_policies(const struct vlab_opts *opts, json_t **result, const json_t **list)
{
	int rc = labctl_sw_req(opts, "policy.list", NULL, result, false, NULL);

	*list = rc == 0 ? json_object_get(*result, "policies") : NULL;
	if (rc == 0 && !json_is_array(*list)) {
		labctl_say("unexpected policy.list result from the switch");
		return -EPROTO;
	}
	return rc;
}

/* Runs the plan's actions; a SET refused because another policy still
 * holds the place (-EEXIST) is tried again once the others are done.
 * Returns how many failed. */
static int run_plan(const struct vlab_opts *opts, const char *lab, const struct topo *t,
		    const struct polsw_action *a, int n)
{
	bool *again = calloc((size_t)n + 1, sizeof(*again));
	int failed = 0;

	if (!again) {
		labctl_say("out of memory");
		return n;
	}
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < n; i++) {
			struct swc_error e = {0};
			int rc;

			if (pass == 1 && !again[i])
				continue;
			if (a[i].op == POLSW_DEL) {
				if (pass == 0)
					failed +=
					    labctl_sw_req(opts, "policy.del", swreq_name(a[i].sw),
							  NULL, false, NULL) < 0;
				continue;
			}
			rc = labctl_sw_req(opts, "policy.set",
					   polsw_params(lab, &t->policies[a[i].index]), NULL, true,
					   &e);
			if (rc == -EREMOTEIO && e.code == -EEXIST && pass == 0) {
				again[i] = true;
				continue;
			}
			if (rc < 0) {
				labctl_say("policy \"%s\": %s", a[i].name,
					   rc == -EREMOTEIO ? e.message : strerror(-rc));
				failed++;
			}
		}
	free(again);
	return failed;
}

int labctl_policies_plan(const struct vlab_opts *opts, const char *lab, const struct topo *t,
			 struct polsw_action **a)
{
	json_t *result = NULL;
	const json_t *list;
	int n;

	*a = NULL;
	n = list_policies(opts, &result, &list);
	if (n == 0)
		n = polsw_plan(lab, t, list, a);
	if (n == -ENOMEM)
		labctl_say("out of memory");
	json_decref(result);
	return n;
}

int labctl_policies_run(const struct vlab_opts *opts, const char *lab, const struct topo *t,
			const struct polsw_action *a, int n)
{
	return run_plan(opts, lab, t, a, n);
}

int labctl_policies_clear(const struct vlab_opts *opts, const char *lab, const char *name,
			  json_t *removed)
{
	json_t *result = NULL;
	const json_t *list, *p;
	char prefix[NODE_NAME_MAX + 2], sw[64];
	int failed = 0, found = 0;
	size_t i;

	if (list_policies(opts, &result, &list) < 0)
		return -1;
	snprintf(prefix, sizeof(prefix), "%s.", lab);
	if (name)
		polsw_name(lab, name, sw, sizeof(sw));
	json_array_foreach(list, i, p)
	{
		const char *pn = json_string_value(json_object_get(p, "name"));

		if (!pn || strncmp(pn, prefix, strlen(prefix)) || (name && strcmp(pn, sw)))
			continue;
		found++;
		if (labctl_sw_req(opts, "policy.del", swreq_name(pn), NULL, false, NULL) < 0)
			failed++;
		else if (removed)
			json_array_append_new(removed, json_string(pn + strlen(prefix)));
	}
	json_decref(result);
	if (name && !found) {
		labctl_say("lab \"%s\" has no policy \"%s\" on the switch", lab, name);
		return -1;
	}
	return failed ? -1 : 0;
}

/* ---- vlab policy ---- */

/* -j / --json anywhere among the words; removes them. */
static bool take_json(const struct vlab_opts *opts, int *argc, char **argv)
{
	bool json = opts->json || opts->pretty;
	int k = 0;

	for (int i = 0; i < *argc; i++)
		if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json"))
			json = true;
		else
			argv[k++] = argv[i];
	*argc = k;
	return json;
}

static void print_json(const struct vlab_opts *opts, json_t *o)
{
	json_dumpf(o, stdout, opts->pretty ? JSON_INDENT(2) : JSON_COMPACT);
	putchar('\n');
	json_decref(o);
}

static bool want_help(int argc, char **argv)
{
	for (int i = 0; i < argc; i++)
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return true;
	return false;
}

static int usage(const char *cmd, const char *msg)
{
	struct cmd_pos pos;

	if (msg)
		fprintf(stderr, "vlab: %s\n", msg);
	if (cmd_find(&polcmd_group, "vlab policy", cmd, &pos) == 0)
		msg ? cmd_usage(&pos, stderr) : cmd_help(&pos, stdout);
	return msg ? VLAB_EXIT_USAGE : VLAB_EXIT_OK;
}

/* "[LAB/]POLICY" (policy NULL: none given) into lab and *name. 0 or -1,
 * said. */
static int lab_policy(const char *spec, char *lab, size_t len, const char **name)
{
	const char *slash = spec ? strchr(spec, '/') : NULL;

	*name = spec;
	if (slash) {
		snprintf(lab, len, "%.*s", (int)(slash - spec), spec);
		*name = slash + 1;
		return 0;
	}
	return labctl_lab_arg(0, NULL, lab, len);
}

static int cmd_apply(const struct vlab_opts *opts, int argc, char **argv)
{
	static struct topo_errors errs;
	struct topo *t = NULL;
	struct polsw_action *a = NULL;
	const char *file = NULL, *lab_given = NULL;
	char lab[NODE_NAME_MAX], line[TOPO_MSG_MAX + 600], *text = NULL;
	bool json = take_json(opts, &argc, argv);
	int n = 0, failed = 0, rc, ret = VLAB_EXIT_FAIL;
	size_t len;

	if (want_help(argc, argv))
		return usage("apply", NULL);
	for (int i = 0; i < argc; i++) {
		if (argv[i][0] == '-')
			return usage("apply", "unknown option");
		if (!file)
			file = argv[i];
		else if (!lab_given)
			lab_given = argv[i];
		else
			return usage("apply", "too many arguments");
	}
	if (!file)
		return usage("apply", "missing FILE");
	rc = labctl_read_text(file, &text, &len);
	if (rc < 0) {
		labctl_say("cannot read %s: %s", file, strerror(-rc));
		return VLAB_EXIT_FAIL;
	}
	if (lab_given)
		snprintf(lab, sizeof(lab), "%s", lab_given);
	else if (topo_peek_name(text, len, lab, sizeof(lab)) < 0 &&
		 labctl_lab_arg(0, NULL, lab, sizeof(lab)) < 0)
		goto out;
	t = topo_new();
	if (!t) {
		labctl_say("out of memory");
		goto out;
	}
	if (labctl_applied_topo(lab, t) < 0) {
		labctl_say("lab \"%s\" is not running (or its topology cannot be read); start it "
			   "with `vlab up FILE`",
			   lab);
		goto out;
	}
	topo_policies_free(t);
	memset(&errs, 0, sizeof(errs));
	rc = topo_parse_policies(text, len, t, &errs);
	topo_print_warnings(&errs, file, stderr);
	for (int i = 0; i < errs.n; i++) {
		topo_error_format(&errs, i, file, line, sizeof(line));
		fprintf(stderr, "%s\n", line);
	}
	if (errs.dropped)
		fprintf(stderr, "%s: ... and %d more problems\n", file, errs.dropped);
	if (rc < 0)
		goto out;
	n = labctl_policies_plan(opts, lab, t, &a);
	if (n < 0)
		goto out;
	polsw_plan_print(a, n, stderr);
	failed = labctl_policies_run(opts, lab, t, a, n);
	if (json) {
		json_t *set = json_array(), *del = json_array();

		for (int i = 0; i < n; i++)
			json_array_append_new(a[i].op == POLSW_SET ? set : del,
					      json_string(a[i].name));
		print_json(opts,
			   json_pack("{s:s,s:o,s:o,s:i,s:b}", "lab", lab, "set", set, "deleted",
				     del, "policies", t->n_policies, "ok", failed == 0));
	} else if (n == 0) {
		printf("lab %s: its %d polic%s already match %s\n", lab, t->n_policies,
		       t->n_policies == 1 ? "y" : "ies", file);
	} else {
		int sets = 0;

		for (int i = 0; i < n; i++)
			sets += a[i].op == POLSW_SET;
		printf("lab %s: %d polic%s set, %d deleted%s\n", lab, sets, sets == 1 ? "y" : "ies",
		       n - sets, failed ? "; some failed" : "");
	}
	ret = failed ? VLAB_EXIT_FAIL : VLAB_EXIT_OK;
out:
	free(a);
	free(text);
	topo_free(t);
	return ret;
}

static int cmd_show(const struct vlab_opts *opts, int argc, char **argv)
{
	bool json = take_json(opts, &argc, argv);
	char lab[NODE_NAME_MAX];
	const char *name;
	json_t *result = NULL;
	int rc;

	if (want_help(argc, argv))
		return usage("show", NULL);
	if (argc > 1 || (argc == 1 && argv[0][0] == '-'))
		return usage("show", argc > 1 ? "too many arguments" : "unknown option");
	if (lab_policy(argc ? argv[0] : NULL, lab, sizeof(lab), &name) < 0)
		return VLAB_EXIT_FAIL;
	if (labctl_sw_req(opts, "policy.list", NULL, &result, false, NULL) < 0)
		return VLAB_EXIT_FAIL;
	if (json) {
		json_t *o = polsw_show_json(lab, result, name);

		rc =
		    o && name && json_array_size(json_object_get(o, "policies")) == 0 ? -ENOENT : 0;
		if (rc == 0)
			print_json(opts, o);
		else
			json_decref(o);
	} else {
		rc = polsw_show(stdout, lab, result, name);
	}
	json_decref(result);
	if (rc == -ENOENT)
		labctl_say("lab \"%s\" has no policy \"%s\" on the switch", lab, name);
	else if (rc < 0)
		labctl_say("cannot show the policies: %s", strerror(-rc));
	return rc < 0 ? VLAB_EXIT_FAIL : VLAB_EXIT_OK;
}

static int cmd_clear(const struct vlab_opts *opts, int argc, char **argv)
{
	bool json = take_json(opts, &argc, argv);
	char lab[NODE_NAME_MAX];
	const char *name;
	json_t *removed = json_array();
	int rc;

	if (want_help(argc, argv)) {
		json_decref(removed);
		return usage("clear", NULL);
	}
	if (argc > 1 || (argc == 1 && argv[0][0] == '-')) {
		json_decref(removed);
		return usage("clear", argc > 1 ? "too many arguments" : "unknown option");
	}
	if (lab_policy(argc ? argv[0] : NULL, lab, sizeof(lab), &name) < 0) {
		json_decref(removed);
		return VLAB_EXIT_FAIL;
	}
	rc = labctl_policies_clear(opts, lab, name, removed);
	if (json)
		print_json(opts, json_pack("{s:s,s:O,s:b}", "lab", lab, "removed", removed, "ok",
					   rc == 0));
	else
		printf("lab %s: %zu polic%s removed from the switch\n", lab,
		       json_array_size(removed), json_array_size(removed) == 1 ? "y" : "ies");
	json_decref(removed);
	return rc < 0 ? VLAB_EXIT_FAIL : VLAB_EXIT_OK;
}

static const struct cmd_node policy_cmds[] = {
    {.name = "apply",
     .args = "FILE [LAB]",
     .summary = "set the lab's policies to a file's (a topology, or policies: alone)",
     .usage = "vlab policy apply FILE [LAB] [-j]",
     .details = "Names in the file (nodes, NODE:IFNAME, networks) resolve against the\n"
		"running lab's topology. Policies of the lab that the file does not have\n"
		"are deleted; changed ones are replaced without losing a packet. LAB\n"
		"defaults to the file's name:, else the only running lab. The lab's\n"
		"topology file is not changed: `vlab apply FILE` sets its policies again.\n",
     .run = cmd_apply},
    {.name = "show",
     .args = "[[LAB/]POLICY]",
     .summary = "rules in order with their hits, default and related hits, conntrack",
     .usage = "vlab policy show [[LAB/]POLICY] [-j]",
     .run = cmd_show},
    {.name = "clear",
     .args = "[[LAB/]POLICY]",
     .summary = "remove the lab's policies (or one) from the switch",
     .usage = "vlab policy clear [[LAB/]POLICY] [-j]",
     .run = cmd_clear},
    {0},
};

const struct cmd_node polcmd_group = {
    .name = "policy",
    .summary = "A lab's policies on the switch (docs/policy.md).",
    .children = policy_cmds,
    .default_child = "show",
    .details = "LAB is the only running lab unless named.\n",
};
