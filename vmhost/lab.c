/* Per-lab state on disk; see lab.h. Runs on the caller's thread. */
#include "lab.h"

#include "kind.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

const char *lab_run_dir(void)
{
	const char *d = getenv("VLAB_RUN_DIR");

	return d && d[0] ? d : "/run/vlab";
}

int lab_dir(const char *lab, char *buf, size_t len)
{
	return snprintf(buf, len, "%s/labs/%s", lab_run_dir(), lab) >= (int)len ? -ENAMETOOLONG
										 : 0;
}

int lab_node_dir(const char *lab, const char *node, char *buf, size_t len)
{
	return snprintf(buf, len, "%s/labs/%s/nodes/%s", lab_run_dir(), lab, node) >= (int)len
		       ? -ENAMETOOLONG
		       : 0;
}

int lab_mkdirs(const char *path)
{
	char buf[NODE_PATH_MAX * 2];

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (char *p = buf + 1;; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;

			*p = '\0';
			if (mkdir(buf, 0750) < 0 && errno != EEXIST)
				return -errno;
			*p = c;
			if (c == '\0')
				break;
		}
	}
	return 0;
}

json_t *lab_node_to_json(const struct node *n)
{
	json_t *nics = json_array(), *routes = json_array();
	json_t *o;

	for (int i = 0; i < n->n_nics; i++) {
		const struct node_nic *c = &n->nics[i];
		json_t *addrs = json_array();
		char mac[18];

		for (int a = 0; a < c->n_addrs; a++)
			json_array_append_new(addrs, json_string(c->addrs[a]));
		mac_format(c->mac, mac);
		json_array_append_new(
		    nics, json_pack("{s:s,s:s,s:i,s:i,s:o,s:s,s:s,s:s,s:b}", "ifname", c->ifname,
				    "mac", mac, "mtu", (int)c->mtu, "queues", (int)c->queues,
				    "addrs", addrs, "network", c->network, "port", c->port, "sock",
				    c->sock, "link_down", c->link_down));
	}
	for (int i = 0; i < n->n_routes; i++)
		json_array_append_new(routes, json_pack("{s:s,s:s}", "dst", n->routes[i].dst, "via",
							n->routes[i].via));
	o = json_pack("{s:s,s:s,s:i,s:i,s:o,s:o,s:b,s:s,s:s,s:s,s:s}", "name", n->name, "kind",
		      kind_name(n->kind), "cpus", (int)n->cpus, "mem_mib", (int)n->mem_mib, "nics",
		      nics, "routes", routes, "ip_forward", n->ip_forward, "kernel", n->kernel,
		      "initrd", n->initrd, "disk", n->disk, "append", n->append);
	return o;
}

