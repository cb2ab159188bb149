#!/usr/bin/env bash
# install-deps.sh: install every Debian 12 package kechuang needs to build,
# test, demo and bench (`make deps` and .ci/run call it).
#
# It asks dpkg first and returns at once when everything is there, so CI and
# developers can call it on every run. Only when something is missing does it
# need root: then it runs `apt-get update` once and installs what is missing.
# Run as another user with packages missing, it names them and exits 1.
#
# When postgresql-15 is among the missing, postgresql-common goes in first and
# is told not to create the distribution's "main" cluster: kechuang starts its
# own throwaway clusters (deploy/local/pg.sh), and a second server listening
# on 5432 in a CI container would be one more thing to go wrong.
set -euo pipefail

packages=(
    build-essential       # gcc, make, libc headers
    pkg-config            # the Makefile finds every library through it
    protobuf-c-compiler   # protoc-c, generates the code for proto/
    libprotobuf-c-dev
    libzmq3-dev
    libpq-dev
    libjson-c-dev
    libinih-dev
    libssl-dev            # SHA-256 of scoring inputs and outputs, HMAC of webhooks (libcrypto)
    libcurl4-openssl-dev  # kc-notify's e-mail (SMTP) and webhooks (HTTP)
    python3-aiosmtpd      # the real SMTP server of the notification tests
    python3-numpy         # the NumPy peer of the scoring benchmark
    python3-lunardate     # the lunar festivals' dates, read at build time (kc_calendar_lunar.py)
    libcriterion-dev      # unit and integration tests
    postgresql-15         # server for tests, demo and bench; pgbench lives in /usr/lib/postgresql/15/bin
    postgresql-client-15  # psql
    clang                 # libFuzzer targets
    libclang-rt-14-dev    # the libFuzzer runtime for clang 14
    clang-format          # .ci/lint.sh, make format
    procps                # ps, pgrep, pkill for the test and demo scripts
    iproute2              # ss, to find free ports
    docker-compose        # validates docker-compose.yml (no engine needed)
    ca-certificates
    git
)

s_is_installed() {
    [[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" == installed ]]
}

missing=()
for package in "${packages[@]}"; do
    s_is_installed "$package" || missing+=("$package")
done

if ((${#missing[@]} == 0)); then
    echo "install-deps: all ${#packages[@]} packages already installed"
    exit 0
fi

if ((EUID != 0)); then
    echo "install-deps: missing packages: ${missing[*]}" >&2
    echo "install-deps: run as root: sudo $0" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt_install=(apt-get install -y -q --no-install-recommends)

# apt's progress is long and says nothing a newcomer needs: it goes to a log,
# whose end is shown if something fails.
log=/var/log/kechuang-install-deps.log
: >"$log"
trap 'rc=$?; if ((rc != 0)); then tail -n 30 "$log" >&2; echo "install-deps: failed, see $log" >&2; fi' EXIT
echo "install-deps: installing ${#missing[@]} packages (apt's output: $log): ${missing[*]}"
apt-get update -q >>"$log" 2>&1

if [[ " ${missing[*]} " == *" postgresql-15 "* ]]; then
    "${apt_install[@]}" postgresql-common >>"$log" 2>&1
    sed -ri 's/^#?[[:space:]]*create_main_cluster[[:space:]]*=.*$/create_main_cluster = false/' \
        /etc/postgresql-common/createcluster.conf
fi

"${apt_install[@]}" "${missing[@]}" >>"$log" 2>&1

still_missing=()
for package in "${missing[@]}"; do
    s_is_installed "$package" || still_missing+=("$package")
done
if ((${#still_missing[@]} > 0)); then
    echo "install-deps: still missing after apt-get: ${still_missing[*]}" >&2
    exit 1
fi
echo "install-deps: done"
