#!/usr/bin/env bash
# vm-test/run.sh BUILD_DIR: boots Debian's cloud kernel (which has IPVS) in
# QEMU with an initramfs holding busybox, iproute2, curl, ipvsadm, nft, the
# project's binaries and the scenarios of vm-test/scenarios, and exits 0 only
# if every scenario passed.
#
# The kernel package is fetched with apt-get download and unpacked under
# BUILD_DIR/vm-test-cache/, kept between runs. The VM prints one line per
# scenario ("VMTEST PASS name" / "VMTEST FAIL name: reason") and
# "VMTEST DONE passed=N failed=M"; the whole console is kept in
# BUILD_DIR/vm-test/console.log. VMTEST_ONLY=GLOB runs only the scenarios
# whose names match.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: run.sh BUILD_DIR}" && pwd)
cache=$build/vm-test-cache
work=$build/vm-test
mkdir -p "$cache" "$work"

need() { command -v "$1" >/dev/null 2>&1 || { echo "vm-test: $1 not found (run tools/install-deps.sh)" >&2; exit 1; }; }
need qemu-system-x86_64; need cpio; need depmod; need modprobe; need ipvsadm; need nft; need curl; need ethtool

# ---- the kernel: the package linux-image-cloud-amd64 currently points at ----
kernel_package() {
    apt-cache depends linux-image-cloud-amd64 2>/dev/null |
        awk '/Depends: linux-image-[0-9]/ { print $2; exit }'
}
pkg=$(kernel_package)
if [ -z "$pkg" ]; then
    apt-get update -q >/dev/null
    pkg=$(kernel_package)
