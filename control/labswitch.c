/* The lab controller and the switch: requests (with the switch's error
 * said), starting vlab-switchd when none answers (hugepages mounted and
 * reserved, its pid recorded) and stopping the one vlab started once no lab
 * uses it; the switch's names of a lab's networks.
 *
 * Threads: the CLI's main thread; labctl_sw_req() also from workers. */
#include "labctl_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lab.h"

#define LABCTL_SWITCH_WAIT_MS 20000

/* One request; prints the switch's error unless `quiet`. 0 or -errno. */
int labctl_sw_req(const struct vlab_opts *opts, const char *method, json_t *params, json_t **result,
		  bool quiet, struct swc_error *eout)
{
	struct swc_error e = {0};
	int rc = swc_request(swc_socket_path(opts->socket), method, params, result, &e);

	if (rc == -EREMOTEIO && !quiet)
		labctl_say("switch: %s", e.message);
	if (eout)
		*eout = e;
	return rc;
}

bool labctl_sw_alive(const struct vlab_opts *opts)
{
	return labctl_sw_req(opts, "version", NULL, NULL, true, NULL) == 0;
}

const char *labctl_switch_state_path(void)
{
	const char *s = getenv("VLAB_SWITCH_STATE");

	return s && s[0] ? s : "/var/lib/vlab/switch.json";
}

static void switch_pidfile(char *buf, size_t len)
{
	snprintf(buf, len, "%s/switch.pid", lab_run_dir());
}

/* vlab-switchd next to this vlab (build tree or install), else $PATH. */
static void find_switchd(char *buf, size_t len)
{
	const char *env = getenv("VLAB_SWITCHD");
	char self[PATH_MAX];
	ssize_t n;

	if (env && env[0]) {
		snprintf(buf, len, "%s", env);
		return;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		char *dir = dirname(self);

		snprintf(buf, len, "%s/../switch/vlab-switchd", dir);
		if (access(buf, X_OK) == 0)
			return;
		snprintf(buf, len, "%s/vlab-switchd", dir);
		if (access(buf, X_OK) == 0)
			return;
	}
	snprintf(buf, len, "vlab-switchd");
}

/* Makes sure hugetlbfs is mounted and some 2 MiB pages are free. */
static void hugepages_ensure(void)
{
	FILE *f = fopen("/proc/meminfo", "re");
	long total = 0, freep = 0;
	char line[128];

	mkdir("/dev/hugepages", 0755);
	mount("nodev", "/dev/hugepages", "hugetlbfs", 0, NULL); /* EBUSY when mounted */
	while (f && fgets(line, sizeof(line), f)) {
		sscanf(line, "HugePages_Total: %ld", &total);
		sscanf(line, "HugePages_Free: %ld", &freep);
	}
	if (f)
		fclose(f);
	if (freep < 256) {
		FILE *w = fopen("/proc/sys/vm/nr_hugepages", "we");

		if (w) {
			fprintf(w, "%ld\n", total + 512);
			fclose(w);
		}
	}
}

/* Starts vlab-switchd when none answers. */
int labctl_switch_ensure(const struct vlab_opts *opts)
{
	const char *sock = swc_socket_path(opts->socket);
	char bin[PATH_MAX], logp[PATH_MAX], pidf[PATH_MAX], buf[32];
	pid_t pid;
	double t0;
	int fd;

	if (labctl_sw_alive(opts))
		return 0;
	find_switchd(bin, sizeof(bin));
	lab_mkdirs(lab_run_dir());
	snprintf(logp, sizeof(logp), "%s/switch.log", lab_run_dir());
	switch_pidfile(pidf, sizeof(pidf));
	hugepages_ensure();
	labctl_say("starting vlab-switchd (socket %s, log %s)", sock, logp);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
		int lf = open(logp, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);

		setsid();
		if (nul >= 0)
			dup2(nul, 0);
		if (lf >= 0) {
			dup2(lf, 1);
			dup2(lf, 2);
		}
		execlp(bin, bin, "--socket", sock, "--state", labctl_switch_state_path(),
		       (char *)NULL);
		_exit(127);
	}
	snprintf(buf, sizeof(buf), "%d\n", (int)pid);
	fd = open(pidf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd >= 0) {
		if (write(fd, buf, strlen(buf)) < 0)
			buf[0] = '\0';
		close(fd);
	}
	t0 = labctl_now();
	while (labctl_now() - t0 < LABCTL_SWITCH_WAIT_MS / 1000.0) {
		int st;

		if (labctl_sw_alive(opts))
			return 0;
		if (waitpid(pid, &st, WNOHANG) == pid) {
			labctl_say("vlab-switchd exited at start (status %d); see %s", st, logp);
			unlink(pidf);
			return -EIO;
		}
		usleep(100000);
	}
	labctl_say("vlab-switchd did not answer on %s within %d s; see %s", sock,
		   LABCTL_SWITCH_WAIT_MS / 1000, logp);
	return -ETIMEDOUT;
}

/* Stops the switch vlab started, when it serves no lab any more. */
void labctl_switch_stop_if_unused(const struct vlab_opts *opts)
{
	char names[8][NODE_NAME_MAX], pidf[PATH_MAX], *text;
	json_t *ports = NULL;
	size_t len;
	pid_t pid;

	if (lab_list(names, 8) > 0)
		return;
	switch_pidfile(pidf, sizeof(pidf));
	if (labctl_read_text(pidf, &text, &len) < 0)
		return; /* not ours */
	pid = (pid_t)atoi(text);
	free(text);
	if (labctl_sw_req(opts, "port.list", NULL, &ports, true, NULL) < 0 ||
	    json_array_size(ports)) {
		json_decref(ports);
		if (!labctl_sw_alive(opts))
			unlink(pidf); /* it died: never signal whatever reuses its pid */
		return;
	}
	json_decref(ports);
	if (pid > 0 && kill(pid, SIGTERM) == 0) {
		for (int i = 0; i < 100 && kill(pid, 0) == 0; i++)
			usleep(100000);
		labctl_say("stopped vlab-switchd (no lab left)");
	}
	unlink(pidf);
}

/* Switch object names of a lab. */
int labctl_sw_net_name(const char *lab, const char *net, char *buf, size_t len)
{
	return snprintf(buf, len, "%s.%s", lab, net) >= (int)len || strlen(buf) > 31 ? -ENAMETOOLONG
										     : 0;
}
