# Sourced by the install scripts under tools/.
#
# apt_install_quietly WHO PACKAGE...
#   Installs Debian packages (as root) without letting their maintainer scripts
#   start the system services they bring: invoke-rc.d honours a policy-rc.d
#   that exits 101 ("action forbidden"). An existing policy-rc.d (Docker images
#   ship one) is left as it is; ours is removed afterwards, whatever happens.
apt_install_quietly() {
  local who=$1
  shift
  if [[ $(id -u) -ne 0 ]]; then
    echo "$who: please install $* (needs root)" >&2
    exit 1
  fi
  local policy=/usr/sbin/policy-rc.d created_policy=0 status=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    created_policy=1
  fi
  echo "$who: installing $*"
  {
    DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@" >/dev/null
  } || status=$?
  if ((created_policy)); then rm -f "$policy"; fi
  return "$status"
}
