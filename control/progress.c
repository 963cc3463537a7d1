/* Progress lines of long lab operations; see progress.h.
 *
 * Threads: any thread counts steps under p->lock; the waiting thread ticks. */
#include "progress.h"

#include "labctl_priv.h"

#include <stdio.h>
#include <unistd.h>

void progress_init(struct progress *p, const char *lab, const char *what, int total)
{
	*p = (struct progress){.lab = lab, .what = what, .total = total};
	pthread_mutex_init(&p->lock, NULL);
	p->t0 = p->last = labctl_now();
}

/* With p->lock held. */
static void progress_say(struct progress *p)
{
	double now = labctl_now();
	bool moved = p->done != p->said;
	char failed[32] = "";

	if (!(moved && now - p->last >= LABCTL_PROGRESS_S) && now - p->last < LABCTL_HEARTBEAT_S &&
	    !(moved && p->done == p->total && p->last > p->t0))
		return;
	if (p->failed)
		snprintf(failed, sizeof(failed), ", %d failed", p->failed);
	labctl_say("lab %s: %d/%d %s%s, %.0f s", p->lab, p->done - p->failed, p->total, p->what,
		   failed, now - p->t0);
	p->last = now;
	p->said = p->done;
}

/* One more step done (ok or failed). */
void progress_step(struct progress *p, bool ok)
{
	pthread_mutex_lock(&p->lock);
	p->done++;
	p->failed += !ok;
	progress_say(p);
	pthread_mutex_unlock(&p->lock);
}

void progress_tick(struct progress *p)
{
	pthread_mutex_lock(&p->lock);
	if (p->done < p->total)
		progress_say(p);
	pthread_mutex_unlock(&p->lock);
}

/* Ticks until *finished reaches `until` (workers count themselves out). */
void progress_wait(struct progress *p, atomic_int *finished, int until)
{
	while (atomic_load(finished) < until) {
		usleep(200000);
		progress_tick(p);
	}
}

void progress_destroy(struct progress *p)
{
	pthread_mutex_destroy(&p->lock);
}
