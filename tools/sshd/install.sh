#!/usr/bin/env bash
# Installs Debian's OpenSSH server for the SSH test fixture (test/setup/sshd.ts).
# Idempotent. The tests start their own sshd instance on a loopback port with a
# private config; the system-wide ssh service is kept disabled and not started.
set -euo pipefail

if [[ -x /usr/sbin/sshd ]]; then
  echo "install.sh: /usr/sbin/sshd already present"
else
  if [[ $(id -u) -ne 0 ]]; then
    echo "install.sh: please install openssh-server (needs root)" >&2
    exit 1
  fi
  # Keep dpkg maintainer scripts from starting the system sshd during install
  # (invoke-rc.d honours policy-rc.d exit code 101 = "action forbidden").
  policy=/usr/sbin/policy-rc.d
  created_policy=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    created_policy=1
  fi
  trap '[[ $created_policy -eq 1 ]] && rm -f "$policy"' EXIT
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends openssh-server >/dev/null
fi

# Make sure the system service stays off: we only ever run our own instance.
if [[ $(id -u) -eq 0 ]]; then
  if command -v systemctl >/dev/null 2>&1 && [[ -d /run/systemd/system ]]; then
    systemctl disable --now ssh.service ssh.socket >/dev/null 2>&1 || true
  elif command -v update-rc.d >/dev/null 2>&1 && [[ -e /etc/init.d/ssh ]]; then
    update-rc.d ssh disable >/dev/null 2>&1 || true
  fi
  # Privilege-separation directory sshd insists on (normally made by the unit file).
  mkdir -p /run/sshd
  chmod 755 /run/sshd
fi

/usr/sbin/sshd -V 2>&1 | head -n1 || true
