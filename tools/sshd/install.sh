#!/usr/bin/env bash
# Installs Debian's OpenSSH server for the SSH test fixture (test/setup/sshd.ts).
# Idempotent. The tests start their own sshd instance on a loopback port with a
# private config; the system-wide ssh service is kept disabled and not started.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/apt.sh"

if [[ -x /usr/sbin/sshd ]]; then
  echo "install.sh: /usr/sbin/sshd already present"
else
  apt_install_quietly sshd/install.sh openssh-server
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
