#!/usr/bin/env bash
# Installs the database servers the checker tests start on their own
# (test/setup/databases.ts): Debian's redis-server, postgresql and mariadb-server.
# Idempotent: a package is installed only when its server binary is missing.
# The tests run private instances on loopback ports in temp dirs; the system
# services these packages bring are kept from starting during install and are
# stopped and disabled afterwards.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/apt.sh"

have_postgres() { compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null && compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; }
have_redis() { [[ -x /usr/bin/redis-server ]]; }
have_mariadb() { [[ -x /usr/sbin/mariadbd ]] && [[ -x /usr/bin/mariadb-install-db ]]; }

need=()
have_redis || need+=(redis-server)
have_postgres || need+=(postgresql)
have_mariadb || need+=(mariadb-server)

if ((${#need[@]})); then
  apt_install_quietly databases/install.sh "${need[@]}"
fi

# The system services stay off: the tests only ever run their own instances.
if [[ $(id -u) -eq 0 ]]; then
  for unit in redis-server postgresql mariadb; do
    if command -v systemctl >/dev/null 2>&1 && [[ -d /run/systemd/system ]]; then
      systemctl disable --now "$unit.service" >/dev/null 2>&1 || true
    elif [[ -x /etc/init.d/$unit ]]; then
      # Without systemd: stop it if it runs (status exits 0 only then), and drop it from the runlevels.
      if /etc/init.d/"$unit" status >/dev/null 2>&1; then
        /etc/init.d/"$unit" stop >/dev/null 2>&1 || true
      fi
      command -v update-rc.d >/dev/null 2>&1 && update-rc.d "$unit" disable >/dev/null 2>&1 || true
    fi
  done
fi

have_redis || { echo "databases/install.sh: redis-server still missing" >&2; exit 1; }
have_postgres || { echo "databases/install.sh: postgres still missing" >&2; exit 1; }
have_mariadb || { echo "databases/install.sh: mariadbd still missing" >&2; exit 1; }
/usr/bin/redis-server --version
"$(compgen -G '/usr/lib/postgresql/*/bin/postgres' | sort -V | tail -n1)" --version
/usr/sbin/mariadbd --version
