#!/usr/bin/env bash
# Runs a command inside a fresh network namespace holding a private test LAN:
# a veth pair with both ends inside (10.99.0.1/24 <-> 10.99.0.2/24) and a default route, which is
# what Chromium needs to gather ICE candidates (it never uses loopback for WebRTC).
# Nothing in the namespace can reach any other network. Needs root (unshare -n).
set -euo pipefail
if [ "${OSMOSE_IN_NETNS:-}" = 1 ]; then exec "$@"; fi
exec unshare -n -- bash -c '
  set -e
  ip link set lo up
  ip link add osm0 type veth peer name osm1
  ip addr add 10.99.0.1/24 dev osm0
  ip addr add 10.99.0.2/24 dev osm1
  ip link set osm0 up
  ip link set osm1 up
  ip route add default via 10.99.0.2 dev osm0
  export OSMOSE_IN_NETNS=1
  exec "$@"' bash "$@"
