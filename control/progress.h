/* Progress of long lab operations on stderr, one line such as "lab X:
 * 120/216 nodes up, 2 failed, 14 s": at most every LABCTL_PROGRESS_S seconds
 * while steps get done, every LABCTL_HEARTBEAT_S when none do, and once all
 * are done when earlier lines were printed (so quick work stays silent),
 * whatever the lab's size.
 *
 * Threads: steps are counted from any thread (under the lock);
 * progress_tick() and progress_wait() are called by the thread that waits. */
#ifndef VLAB_PROGRESS_H
#define VLAB_PROGRESS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#define LABCTL_PROGRESS_S  2  /* at most one progress line per this many seconds */
#define LABCTL_HEARTBEAT_S 10 /* a line this often also when nothing got done */

struct progress {
	const char *lab;
	const char *what; /* "nodes up", "nodes removed", "nodes done pinging" */
	int total;
	pthread_mutex_t lock;
	int done, failed;
	int said;	 /* `done` in the last line printed */
	double t0, last; /* start, last line printed */
};

void progress_init(struct progress *p, const char *lab, const char *what, int total);
/* One more step done (ok or failed). Any thread. */
void progress_step(struct progress *p, bool ok);
/* Prints a line when one is due. */
void progress_tick(struct progress *p);
/* Ticks until *finished reaches `until` (workers count themselves out). */
void progress_wait(struct progress *p, atomic_int *finished, int until);
void progress_destroy(struct progress *p);

#endif /* VLAB_PROGRESS_H */
