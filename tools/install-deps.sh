#!/usr/bin/env bash
# Installs every Debian 12 package xvs needs to build, test and run its demo.
# Used by the README's commands and by CI; safe to run again.
set -euo pipefail
if [ "$(id -u)" != 0 ]; then
    echo "install-deps.sh: run as root (apt-get install)" >&2
    exit 1
fi
packages=(
    # build
    build-essential cmake pkg-config clang llvm
    libbpf-dev libelf-dev zlib1g-dev bpftool
    libnl-3-dev libnl-genl-3-dev libnftables-dev libcli11-dev catch2 libssl-dev libpcre2-dev
    libmariadb-dev libpq-dev
    # config fuzzing (libFuzzer + sanitizer runtimes)
    libfuzzer-14-dev libclang-rt-14-dev
    # tests and demo: real servers, clients, topology
    busybox curl iproute2 ethtool python3
    # vm-test: boots Debian's kernel with IPVS in QEMU (initramfs from these tools)
    qemu-system-x86 ipvsadm nftables kmod cpio
    # vm-test 65: the encapsulated frames both planes send, captured on the reals
    tcpdump
    # the reference config and man page of ldirectord
    ldirectord
    # health checks against Debian's own servers, which the tests start
    # themselves: Dovecot (POP3, IMAP), openssl(1) for their certificates,
    # MariaDB, PostgreSQL, vsftpd, OpenLDAP's slapd, FreeRADIUS, SIPp as a SIP
    # server, tinyproxy
    dovecot-pop3d dovecot-imapd openssl mariadb-server mariadb-client postgresql postgresql-client vsftpd slapd
    freeradius sip-tester tinyproxy
    # xvs-bench --plot FILE.png (rsvg-convert renders the SVG plot)
    librsvg2-bin
)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    # The servers are for the tests, which start their own: the packages'
    # scripts must not start a system-wide daemon (policy-rc.d says no).
    policy=/usr/sbin/policy-rc.d
    own_policy=
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy"
        chmod +x "$policy"
        own_policy=1
    fi
    status=0
    apt-get install -y -q --no-install-recommends "${missing[@]}" || status=$?
    [ -z "$own_policy" ] || rm -f "$policy"
    [ "$status" = 0 ] || exit "$status"
fi