fi
[ -n "$pkg" ] || { echo "vm-test: cannot resolve linux-image-cloud-amd64" >&2; exit 1; }
kver=${pkg#linux-image-}
kroot=$cache/$kver
if [ ! -e "$kroot/.unpacked" ]; then
    echo "vm-test: fetching $pkg"
    rm -rf "$kroot" "$cache/download"
    mkdir -p "$cache/download" "$kroot"
    # _apt cannot write into the build tree; the download is ours anyway.
    (cd "$cache/download" && apt-get download -q "$pkg" 2>&1 | grep -v '^W: Download is performed unsandboxed' || true)
    deb=$(ls "$cache/download"/"$pkg"_*.deb 2>/dev/null | head -1)
    [ -n "$deb" ] || { echo "vm-test: apt-get download $pkg failed" >&2; exit 1; }
    dpkg-deb -x "$deb" "$kroot"
    depmod -b "$kroot" "$kver"
    rm -rf "$cache/download"
    touch "$kroot/.unpacked"
fi
vmlinuz=$kroot/boot/vmlinuz-$kver

# ---- the initramfs ----------------------------------------------------------
rootfs=$work/rootfs
rm -rf "$rootfs"
mkdir -p "$rootfs"/{bin,sbin,usr/bin,usr/sbin,lib,lib64,proc,sys,dev,tmp,run,etc,var,vmtest}

# Copies a file to the same path inside the initramfs, resolving symlinks.
add_file() {
    local src=$1 dst=${2:-$1}
    mkdir -p "$rootfs$(dirname "$dst")"
    cp -L "$src" "$rootfs$dst"
}
# Copies an executable and every shared library it needs (as ldd resolves them).
add_program() {
    local src=$1 dst=${2:-$1}
    add_file "$src" "$dst"
    ldd "$src" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' | while read -r lib; do
        [ -e "$rootfs$lib" ] || add_file "$lib"
    done
}

add_program "$(command -v busybox)" /bin/busybox
ln -s busybox "$rootfs/bin/sh"
add_program "$(command -v ip)" /usr/sbin/ip
add_program "$(command -v curl)" /usr/bin/curl
add_program "$(command -v ipvsadm)" /usr/sbin/ipvsadm
add_program "$(command -v nft)" /usr/sbin/nft
# The XDP scenarios: checksum offload off on every veth, and the trivial
# XDP_PASS program for the veth ends that receive redirected frames.
add_program "$(command -v ethtool)" /usr/sbin/ethtool
# 66-xvsd-xdp-gue-gre.sh captures the tunnel frames on the reals.
add_program "$(command -v tcpdump)" /usr/bin/tcpdump
[ -f "$build/bpf/xdp_pass.bpf.o" ] || { echo "vm-test: $build/bpf/xdp_pass.bpf.o missing (build the project first)" >&2; exit 1; }
add_file "$build/bpf/xdp_pass.bpf.o" /vmtest/xdp_pass.bpf.o
for tool in src/dataplane/ipvs/ipvs_vm_driver tests/ipvs/test_ipvs_kernel src/daemon/xvsd src/cli/xvsadm; do
    [ -x "$build/$tool" ] || { echo "vm-test: $build/$tool missing (build the project first)" >&2; exit 1; }
    add_program "$build/$tool" "/usr/bin/$(basename "$tool")"
done
# libnftables and friends dlopen nothing, but iproute2 reads these if present.
mkdir -p "$rootfs/etc/iproute2"
echo "root:x:0:0:root:/:/bin/sh" >"$rootfs/etc/passwd"
echo "root:x:0:" >"$rootfs/etc/group"
echo "hosts: files" >"$rootfs/etc/nsswitch.conf"
: >"$rootfs/etc/hosts"

# Kernel modules in dependency order, loaded by /init with insmod.
# fou, ip_gre: the reals of 66-xvsd-xdp-gue-gre.sh decapsulate GUE and GRE.
modules=(veth 8021q ipip fou ip_gre ip_vs ip_vs_rr ip_vs_wrr ip_vs_lc ip_vs_wlc ip_vs_sed ip_vs_nq ip_vs_fo ip_vs_ovf
         ip_vs_lblc ip_vs_sh ip_vs_mh nf_conntrack nf_tables ip_vs_pe_sip)
: >"$rootfs/vmtest/modules.list"
for m in "${modules[@]}"; do
    modprobe -d "$kroot" -S "$kver" --show-depends "$m" | while read -r kind path _; do
        [ "$kind" = insmod ] || continue
        rel=${path#"$kroot"}
        grep -qxF "$rel" "$rootfs/vmtest/modules.list" && continue
        add_file "$path" "$rel"
        echo "$rel" >>"$rootfs/vmtest/modules.list"
    done
done

cp "$here/init" "$rootfs/init"
chmod +x "$rootfs/init"
cp -r "$here/conf" "$here/lib.sh" "$here/xvsd_lib.sh" "$rootfs/vmtest/"
# VMTEST_ONLY=GLOB (for example 63-*) boots with only the matching scenarios,
# to iterate on one; the test itself runs them all.
mkdir -p "$rootfs/vmtest/scenarios"
for s in "$here"/scenarios/${VMTEST_ONLY:-*}.sh; do
    [ -e "$s" ] || { echo "vm-test: no scenario matches ${VMTEST_ONLY:-*}" >&2; exit 1; }
    cp "$s" "$rootfs/vmtest/scenarios/"
done

initrd=$work/initrd.gz
(cd "$rootfs" && find . -print0 | cpio --null -o -H newc --quiet | gzip -1) >"$initrd"

# ---- boot -------------------------------------------------------------------
log=$work/console.log
echo "vm-test: booting $kver ($(du -h "$initrd" | cut -f1) initramfs), console in $log"
set +e
timeout 600 qemu-system-x86_64 -accel tcg -cpu max -m 1024 -nographic -no-reboot \
    -kernel "$vmlinuz" -initrd "$initrd" \
    -append "console=ttyS0 panic=-1 quiet" </dev/null 2>&1 | tr -d '\r' >"$log"
status=${PIPESTATUS[0]}
set -e
echo
# The first line shares the console with the firmware's escape sequences.
grep -o 'VMTEST .*' "$log" || true
if [ "$status" = 124 ]; then
    echo "vm-test: the VM did not finish within 600 s" >&2
fi
done_line=$(grep -o 'VMTEST DONE .*' "$log" | tail -1 || true)
if [ -z "$done_line" ]; then
    echo "vm-test: no verdict from the VM; last console lines:" >&2
    tail -40 "$log" >&2
    exit 1
fi
if ! grep -q '^VMTEST DONE passed=[1-9][0-9]* failed=0$' <<<"$done_line"; then
    echo "vm-test: failures; console in $log" >&2
    exit 1
fi
echo "vm-test: all scenarios passed"
