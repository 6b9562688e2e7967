/* Internet checksums: incremental updates (RFC 1624) for NAT rewrites, a
 * full computation for the 20-byte outer IPv4 header of a tunnel, and the sum
 * of everything from a header to the frame's end for the GUE (UDP) and GRE
 * checksums, which cover the client's whole packet.
 *
 * All arithmetic is on 16-bit words exactly as they sit in memory; a one's
 * complement sum does not care about byte order as long as every word is
 * taken the same way.
 */
#ifndef XVS_BPF_CSUM_H
#define XVS_BPF_CSUM_H

#include <linux/bpf.h>
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

/* 16 x 256 bytes and the tail below cover any frame XDP gets without
 * multi-buffer (at most a page, less its head and tail room). */
#define XVS_CSUM_CHUNKS 16
#define XVS_CSUM_CHUNK 256
#define XVS_CSUM_MAX_FROM 128
/* The folded (not inverted) one's complement sum of the frame's bytes from
 * offset `from` (at most XVS_CSUM_MAX_FROM, and an even distance from where
 * the checksummed span starts) to its end; -1 if the frame is longer than
 * XVS_CSUM_CHUNKS chunks cover.
 *
 * A global function, so the verifier checks it once on its own instead of
 * on every forwarding path of the program it would be inlined into: its
 * loops, multiplied by those paths, are more than the verifier's budget. It
 * only reads the frame. */
__attribute__((noinline)) int xvs_csum_to_end(struct xdp_md *ctx, __u32 from)
{
    void *end = (void *)(long)ctx->data_end;
    if (from > XVS_CSUM_MAX_FROM)
        return -1;
    __u8 *p = (void *)(long)ctx->data + from;
    __u64 sum = 0;
    for (int i = 0; i < XVS_CSUM_CHUNKS; i++) {
        if ((void *)(p + XVS_CSUM_CHUNK) > end)
            break;
        sum = (__u32)bpf_csum_diff(0, 0, (__be32 *)p, XVS_CSUM_CHUNK, (__u32)sum);
        p += XVS_CSUM_CHUNK;
    }
    /* Less than a chunk is left: word by word. */
    for (int i = 0; i < XVS_CSUM_CHUNK / 2; i++) {
        if ((void *)(p + 2) > end)
            break;
        sum += *(__u16 *)p;
        p += 2;
    }
    if ((void *)(p + 2) <= end)
        return -1;
    /* A last odd byte is the first byte of a word padded with zero. */
    if ((void *)(p + 1) <= end)
        sum += bpf_htons((__u16)(*p << 8));
    sum = (sum & 0xffffffff) + (sum >> 32);
    return csum_fold32((__u32)sum + (__u32)(sum >> 32));
}

#endif
