/* Switch API requests of the lab controller and `vlab vm`; see swreq.h.
 * Pure; any thread. */
#include "swreq.h"

json_t *swreq_network_add(const char *name, uint32_t vni)
{
	return json_pack("{s:s,s:I}", "name", name, "vni", (json_int_t)vni);
}

json_t *swreq_port_add(const char *name, const char *net, const struct kind_port *kp)
{
	return json_pack("{s:s,s:s,s:s,s:s}", "name", name, "type", kp->type, "network", net,
			 kp->key, kp->value);
}

json_t *swreq_network_record(const char *name, uint32_t packets)
{
	return json_pack("{s:s,s:I}", "name", name, "packets", (json_int_t)packets);
}

json_t *swreq_name(const char *name)
{
	return json_pack("{s:s}", "name", name);
}
