#!/bin/sh
# vlab's Wireshark extcap program: Wireshark and tshark run it to list the
# running labs' node interfaces, networks and switch ports as capture
# interfaces and to capture from them (vlab extcap --help). scripts/setup.sh
# installs it into Wireshark's extcap folder as "vlab", with @VLAB@ set to
# the vlab program it runs; VLAB_EXTCAP_VLAB overrides it.
vlab=${VLAB_EXTCAP_VLAB:-@VLAB@}
[ -x "$vlab" ] || vlab=vlab
exec "$vlab" extcap "$@"
