/* Internet checksums: incremental updates (RFC 1624) for NAT rewrites and a
 * full computation for the 20-byte outer IPv4 header of IPIP.
 *
 * All arithmetic is on 16-bit words exactly as they sit in memory; a one's
 * complement sum does not care about byte order as long as every word is
 * taken the same way.
 */
#ifndef XVS_BPF_CSUM_H
#define XVS_BPF_CSUM_H

#include <linux/types.h>
#include <bpf/bpf_helpers.h>

static __always_inline __u16 csum_fold32(__u32 sum)
{
    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    return (__u16)sum;
}

/* Adds "word `from` became `to`" to a running delta. */
static __always_inline __u32 csum_delta16(__u32 acc, __u16 from, __u16 to)
{
    return acc + (__u16)~from + to;
}

static __always_inline __u32 csum_delta32(__u32 acc, __u32 from, __u32 to)
{
    acc = csum_delta16(acc, from & 0xffff, to & 0xffff);
    return csum_delta16(acc, from >> 16, to >> 16);
}

static __always_inline __u32 csum_delta128(__u32 acc, const __u32 *from, const __u32 *to)
{
#pragma unroll
    for (int i = 0; i < 4; i++)
        acc = csum_delta32(acc, from[i], to[i]);
    return acc;
}

/* HC' = ~(~HC + delta), RFC 1624 eqn. 3. */
static __always_inline void csum_apply(__u16 *check, __u32 delta)
{
    __u32 sum = (__u16)~*check;
    sum += csum_fold32(delta);
    *check = (__u16)~csum_fold32(sum);
}

/* UDP over IPv4: a zero checksum means "none" and stays zero; a computed
 * zero is sent as 0xffff (RFC 768). */
static __always_inline void csum_apply_udp(__u16 *check, __u32 delta, int is_v4)
{
    if (is_v4 && *check == 0)
        return;
    csum_apply(check, delta);
    if (*check == 0)
        *check = 0xffff;
}

/* Full checksum of a 20-byte IPv4 header whose check field is zero. */
static __always_inline __u16 csum_ipv4_header(const __u16 *words)
{
    __u32 sum = 0;
#pragma unroll
    for (int i = 0; i < 10; i++)
        sum += words[i];
    return (__u16)~csum_fold32(sum);
}

#endif
