/* Interface ioctls of the kernel-interface ports; see kif.h. Runs on the
 * control thread. */
#include "kif.h"

#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static int kif_ioctl(const char *ifname, unsigned long req, struct ifreq *ifr)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc, e;

	if (fd < 0)
		return -1;
	snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", ifname);
	rc = ioctl(fd, req, ifr);
	e = errno;
	close(fd);
	errno = e;
	return rc;
}

int kif_mtu(const char *ifname)
{
	struct ifreq ifr = {0};

	if (kif_ioctl(ifname, SIOCGIFMTU, &ifr) < 0)
		return -errno;
	return ifr.ifr_mtu;
}

int kif_set_up(const char *ifname, bool up)
{
	struct ifreq ifr = {0};
	short want;

	if (kif_ioctl(ifname, SIOCGIFFLAGS, &ifr) < 0)
		return -errno;
	want = up ? (short)(ifr.ifr_flags | IFF_UP) : (short)(ifr.ifr_flags & ~IFF_UP);
	if (want == ifr.ifr_flags)
		return 0;
	ifr.ifr_flags = want;
	return kif_ioctl(ifname, SIOCSIFFLAGS, &ifr) < 0 ? -errno : 0;
}

bool kif_is_up(const char *ifname)
{
	struct ifreq ifr = {0};

	if (kif_ioctl(ifname, SIOCGIFFLAGS, &ifr) < 0)
		return false;
	return (ifr.ifr_flags & IFF_UP) != 0;
}
