/* The command tree (walking it, help and usage of its nodes) and the
 * schema-driven request builder; see cmdtree.h. Pure; main thread of the
 * vlab CLI. */
#include "cmdtree.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mac.h"
#include "name.h"
#include "utf8.h"

/* The entry of `group` for `word` (its name or alias), or NULL. */
static const struct cmd_node *find_child(const struct cmd_node *group, const char *word)
{
	for (const struct cmd_node *n = group->children; n->name; n++)
		if (strcmp(n->name, word) == 0 || (n->alias && strcmp(n->alias, word) == 0))
			return n;
	return NULL;
}

/* The node an entry stands for: the group it opens, or itself. */
static const struct cmd_node *target(const struct cmd_node *n)
{
	return n->group ? n->group : n;
}

/* Writes "a, b, c" (the command words of `group`) to buf. */
static void list_children(const struct cmd_node *group, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (const struct cmd_node *n = group->children; n->name && off < len; n++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? ", " : "", n->name);
}

int cmd_walk(const struct cmd_node *root, const char *root_path, int argc, char *const argv[],
	     struct cmd_pos *pos, int *used, char *err, size_t errlen)
{
	const struct cmd_node *node = root;
	bool help = false; /* "help" was given: the words after it name the node */
	char words[160];
	int i = 0;

	pos->node = root;
	snprintf(pos->path, sizeof(pos->path), "%s", root_path);
	while (node->children) {
		const struct cmd_node *child;
		const char *word, *below;

		if (i == argc && help)
			return CMD_HELP;
		if (i == argc) {
			if (!node->default_child) {
				list_children(node, words, sizeof(words));
				snprintf(err, errlen, "missing command after '%s' (one of: %s)",
					 pos->path, words);
				return -EINVAL;
			}
			word = node->default_child;
		} else {
			word = argv[i++];
		}
		if (!strcmp(word, "-h") || !strcmp(word, "--help"))
			return CMD_HELP;
		if (!strcmp(word, "help") && !help) {
			help = true;
			continue;
		}
		child = find_child(node, word);
		if (!child) {
			list_children(node, words, sizeof(words));
			/* the words below the program's name: "switch network" */
			below = strchr(pos->path, ' ');
			if (word[0] == '-' && below)
				snprintf(err, errlen,
					 "unknown option '%s' for '%s' (global options go first: "
					 "vlab [-s SOCKET] [-j]%s ...)",
					 word, pos->path, below);
			else if (word[0] == '-')
				snprintf(err, errlen,
					 "unknown option '%s' for '%s' (try '%s --help')", word,
					 pos->path, pos->path);
			else
				snprintf(err, errlen, "unknown command '%s' for '%s' (one of: %s)",
					 word, pos->path, words);
			return -EINVAL;
		}
		snprintf(pos->path + strlen(pos->path), sizeof(pos->path) - strlen(pos->path),
			 " %s", child->name);
		node = target(child);
		pos->node = node;
	}
	*used = i;
	return help ? CMD_HELP : 0;
}

int cmd_find(const struct cmd_node *root, const char *root_path, const char *words,
	     struct cmd_pos *pos)
{
	char buf[sizeof(pos->path)], err[ARGS_ERR_LEN], *argv[8], *save = NULL;
	int argc = 0, used = 0;

	if (strlen(words) >= sizeof(buf))
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s", words);
	for (char *w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		if (argc == (int)(sizeof(argv) / sizeof(argv[0])))
			return -EINVAL;
		argv[argc++] = w;
	}
	if (cmd_walk(root, root_path, argc, argv, pos, &used, err, sizeof(err)) != 0 ||
	    used != argc)
		return -EINVAL;
	return 0;
}

/* ---- schema-driven commands ---- */

/* The options of a method command: its parameters that have a CLI option,
 * in schema order; map[k] is the parameter of option k. */
static size_t method_opts(const struct api_method *m, struct args_opt *opts,
			  const struct api_param **map)
{
	size_t n = 0;

	for (const struct api_param *p = m->params; p->key && n < ARGS_MAX_OPTS; p++)
		if (p->cli) {
			opts[n] = (struct args_opt){p->cli, true};
			map[n++] = p;
		}
	return n;
}

