/* The lab controller's common parts: messages, a lab's state files
 * (topology.yaml, written atomically) and loading topologies, with every
 * problem printed. The commands are in labup.c (up, apply), labdown.c,
 * labstatus.c, labexec.c (exec, console), labping.c (pingall), labgraph.c;
 * naming labs in labname.c, the switch in labswitch.c. See labctl_priv.h.
 *
 * Threads: the CLI's main thread; labctl_say() and labctl_now() also from
 * workers. */
#include "labctl_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lab.h"

double labctl_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void labctl_say(const char *fmt, ...)
{
	va_list ap;

	flockfile(stderr); /* one line, also when workers say things */
	fputs("vlab: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	funlockfile(stderr);
}

int labctl_read_text(const char *path, char **out, size_t *len)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (f == NULL)
		return -errno;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			char *b = realloc(buf, cap = cap * 2 + 8192);

			if (b == NULL) {
				free(buf);
				fclose(f);
				return -ENOMEM;
			}
			buf = b;
		}
		size_t r = fread(buf + n, 1, 4096, f);

		n += r;
		if (r < 4096)
			break;
	}
	fclose(f);
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

int labctl_write_text(const char *path, const char *text, size_t len)
{
	char tmp[PATH_MAX];
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != (ssize_t)len || fsync(fd) < 0) {
		close(fd);
		unlink(tmp);
		return -EIO;
	}
	close(fd);
	return rename(tmp, path) < 0 ? -errno : 0;
}

void labctl_topo_file(const char *lab, const char *which, char *buf, size_t len)
{
	char dir[NODE_PATH_MAX];

	lab_dir(lab, dir, sizeof(dir));
	snprintf(buf, len, "%s/%s", dir, which);
}

/* Loads and validates a topology file, printing every problem. */
int labctl_load_topo(const char *path, struct topo *t)
{
	static struct topo_errors errs;
	char line[TOPO_MSG_MAX + PATH_MAX + 32];
	int rc;

	memset(&errs, 0, sizeof(errs));
	rc = topo_load(path, t, &errs);
	topo_print_warnings(&errs, path, stderr);
	if (rc < 0) {
		for (int i = 0; i < errs.n; i++) {
			topo_error_format(&errs, i, path, line, sizeof(line));
			fprintf(stderr, "%s\n", line);
		}
		if (errs.dropped)
			fprintf(stderr, "%s: ... and %d more problems\n", path, errs.dropped);
		if (errs.n == 0)
			fprintf(stderr, "vlab: cannot read %s: %s\n", path, strerror(-rc));
	}
	return rc;
}

/* The topology a lab runs (last applied), or -ENOENT. */
int labctl_applied_topo(const char *lab, struct topo *t)
{
	static struct topo_errors errs;
	char path[PATH_MAX], *text;
	size_t len;
	int rc;

	labctl_topo_file(lab, "topology.yaml", path, sizeof(path));
	rc = labctl_read_text(path, &text, &len);
	if (rc < 0)
		return rc;
	memset(&errs, 0, sizeof(errs));
	rc = topo_parse(text, len, t, &errs);
	free(text);
	return rc;
}
