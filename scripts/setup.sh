#!/usr/bin/env bash
# Prepares a Debian 12 machine for building and testing vlab: installs the
# packages listed below when any is missing and reserves 2 MiB hugepages.
# Needs root. Safe to run again: it only does what is still missing.
set -euo pipefail

PKGS=(
  build-essential meson ninja-build pkg-config
  dpdk dpdk-dev libdpdk-dev
  libjansson-dev libyaml-dev libpcap-dev libnl-3-dev libnl-route-3-dev
  libcmocka-dev
  clang libclang-rt-14-dev llvm
  python3 iproute2 iputils-ping arping procps
  qemu-system-x86 linux-image-amd64 busybox-static qemu-guest-agent
  iperf3 tcpdump socat iputils-ping xz-utils zstd ethtool tshark
  openvswitch-switch-dpdk
)
HUGEPAGES=${VLAB_HUGEPAGES:-2048}

if [ "$(id -u)" -ne 0 ]; then
  echo "setup: run as root (installs packages, mounts hugetlbfs)" >&2
  exit 1
fi

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # tshark's package asks whether non-root users may capture: they may not
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Wireshark's extcap folder gets vlab's extcap program (tshark -D lists labs)
root=$(cd "$(dirname "$0")/.." && pwd)
extcap_dir=$(tshark -G folders 2>/dev/null | awk -F'\t+' '/^Extcap path/ {print $2}')
if [ -n "$extcap_dir" ] && [ -d "$extcap_dir" ]; then
  sed "s|@VLAB@|$root/build/control/vlab|" "$root/control/vlab-extcap.sh" >"$extcap_dir/vlab.tmp"
  chmod 755 "$extcap_dir/vlab.tmp"
  mv "$extcap_dir/vlab.tmp" "$extcap_dir/vlab"
fi

mkdir -p /dev/hugepages
if ! mountpoint -q /dev/hugepages; then
  mount -t hugetlbfs nodev /dev/hugepages
fi
cur=$(cat /proc/sys/vm/nr_hugepages)
if [ "$cur" -lt "$HUGEPAGES" ]; then
  echo "$HUGEPAGES" > /proc/sys/vm/nr_hugepages
fi
free=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
echo "setup: ok ($free of $(cat /proc/sys/vm/nr_hugepages) hugepages free)"