/* How a parameter is named in messages: "network name", "--vni", ... */
static void param_what(const struct api_method *m, const struct api_param *p, char *buf,
		       size_t len)
{
	if (p->type == API_T_NAME && !strcmp(p->key, "name"))
		snprintf(buf, len, "%.*s name", (int)strcspn(m->name, "."), m->name);
	else if (p->type == API_T_NAME)
		snprintf(buf, len, "%s name", p->key);
	else if (p->cli)
		snprintf(buf, len, "--%s", p->cli);
	else
		snprintf(buf, len, "%s", p->metavar);
}

/* "a, b or c" of an enum's values. */
static void enum_list(const struct api_param *p, char *buf, size_t len)
{
	size_t off = 0, n = 0;

	while (p->values[n])
		n++;
	buf[0] = '\0';
	for (size_t i = 0; i < n && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s",
					i == 0 ? "" : i + 1 == n ? " or " : ", ", p->values[i]);
}

/* Converts one argument to the JSON value of parameter p. */
static int param_value(const struct api_method *m, const struct api_param *p, const char *s,
		       json_t **out, char *err, size_t errlen)
{
	char what[48], list[128];
	uint64_t u;

	param_what(m, p, what, sizeof(what));
	if (!utf8_valid(s, strlen(s))) {
		/* JSON carries text only; an argument in another encoding would
		 * otherwise fail as it is encoded */
		snprintf(err, errlen, "%s is not UTF-8 text (convert the argument, e.g. with iconv)",
			 what);
		return -EINVAL;
	}
	switch (p->type) {
	case API_T_NAME:
		if (args_name(s, what, err, errlen) < 0)
			return -EINVAL;
		*out = json_string(s);
		break;
	case API_T_IFNAME:
		if (strlen(s) == 0 || strlen(s) > API_IFNAME_MAX) {
			snprintf(err, errlen, "%s '%s' must be 1 to %d characters long", what, s,
				 API_IFNAME_MAX);
			return -EINVAL;
		}
		if (!name_ok(s, API_IFNAME_MAX)) {
			snprintf(err, errlen, "%s '%s' %s", what, s, name_problem(s, API_IFNAME_MAX));
			return -EINVAL;
		}
		*out = json_string(s);
		break;
	case API_T_STRING:
		if (s[0] == '\0' || strlen(s) > p->max) {
			snprintf(err, errlen, "%s must not be empty nor longer than %llu bytes",
				 what, (unsigned long long)p->max);
			return -EINVAL;
		}
		*out = json_string(s);
		break;
	case API_T_UINT:
		if (args_u64(s, p->min, p->max, what, &u, err, errlen) < 0)
			return -EINVAL;
		*out = json_integer((json_int_t)u);
		break;
	case API_T_MAC: {
		char mac[MAC_STR_LEN];

		if (args_mac(s, mac, err, errlen) < 0)
			return -EINVAL;
		*out = json_string(mac);
		break;
	}
	case API_T_NAMES: { /* NAME[,NAME...] */
		char one[API_NAME_MAX + 2];

		*out = json_array();
		for (const char *a = s; *out && a;) {
			const char *comma = strchr(a, ',');
			size_t n = comma ? (size_t)(comma - a) : strlen(a);

			snprintf(one, sizeof(one), "%.*s", (int)(n < sizeof(one) - 1 ? n : sizeof(one) - 1), a);
			if (n >= sizeof(one) - 1 || args_name(one, what, err, errlen) < 0) {
				if (n >= sizeof(one) - 1)
					snprintf(err, errlen, "%s: '%.*s...' is longer than %d characters",
						 what, API_NAME_MAX, a, API_NAME_MAX);
				json_decref(*out);
				*out = NULL;
				return -EINVAL;
			}
			json_array_append_new(*out, json_string(one));
			a = comma ? comma + 1 : NULL;
		}
		break;
	}
	case API_T_OBJECTS: { /* JSON text: a list of objects, or one object */
		json_error_t jerr;

		*out = json_loads(s, JSON_REJECT_DUPLICATES, &jerr);
		if (!*out) {
			snprintf(err, errlen,
				 "%s is not valid JSON: %s (line %d, column %d); give a list of "
				 "objects, e.g. '[{\"action\": \"allow\"}]'",
				 what, jerr.text, jerr.line, jerr.column);
			return -EINVAL;
		}
		if (json_is_object(*out)) {
			json_t *arr = json_array();

			json_array_append_new(arr, *out);
			*out = arr;
		}
		break;
	}
	case API_T_ENUM:
		for (const char *const *v = p->values; *v; v++)
			if (!strcmp(*v, s)) {
				*out = json_string(s);
				return *out ? 0 : -ENOMEM;
			}
		enum_list(p, list, sizeof(list));
		if (!strcmp(m->name, "port.add") && !strcmp(p->key, "type"))
			snprintf(err, errlen, "unknown port type '%s' (expected %s)", s, list);
		else
			snprintf(err, errlen, "%s must be %s, not '%s'", what, list, s);
		return -EINVAL;
	}
	return *out ? 0 : -ENOMEM;
}