/* Copies string member `key` of `o` into buf; missing means empty. */
static int get_str(json_t *o, const char *key, char *buf, size_t len, char *err, size_t errlen)
{
	json_t *v = json_object_get(o, key);

	if (v == NULL) {
		buf[0] = '\0';
		return 0;
	}
	if (!json_is_string(v) || json_string_length(v) >= len) {
		snprintf(err, errlen, "\"%s\" must be a string shorter than %zu bytes", key, len);
		return -EINVAL;
	}
	memcpy(buf, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

int lab_node_from_json(json_t *j, struct node *n, char *err, size_t errlen)
{
	json_t *nics, *routes, *v;
	char kind[8], mac[24];
	size_t i;

	memset(n, 0, sizeof(*n));
	if (!json_is_object(j)) {
		snprintf(err, errlen, "node record is not an object");
		return -EINVAL;
	}
	if (get_str(j, "name", n->name, sizeof(n->name), err, errlen) ||
	    get_str(j, "kind", kind, sizeof(kind), err, errlen) ||
	    get_str(j, "kernel", n->kernel, sizeof(n->kernel), err, errlen) ||
	    get_str(j, "initrd", n->initrd, sizeof(n->initrd), err, errlen) ||
	    get_str(j, "disk", n->disk, sizeof(n->disk), err, errlen) ||
	    get_str(j, "append", n->append, sizeof(n->append), err, errlen))
		return -EINVAL;
	if (!kind_find(kind, &n->kind)) {
		char kinds[128];

		snprintf(err, errlen, "\"kind\" must be %s",
			 kind_list(kinds, sizeof(kinds), "\"", false, 0));
		return -EINVAL;
	}
	n->cpus = (unsigned int)json_integer_value(json_object_get(j, "cpus"));
	n->mem_mib = (unsigned int)json_integer_value(json_object_get(j, "mem_mib"));
	n->ip_forward = json_is_true(json_object_get(j, "ip_forward"));

	nics = json_object_get(j, "nics");
	if (json_array_size(nics) > NODE_MAX_NICS) {
		snprintf(err, errlen, "more than %d NICs", NODE_MAX_NICS);
		return -EINVAL;
	}
	json_array_foreach(nics, i, v)
	{
		struct node_nic *c = &n->nics[n->n_nics++];
		json_t *addrs = json_object_get(v, "addrs"), *a;
		size_t k;

		if (get_str(v, "ifname", c->ifname, sizeof(c->ifname), err, errlen) ||
		    get_str(v, "mac", mac, sizeof(mac), err, errlen) ||
		    get_str(v, "network", c->network, sizeof(c->network), err, errlen) ||
		    get_str(v, "port", c->port, sizeof(c->port), err, errlen) ||
		    get_str(v, "sock", c->sock, sizeof(c->sock), err, errlen))
			return -EINVAL;
		if (mac_parse(mac, c->mac) < 0) {
			snprintf(err, errlen, "NIC %zu: bad MAC \"%s\"", i, mac);
			return -EINVAL;
		}
		c->mtu = (uint32_t)json_integer_value(json_object_get(v, "mtu"));
		c->queues = (uint32_t)json_integer_value(json_object_get(v, "queues"));
		c->link_down = json_is_true(json_object_get(v, "link_down"));
		if (json_array_size(addrs) > NODE_MAX_ADDRS) {
			snprintf(err, errlen, "NIC %zu: more than %d addresses", i, NODE_MAX_ADDRS);
			return -EINVAL;
		}
		json_array_foreach(addrs, k, a)
		{
			if (!json_is_string(a) || json_string_length(a) >= NODE_ADDR_MAX) {
				snprintf(err, errlen, "NIC %zu: bad address", i);
				return -EINVAL;
			}
			snprintf(c->addrs[c->n_addrs++], NODE_ADDR_MAX, "%s", json_string_value(a));
		}
	}
	routes = json_object_get(j, "routes");
	if (json_array_size(routes) > NODE_MAX_ROUTES) {
		snprintf(err, errlen, "more than %d routes", NODE_MAX_ROUTES);
		return -EINVAL;
	}
	json_array_foreach(routes, i, v)
	{
		struct node_route *r = &n->routes[n->n_routes++];

		if (get_str(v, "dst", r->dst, sizeof(r->dst), err, errlen) ||
		    get_str(v, "via", r->via, sizeof(r->via), err, errlen))
			return -EINVAL;
	}
	return 0;
}

static int record_path(const char *lab, const char *node, char *buf, size_t len)
{
	char dir[NODE_PATH_MAX];
	int rc = lab_node_dir(lab, node, dir, sizeof(dir));

	if (rc < 0)
		return rc;
	return snprintf(buf, len, "%s/node.json", dir) >= (int)len ? -ENAMETOOLONG : 0;
}

int lab_record_save(const char *lab, const struct node *n, const struct lab_record *r)
{
	char path[NODE_PATH_MAX + 16], tmp[NODE_PATH_MAX + 32], dir[NODE_PATH_MAX];
	json_t *root, *outer = json_array();
	int rc, fd;

	rc = lab_node_dir(lab, n->name, dir, sizeof(dir));
	if (rc == 0)
		rc = lab_mkdirs(dir);
	if (rc == 0)
		rc = record_path(lab, n->name, path, sizeof(path));
	if (rc < 0) {
		json_decref(outer);
		return rc;
	}
	for (int i = 0; i < NODE_MAX_NICS; i++)
		if (r->outer[i][0])
			json_array_append_new(outer, json_string(r->outer[i]));
	root = json_pack("{s:s,s:o,s:i,s:s,s:o,s:I}", "lab", lab, "node", lab_node_to_json(n),
			 "pid", (int)r->pid, "netns", r->netns, "outer", outer, "created",
			 (json_int_t)(r->created ? r->created : time(NULL)));
	if (root == NULL)
		return -ENOMEM;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0) {
		rc = -errno;
		goto out_free;
	}
	if (json_dumpfd(root, fd, JSON_INDENT(2)) < 0 || fsync(fd) < 0) {
		rc = -EIO;
		close(fd);
		unlink(tmp);
		goto out_free;
	}
	close(fd);
	if (rename(tmp, path) < 0) {
		rc = -errno;
		unlink(tmp);
	}
out_free:
	json_decref(root);
	return rc;
}

int lab_record_load(const char *lab, const char *node, struct node *n, struct lab_record *r)
{
	char path[NODE_PATH_MAX + 16], err[128];
	json_error_t jerr;
	json_t *root, *outer, *v;
	size_t i;
	int rc;

	memset(r, 0, sizeof(*r));
	memset(n, 0, sizeof(*n));
	rc = record_path(lab, node, path, sizeof(path));
	if (rc < 0)
		return rc;
	root = json_load_file(path, 0, &jerr);
	if (root == NULL)
		return access(path, F_OK) < 0 ? -ENOENT : -EINVAL;
	rc = lab_node_from_json(json_object_get(root, "node"), n, err, sizeof(err));
	r->pid = (pid_t)json_integer_value(json_object_get(root, "pid"));
	r->created = (long)json_integer_value(json_object_get(root, "created"));
	snprintf(r->netns, sizeof(r->netns), "%s",
		 json_string_value(json_object_get(root, "netns")) ?: "");
	outer = json_object_get(root, "outer");
	json_array_foreach(outer, i, v)
	{
		if (i < NODE_MAX_NICS && json_is_string(v))
			snprintf(r->outer[i], sizeof(r->outer[i]), "%s", json_string_value(v));
	}
	json_decref(root);
	return rc;
}

/* rm -r of a directory without following symlinks out of it. */
static int rm_tree(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int rc = 0;

	if (d == NULL)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(d)) != NULL) {
		char sub[NODE_PATH_MAX * 2];
		struct stat st;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
		if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode))
			rc = rm_tree(sub) ?: rc;
		else if (unlink(sub) < 0 && errno != ENOENT)
			rc = -errno;
	}
	closedir(d);
	if (rmdir(path) < 0 && errno != ENOENT)
		rc = -errno;
	return rc;
}

