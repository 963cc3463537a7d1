/* Replay driver of the fuzz harnesses (tests/fuzz/README.md): the main() a
 * harness is linked with when it is not a libFuzzer target, so that every
 * build (gcc too) runs the seed corpus and the found reproducers through the
 * same LLVMFuzzerTestOneInput() as regression inputs.
 *
 *   replay_NAME DIR|FILE...
 *
 * A directory contributes the regular files directly in it, in name order;
 * files whose name starts with '.' and subdirectories (such as
 * reproducers/pending/, inputs of defects not fixed yet) are not run. Each
 * input is read into a buffer of exactly its size (so AddressSanitizer sees
 * any read past it) and gets VLAB_FUZZ_TIMEOUT seconds (default 60). The
 * name of each input is printed before it runs: after a crash the last line
 * names the culprit. Exit status 0 when every input ran, 1 otherwise.
 *
 * Single-threaded. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

/* weak: a harness need not define it */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static const char *current; /* input being run, for the timeout message */

static void on_alarm(int sig)
{
	static const char msg[] = "replay: input timed out: ";
	ssize_t r;

	r = write(2, msg, sizeof(msg) - 1);
	if (current)
		r = write(2, current, strlen(current));
	r = write(2, "\n", 1);
	(void)r;
	(void)sig;
	_exit(1);
}

/* Runs one file; 0, or -errno when it cannot be read. */
static int run_file(const char *path, unsigned int timeout, size_t *bytes)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	uint8_t *buf;
	size_t n;

	if (!f || fstat(fileno(f), &st) < 0) {
		int rc = -errno;

		fprintf(stderr, "replay: cannot read %s: %s\n", path, strerror(errno));
		if (f)
			fclose(f);
		return rc;
	}
	/* exactly the input's size (malloc(0) may return NULL: keep one byte) */
	buf = malloc(st.st_size > 0 ? (size_t)st.st_size : 1);
	if (!buf) {
		fclose(f);
		return -ENOMEM;
	}
	n = fread(buf, 1, (size_t)st.st_size, f);
	fclose(f);
	if (n != (size_t)st.st_size) {
		fprintf(stderr, "replay: short read of %s\n", path);
		free(buf);
		return -EIO;
	}
	printf("replay: %s (%zu bytes)\n", path, n);
	fflush(stdout);
	current = path;
	alarm(timeout);
	LLVMFuzzerTestOneInput(buf, n);
	alarm(0);
	current = NULL;
	free(buf);
	*bytes += n;
	return 0;
}

static int run_dir(const char *dir, unsigned int timeout, int *inputs, size_t *bytes)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort), rc = 0;

	if (n < 0) {
		fprintf(stderr, "replay: cannot list %s: %s\n", dir, strerror(errno));
		return -errno;
	}
	for (int i = 0; i < n; i++) {
		char path[4096];
		struct stat st;

		if (names[i]->d_name[0] != '.' && rc == 0) {
			snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
			if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
				rc = run_file(path, timeout, bytes);
				*inputs += rc == 0;
			}
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	const char *t = getenv("VLAB_FUZZ_TIMEOUT");
	unsigned int timeout = t && atoi(t) > 0 ? (unsigned int)atoi(t) : 60;
	int inputs = 0, rc = 0;
	size_t bytes = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s DIR|FILE...\n", argv[0]);
		return 2;
	}
	signal(SIGALRM, on_alarm);
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc && rc == 0; i++) {
		struct stat st;

		if (stat(argv[i], &st) < 0) {
			fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
			rc = -errno;
		} else if (S_ISDIR(st.st_mode)) {
			rc = run_dir(argv[i], timeout, &inputs, &bytes);
		} else {
			rc = run_file(argv[i], timeout, &bytes);
			inputs += rc == 0;
		}
	}
	printf("replay: %d inputs (%zu bytes) from %d directories or files: %s\n", inputs, bytes,
	       argc - 1, rc == 0 ? "all ran clean" : "stopped");
	return rc == 0 ? 0 : 1;
}
