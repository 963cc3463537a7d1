/* Helper programs of the guest image build (ldd, busybox --list-full,
 * gzip, xz, zstd): fork and execvp, never a shell, with stdin and stdout
 * redirected or stdout captured. See image_priv.h.
 *
 * Threads: the caller's; blocks until the program exits. */
#include "image_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

/* Runs argv with stdin from in_fd and stdout to out_fd (-1: /dev/null), or
 * with stdout captured into *capture (malloc'ed, NUL-terminated) when
 * capture is not NULL. Returns 0 when it exited 0, -ENOENT when it could not
 * be executed, -EIO for any other failure. */
int img_run(char *const argv[], int in_fd, int out_fd, char **capture)
{
	int pipefd[2] = {-1, -1};
	size_t len = 0, cap = 0;
	char *buf = NULL;
	int status, ret = 0;
	pid_t pid;

	if (capture && pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		goto out_close_pipe;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDWR);

		if (capture)
			out_fd = pipefd[1];
		if (dup2(in_fd >= 0 ? in_fd : devnull, 0) < 0 ||
		    dup2(out_fd >= 0 ? out_fd : devnull, 1) < 0)
			_exit(126);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (capture) {
		close(pipefd[1]);
		pipefd[1] = -1;
		for (;;) {
			ssize_t n;

			if (cap - len < 4096) {
				char *nb = realloc(buf, cap + 65536);

				if (!nb) {
					ret = -ENOMEM;
					break;
				}
				buf = nb;
				cap += 65536;
			}
			n = read(pipefd[0], buf + len, cap - len - 1);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			len += (size_t)n;
		}
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			ret = ret ? ret : -errno;
			goto out_free_buf;
		}
	}
	if (ret == 0 && (!WIFEXITED(status) || WEXITSTATUS(status) != 0))
		ret = WIFEXITED(status) && WEXITSTATUS(status) == 127 ? -ENOENT : -EIO;
	if (ret == 0 && capture) {
		buf[len] = '\0';
		*capture = buf;
		buf = NULL;
	}
out_free_buf:
	free(buf);
out_close_pipe:
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	return ret;
}