int lab_node_remove(const char *lab, const char *node)
{
	char dir[NODE_PATH_MAX];
	int rc = lab_node_dir(lab, node, dir, sizeof(dir));

	return rc < 0 ? rc : rm_tree(dir);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Entries of directory `path` (sorted) into names[max], or, when `grow` is
 * given, into *grow, reallocated as needed (max ignored). */
static int list_dir(const char *path, char names[][NODE_NAME_MAX], int max,
		    char (**grow)[NODE_NAME_MAX])
{
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0, cap = 0;

	if (grow)
		*grow = NULL;
	if (d == NULL)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(d)) != NULL && (grow || n < max)) {
		if (e->d_name[0] == '.' || strlen(e->d_name) >= NODE_NAME_MAX)
			continue;
		if (grow && n == cap) {
			char(*more)[NODE_NAME_MAX] =
			    realloc(*grow, (size_t)(cap = cap ? 2 * cap : 64) * NODE_NAME_MAX);

			if (more == NULL) {
				closedir(d);
				free(*grow);
				*grow = NULL;
				return -ENOMEM;
			}
			*grow = more;
		}
		snprintf(grow ? (*grow)[n] : names[n], NODE_NAME_MAX, "%s", e->d_name);
		n++;
	}
	closedir(d);
	if (n > 1)
		qsort(grow ? *grow : names, (size_t)n, NODE_NAME_MAX, cmp_names);
	return n;
}

int lab_list_nodes(const char *lab, char names[][NODE_NAME_MAX], int max)
{
	char dir[NODE_PATH_MAX];

	if (snprintf(dir, sizeof(dir), "%s/labs/%s/nodes", lab_run_dir(), lab) >=
	    (int)sizeof(dir))
		return -ENAMETOOLONG;
	return list_dir(dir, names, max, NULL);
}

int lab_list(char names[][NODE_NAME_MAX], int max)
{
	char dir[NODE_PATH_MAX];

	snprintf(dir, sizeof(dir), "%s/labs", lab_run_dir());
	return list_dir(dir, names, max, NULL);
}

int lab_list_nodes_all(const char *lab, char (**names)[NODE_NAME_MAX])
{
	char dir[NODE_PATH_MAX];

	*names = NULL;
	if (snprintf(dir, sizeof(dir), "%s/labs/%s/nodes", lab_run_dir(), lab) >= (int)sizeof(dir))
		return -ENAMETOOLONG;
	return list_dir(dir, NULL, 0, names);
}

int lab_list_all(char (**names)[NODE_NAME_MAX])
{
	char dir[NODE_PATH_MAX];

	snprintf(dir, sizeof(dir), "%s/labs", lab_run_dir());
	return list_dir(dir, NULL, 0, names);
}
