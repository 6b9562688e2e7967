/* xvs ABI: everything the BPF programs and the C++ loader share.
 *
 * Plain C with fixed-width types only, included by the bpf/ programs and by C++.
 * Every map key and value lives here once; the C++ side static_asserts the
 * sizes (src/dataplane/xdp/abi_check.h). Multi-byte addresses and ports are in
 * network byte order unless a field's comment says otherwise.
 */
#ifndef XVS_ABI_H
#define XVS_ABI_H

#include <linux/types.h>

/* Bumped whenever a map layout or the program's contract changes; a daemon
 * that finds pinned maps of another version does not reuse them. */
#define XVS_ABI_VERSION 1

/* Global XDP action counters (per-CPU array, index = enum xvs_stat). */
enum xvs_stat {
    XVS_STAT_PACKETS = 0,  /* every packet the program saw */
    XVS_STAT_PASS,         /* not for a virtual service: handed to the stack */
    XVS_STAT_MALFORMED,    /* truncated or invalid headers */
    XVS_STAT__COUNT,
};

#endif /* XVS_ABI_H */
