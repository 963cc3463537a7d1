/* Flood set of the forwarding decision; see fwd.h (fwd_decide() is inline
 * there). Runs on PMD lcores. */
#include "fwd.h"

uint16_t fwd_flood_set(const uint16_t *members, uint16_t n, uint16_t in_port, uint16_t *out)
{
	uint16_t k = 0;

	for (uint16_t i = 0; i < n; i++)
		if (members[i] != in_port)
			out[k++] = members[i];
	return k;
}
