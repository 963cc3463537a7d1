/* `vlab pingall --tcp PORT / --udp PORT`: the scripts that start and stop
 * a listener in a node and that probe a node's destinations from another
 * (busybox nc for TCP, socat for UDP; the built-in guest image carries both
 * and namespace hosts use the host's), and the words for what a probe is and why a policy
 * decides it. See pingall.h.
 *
 * Pure: text in, text out. The caller's thread. */
#include "pingall.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "polreach.h"

static bool is(const struct reach_probe *p, enum polreach_probe k)
{
	return p ? p->kind == k : k == POLREACH_ICMP;
}

const char *pingall_probe_name(const struct reach_probe *probe, char *buf, size_t len)
{
	if (is(probe, POLREACH_TCP))
		snprintf(buf, len, "TCP connections to port %u", probe->port);
	else if (is(probe, POLREACH_UDP))
		snprintf(buf, len, "UDP exchanges with port %u", probe->port);
	else
		snprintf(buf, len, "pings");
	return buf;
}

static int fits(int w, size_t len)
{
	return w < 0 || (size_t)w >= len ? -ENOSPC : 0;
}

int pingall_probe_script(const struct reach_probe *probe, int wait_s, char *buf, size_t len)
{
	if (is(probe, POLREACH_TCP))
		return fits(snprintf(buf, len,
				     "n=0; for a in \"$@\"; do "
				     "{ echo vlab-probe | timeout %d busybox nc -w %d \"$a\" %u "
				     "2>/dev/null | grep -q vlab-probe && echo \"$a\"; } & "
				     "n=$((n + 1)); if [ \"$n\" -ge %d ]; then wait; n=0; fi; "
				     "done; wait",
				     wait_s + 1, wait_s, probe->port, PINGALL_BATCH),
			    len);
	if (is(probe, POLREACH_UDP))
		return fits(
		    snprintf(buf, len,
			     "command -v socat >/dev/null 2>&1 || { echo %s; exit 0; }; "
			     "n=0; for a in \"$@\"; do "
			     "{ echo \"vlab-probe $a\" | timeout %d socat -T %d -t %d - "
			     "UDP4-DATAGRAM:\"$a\":%u 2>/dev/null | grep -q \"vlab-probe $a\" "
			     "&& echo \"$a\"; } & "
			     "n=$((n + 1)); if [ \"$n\" -ge %d ]; then wait; n=0; fi; "
			     "done; wait",
			     PINGALL_NO_TOOL, wait_s + 1, wait_s, wait_s, probe->port,
			     PINGALL_BATCH),
		    len);
	return pingall_script(wait_s, buf, len);
}

int pingall_listen_script(const struct reach_probe *probe, const char *pidfile, char *buf,
			  size_t len)
{
	char start[700];

	if (is(probe, POLREACH_TCP))
		snprintf(start, sizeof(start),
			 "command -v busybox >/dev/null 2>&1 || { echo %s; exit 0; }; "
			 "busybox nc -ll -p %u -e cat",
			 PINGALL_NO_TOOL, probe->port);
	else if (is(probe, POLREACH_UDP))
		snprintf(start, sizeof(start),
			 "command -v socat >/dev/null 2>&1 || { echo %s; exit 0; }; "
			 "socat -T 1 UDP4-RECVFROM:%u,fork PIPE",
			 PINGALL_NO_TOOL, probe->port);
	else
		return fits(snprintf(buf, len, "true"), len);
	/* the listener in the background, its pid recorded; up a moment later,
	 * or the port was taken */
	return fits(snprintf(buf, len,
			     "%.*s </dev/null >/dev/null 2>&1 & echo $! > %s; sleep 0.3; "
			     "kill -0 $! 2>/dev/null || { echo 'the listener did not stay up (port "
			     "taken?)' >&2; exit 1; }",
			     (int)sizeof(start), start, pidfile),
		    len);
}

int pingall_unlisten_script(const char *pidfile, char *buf, size_t len)
{
	return fits(snprintf(buf, len, "[ -f %s ] && kill $(cat %s) 2>/dev/null; rm -f %s; true",
			     pidfile, pidfile, pidfile),
		    len);
}

const char *pingall_why(const struct topo *t, const struct reach_cell *c,
			const struct reach_probe *probe, char *buf, size_t len)
{
	const struct topo_policy *p;
	const json_t *rule;
	const struct node *at;
	int nic;

	buf[0] = '\0';
	if (!t || c->policy < 0 || c->policy >= t->n_policies)
		return buf;
	p = &t->policies[c->policy];
	rule = c->rule >= 0 ? json_array_get(p->rules, (size_t)c->rule) : NULL;
	at = c->policy_node >= 0 && c->policy_node < t->n_nodes ? &t->nodes[c->policy_node] : NULL;
	nic = c->policy_nic;
	if (rule)
		snprintf(buf, len, "policy %s: rule %d (%s) stops %s", p->name, c->rule + 1,
			 json_string_value(json_object_get(rule, "action")) ?: "?",
			 polreach_frame_name(probe ? probe->kind : POLREACH_ICMP, c->frame));
	else
		snprintf(buf, len, "policy %s: its default (%s) stops %s", p->name, p->def,
			 polreach_frame_name(probe ? probe->kind : POLREACH_ICMP, c->frame));
	if (at && nic >= 0 && nic < at->n_nics)
		snprintf(buf + strlen(buf), len - strlen(buf), " %s the switch %s %s:%s",
			 c->policy_out ? "leaving" : "entering", c->policy_out ? "towards" : "from",
			 at->name, at->nics[nic].ifname);
	return buf;
}