/* port.add: the options that apply to the chosen type, and those it needs. */
static int check_port_type(const struct api_method *m, json_t *params, char *err,
			   size_t errlen)
{
	const char *type = json_string_value(json_object_get(params, "type"));
	const struct api_port_type *t = api_port_type_find(type);

	for (unsigned int bit = API_PP_PATH; bit <= API_PP_DEVARGS; bit <<= 1) {
		const struct api_param *p = api_param_find(m, api_port_param_key(bit));
		bool given = json_object_get(params, p->key) != NULL;

		if (given && !(t->takes & bit)) {
			snprintf(err, errlen, "option '--%s' does not apply to --type %s", p->cli,
				 t->name);
			return -EINVAL;
		}
		if (!given && (t->needs & bit)) {
			snprintf(err, errlen, "--type %s needs --%s %s", t->name, p->cli, p->metavar);
			return -EINVAL;
		}
	}
	return 0;
}

static int method_build(const struct api_method *m, int argc, char *const argv[],
			json_t **params, char *err, size_t errlen)
{
	struct args_opt opts[ARGS_MAX_OPTS];
	const struct api_param *map[ARGS_MAX_OPTS];
	size_t nopts = method_opts(m, opts, map);
	int next = 0, ret;
	struct args a;
	json_t *o;

	if (args_parse(argc, argv, opts, nopts, &a, err, errlen) < 0)
		return -EINVAL;
	if (a.help)
		return CMD_HELP;
	/* positional arguments fill the positional parameters not given as options */
	for (const struct api_param *p = m->params; p->key; p++)
		if (p->pos >= 0) {
			bool as_opt = false;

			for (size_t k = 0; k < nopts; k++)
				as_opt |= map[k] == p && a.value[k];
			next += !as_opt && next < a.npos;
		}
	if (a.npos > next) {
		snprintf(err, errlen, "unexpected argument '%s'", a.pos[next]);
		return -EINVAL;
	}
	o = json_object();
	if (!o)
		return -ENOMEM;
	next = 0;
	for (const struct api_param *p = m->params; p->key; p++) {
		const char *s = NULL;
		json_t *v = NULL;

		for (size_t k = 0; k < nopts; k++)
			if (map[k] == p)
				s = a.value[k];
		if (!s && p->pos >= 0 && next < a.npos)
			s = a.pos[next++];
		if (!s) {
			if (!p->required)
				continue;
			if (p->pos >= 0)
				snprintf(err, errlen, "missing %s", p->metavar);
			else
				snprintf(err, errlen, "missing --%s %s (%s)", p->cli, p->metavar,
					 p->help);
			ret = -EINVAL;
			goto out_free;
		}
		ret = param_value(m, p, s, &v, err, errlen);
		if (ret < 0)
			goto out_free;
		if (json_object_set_new(o, p->key, v) < 0) {
			ret = -ENOMEM;
			goto out_free;
		}
	}
	if (!strcmp(m->name, "port.add")) {
		ret = check_port_type(m, o, err, errlen);
		if (ret < 0)
			goto out_free;
	}
	/* the same check the switch makes: what the CLI sends, it accepts */
	ret = api_validate(m, o, err, errlen);
	if (ret < 0)
		goto out_free;
	if (m->params[0].key == NULL) {
		json_decref(o);
		o = NULL;
	}
	*params = o;
	return 0;

out_free:
	json_decref(o);
	return ret;
}

int cmd_build(const struct cmd_node *n, int argc, char *const argv[], const char **method,
	      json_t **params, char *err, size_t errlen)
{
	const struct api_method *m;
	struct args a;

	*params = NULL;
	if (n->build) {
		if (args_parse(argc, argv, n->opts, n->nopts, &a, err, errlen) < 0)
			return -EINVAL;
		if (a.help)
			return CMD_HELP;
		return n->build(&a, method, params, err, errlen);
	}
	m = api_method_find(n->method);
	if (!m) {
		snprintf(err, errlen, "internal error: method %s is not in the schema", n->method);
		return -EINVAL;
	}
	*method = m->name;
	return method_build(m, argc, argv, params, err, errlen);
}

/* ---- help ---- */

static void method_usage(const struct api_method *m, const char *path, FILE *f)
{
	fprintf(f, "%s", path);
	for (const struct api_param *p = m->params; p->key; p++)
		if (p->pos >= 0)
			fprintf(f, p->required ? " %s" : " [%s]", p->metavar);
	for (const struct api_param *p = m->params; p->key; p++)
		if (p->pos < 0)
			fprintf(f, p->required ? " --%s %s" : " [--%s %s]", p->cli, p->metavar);
}

static void method_details(const struct api_method *m, FILE *f)
{
	char left[64];
	int width = 0;

	for (int pass = 0; pass < 2; pass++)
		for (const struct api_param *p = m->params; p->key; p++) {
			if (p->pos >= 0 && p->cli)
				snprintf(left, sizeof(left), "%s, --%s %s", p->metavar, p->cli,
					 p->metavar);
			else if (p->pos >= 0)
				snprintf(left, sizeof(left), "%s", p->metavar);
			else
				snprintf(left, sizeof(left), "--%s %s", p->cli, p->metavar);
			if (pass == 0 && (int)strlen(left) > width)
				width = (int)strlen(left);
			else if (pass == 1)
				fprintf(f, "  %-*s  %s\n", width, left, p->help);
		}
}

static const char *node_summary(const struct cmd_node *n)
{
	const struct api_method *m;

	if (n->summary)
		return n->summary;
	n = target(n);
	m = n->method ? api_method_find(n->method) : NULL;
	return n->summary ? n->summary : m ? m->summary : "";
}

void cmd_usage(const struct cmd_pos *pos, FILE *f)
{
	const struct cmd_node *n = pos->node;
	const struct api_method *m = n->method ? api_method_find(n->method) : NULL;

	fprintf(f, "usage: ");
	if (m) {
		method_usage(m, pos->path, f);
		fputc('\n', f);
	} else if (n->usage) {
		fprintf(f, "%s\n", n->usage);
	} else if (n->children) {
		fprintf(f, "%s COMMAND [ARGS]\n", pos->path);
	} else {
		fprintf(f, "%s %s\n", pos->path, n->args ? n->args : "[ARGS]");
	}
}

/* A child's words in its parent's list: "start NAME [OPTIONS]". */
static void child_words(const struct cmd_node *c, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s", c->name, c->args ? " " : "", c->args ? c->args : "");
}

void cmd_help(const struct cmd_pos *pos, FILE *f)
{
	const struct cmd_node *n = pos->node;
	const struct api_method *m = n->method ? api_method_find(n->method) : NULL;

	cmd_usage(pos, f);
	fprintf(f, "\n%s\n", node_summary(n));
	if (n->children) {
		char words[128];
		int width = 0;

		fprintf(f, "\ncommands:\n");
		for (const struct cmd_node *c = n->children; c->name; c++) {
			child_words(c, words, sizeof(words));
			if ((int)strlen(words) > width)
				width = (int)strlen(words);
		}
		for (const struct cmd_node *c = n->children; c->name; c++) {
			child_words(c, words, sizeof(words));
			fprintf(f, "  %-*s  %s", width, words, node_summary(c));
			if (c->alias)
				fprintf(f, " (alias: %s)", c->alias);
			fputc('\n', f);
		}
		fprintf(f, "\nRun '%s COMMAND --help' for the arguments of a command.\n",
			pos->path);
	}
	if (m && m->params[0].key) {
		fputc('\n', f);
		method_details(m, f);
	}
	if (n->details)
		fprintf(f, "\n%s", n->details);
}
