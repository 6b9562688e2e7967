/* Persistence engine sip: the Call-ID of a SIP message in a UDP datagram,
 * found the way the kernel's ip_vs_pe_sip finds it, so that a service keeps
 * a dialog on the same real whichever plane serves it.
 *
 * sip_call_id() hashes the Call-ID into *hash (64-bit FNV-1a over its bytes,
 * never 0) and returns 0, or returns -1 when IPVS would find no Call-ID it
 * takes (and drop the datagram: ip_vs_sched_persist fails the fill_param of
 * the engine with "ignored = -1", NF_DROP; a datagram of a flow that already
 * has a connection entry never gets here, as in IPVS).
 *
 * What IPVS takes (ct_sip_get_header, callid_len and get_callid in the
 * kernel), reproduced byte for byte:
 * - The search starts at the payload offset equal to the length of the IP and
 *   UDP headers (28 for IPv4 without options: the kernel passes the header
 *   length as the offset into the payload), and looks at lines that begin
 *   after a CR, an LF or a CRLF found from there.
 * - A line is the header when it starts with "Call-ID" (any case) or with "i"
 *   (any case) followed by a character that is not a letter. Then optional
 *   blanks (continuation lines included), a ':', optional blanks, and the
 *   value: a word (RFC 3261's word characters, as the kernel's iswordc), and
 *   optionally '@' and a second word. A line whose name matches but has no
 *   ':' ends the search: not found.
 * - An empty value (or "word@" without a second word) restarts the search at
 *   the value's offset plus the offset the search started at (the kernel adds
 *   the two); a value longer than XVS_SIP_CALL_ID_MAX, or not followed at
 *   once by CR or LF, or reaching the end of the datagram, is refused.
 * Bounded: only the first XVS_SIP_SCAN_BYTES bytes of the payload are read
 * (of a first fragment, its own bytes: IPVS sees the reassembled datagram).
 *
 * Shape: the payload is copied into a per-CPU scratch buffer and a state
 * machine steps over it one byte per bpf_loop() iteration, so the verifier
 * checks the step once instead of walking every byte's paths.
 */
#ifndef XVS_BPF_SIP_H
#define XVS_BPF_SIP_H

#include <linux/bpf.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>

#include "xvs/abi.h"
#include "lib/parse.h"

_Static_assert((XVS_SIP_SCAN_BYTES & (XVS_SIP_SCAN_BYTES - 1)) == 0,
               "XVS_SIP_SCAN_BYTES must be a power of two");

enum sip_state {
    SIP_SEEK_EOL = 0, /* looking for CR or LF */
    SIP_EOL,          /* the byte after a CR or LF */
    SIP_LINE_START,   /* the byte after a CRLF */
    SIP_NAME,         /* matching "call-id", name_at bytes matched */
    SIP_COMPACT,      /* "i" matched: the next byte must not be a letter */
    SIP_WS,           /* blanks before (after_colon 0) or after the ':' */
    SIP_CONT,         /* CR or LF inside the blanks: a continuation line must follow */
    SIP_CONT_WS,      /* blanks of the continuation line */
    SIP_WORD,         /* the value's first word */
    SIP_DOMAIN,       /* after '@': the second word */
    SIP_FOUND,
    SIP_REFUSED,
};

/* The scan's state and the bytes it reads: one per CPU, not shared. */
struct sip_scan {
    __u32 len;      /* bytes in buf */
    __u32 base;     /* offset of loop index 0 in the payload */
    __u32 from;     /* where the kernel's search (re)started */
    __u32 skip_to;  /* bytes before this offset are not looked at */
    __u32 value_at; /* offset of the value being read */
    __u32 value_len;
    __u32 domain_len;
    __u8 state; /* enum sip_state */
    __u8 eol;   /* the CR or LF that began SIP_EOL / SIP_CONT */
    __u8 name_at;
    __u8 after_colon;
    __u8 cont_lf; /* SIP_CONT: the LF of a CRLF was taken */
    __u8 pad[3];
    __u64 hash;
    __u8 buf[XVS_SIP_SCAN_BYTES];
};

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct sip_scan);
} xvs_sip_scan SEC(".maps");

#define SIP_FNV_OFFSET 0xcbf29ce484222325ull
#define SIP_FNV_PRIME 0x100000001b3ull

/* The kernel's ctype: ASCII, and Latin-1 letters from 0xc0 but for the
 * multiplication and division signs. */
static __always_inline int sip_is_alpha(__u8 c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= 0xc0 && c != 0xd7 && c != 0xf7);
}

/* The kernel's iswordc(). */
static __always_inline int sip_is_word(__u8 c)
{
    return sip_is_alpha(c) || (c >= '0' && c <= '9') || c == '!' || c == '"' || c == '%' ||
           (c >= '(' && c <= '/') || c == ':' || c == '<' || c == '>' || c == '?' ||
           (c >= '[' && c <= ']') || c == '_' || c == '`' || c == '{' || c == '}' || c == '~';
}

static __always_inline __u8 sip_lower(__u8 c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static __always_inline int sip_is_eol(__u8 c)
{
    return c == '\r' || c == '\n';
}

/* Looking for the next line: c is looked at for CR or LF. */
static __always_inline void sip_seek(struct sip_scan *s, __u8 c)
{
    if (sip_is_eol(c)) {
        s->eol = c;
        s->state = SIP_EOL;
    } else {
        s->state = SIP_SEEK_EOL;
    }
}

/* c starts a line. The kernel skips it (no CR/LF check) when it neither
 * starts the header nor is a continuation. */
static __always_inline void sip_line_start(struct sip_scan *s, __u8 c)
{
    __u8 l = sip_lower(c);
    if (l == 'c') {
        s->state = SIP_NAME;
        s->name_at = 1;
    } else if (l == 'i') {
        s->state = SIP_COMPACT;
    } else {
        s->state = SIP_SEEK_EOL;
    }
}

static __always_inline void sip_value_start(struct sip_scan *s, __u32 at)
{
    s->state = SIP_WORD;
    s->value_at = at;
    s->value_len = 0;
    s->domain_len = 0;
    s->hash = SIP_FNV_OFFSET;
}

static __always_inline void sip_value_byte(struct sip_scan *s, __u8 c)
{
    s->value_len++;
    s->hash = (s->hash ^ c) * SIP_FNV_PRIME;
}

/* An empty value: the kernel searches again from its search start plus the
 * value's offset. Returns whether c itself must be looked at again. */
static __always_inline int sip_restart(struct sip_scan *s, __u32 at)
{
    s->from += s->value_at;
    s->skip_to = s->from;
    s->state = SIP_SEEK_EOL;
    return s->skip_to <= at;
}

/* The first byte after the value. */
static __always_inline void sip_value_end(struct sip_scan *s, __u8 c)
{
    s->state = s->value_len <= XVS_SIP_CALL_ID_MAX && sip_is_eol(c) ? SIP_FOUND : SIP_REFUSED;
}

/* One byte of the value. Returns whether c must be looked at again (after a
 * restart). */
static __always_inline int sip_value(struct sip_scan *s, __u8 c, __u32 at)
{
    if (sip_is_word(c)) {
        if (s->state == SIP_DOMAIN)
            s->domain_len++;
        sip_value_byte(s, c);
        return 0;
    }
    if (s->state == SIP_WORD) {
        if (s->value_len == 0)
            return sip_restart(s, at);
        if (c == '@') {
            sip_value_byte(s, c);
            s->state = SIP_DOMAIN;
            return 0;
        }
    } else if (s->domain_len == 0) {
        return sip_restart(s, at);
    }
    sip_value_end(s, c);
    return 0;
}

/* Blanks around the ':' (after_colon says which side); the first other
 * byte after the ':' starts the value. Returns whether c must be looked at
 * again (after a restart). */
static __always_inline int sip_blanks(struct sip_scan *s, __u8 c, __u32 at)
{
    if (c == ' ' || c == '\t')
        return 0;
    if (sip_is_eol(c)) {
        s->eol = c;
        s->cont_lf = 0;
        s->state = SIP_CONT;
    } else if (!s->after_colon) {
        if (c == ':')
            s->after_colon = 1;
        else
            s->state = SIP_REFUSED;
    } else {
        sip_value_start(s, at);
        return sip_value(s, c, at);
    }
    return 0;
}

/* "call-id" after its first letter: byte k (0-based) of "all-id". */
static __always_inline __u8 sip_name_byte(__u8 k)
{
    switch (k) {
    case 0:
        return 'a';
    case 1:
        return 'l';
    case 2:
        return 'l';
    case 3:
        return '-';
    case 4:
        return 'i';
    case 5:
        return 'd';
    default:
        return 0;
    }
}

#define SIP_NAME_LEN 7 /* "call-id" */

static long sip_step(__u32 index, void *unused)
{
    __u32 zero = 0;
    struct sip_scan *s = bpf_map_lookup_elem(&xvs_sip_scan, &zero);
    if (!s)
        return 1;
    __u32 at = s->base + index;
    if (at >= s->len)
        return 1;
    if (at < s->skip_to)
        return 0;
    __u8 c = s->buf[at & (XVS_SIP_SCAN_BYTES - 1)];

    switch (s->state) {
    case SIP_SEEK_EOL:
        sip_seek(s, c);
        break;
    case SIP_EOL:
        if (s->eol == '\r' && c == '\n')
            s->state = SIP_LINE_START;
        else if (c == ' ' || c == '\t')
            s->state = SIP_SEEK_EOL; /* a continuation line is no header */
        else
            sip_line_start(s, c);
        break;
    case SIP_LINE_START:
        if (c == ' ' || c == '\t')
            s->state = SIP_SEEK_EOL;
        else
            sip_line_start(s, c);
        break;
    case SIP_NAME:
        /* Matched case-blind, as strncasecmp. */
        if (sip_lower(c) == sip_name_byte(s->name_at - 1)) {
            if (++s->name_at == SIP_NAME_LEN) {
                s->state = SIP_WS;
                s->after_colon = 0;
            }
        } else {
            /* The kernel goes on from the byte after the line start: the
             * bytes matched so far hold no CR/LF, c may. */
            sip_seek(s, c);
        }
        break;
    case SIP_COMPACT:
        if (sip_is_alpha(c)) {
            s->state = SIP_SEEK_EOL;
            break;
        }
        s->state = SIP_WS;
        s->after_colon = 0;
        if (sip_blanks(s, c, at))
            sip_seek(s, c);
        break;
    case SIP_WS:
        if (sip_blanks(s, c, at))
            sip_seek(s, c);
        break;
    case SIP_CONT:
        if (s->eol == '\r' && c == '\n' && !s->cont_lf)
            s->cont_lf = 1;
        else if (c == ' ' || c == '\t')
            s->state = SIP_CONT_WS;
        else
            s->state = SIP_REFUSED; /* a line break that is not a continuation */
        break;
    case SIP_CONT_WS:
        /* The kernel takes the first byte after a continuation's blanks
         * as it is: the ':' before the colon, the value after it. */
        if (c == ' ' || c == '\t')
            break;
        if (!s->after_colon) {
            if (c == ':') {
                s->after_colon = 1;
                s->state = SIP_WS;
            } else {
                s->state = SIP_REFUSED;
            }
            break;
        }
        sip_value_start(s, at);
        if (sip_value(s, c, at))
            sip_seek(s, c);
        break;
    case SIP_WORD:
    case SIP_DOMAIN:
        if (sip_value(s, c, at))
            sip_seek(s, c);
        break;
    default:
        return 1;
    }
    return s->state == SIP_FOUND || s->state == SIP_REFUSED;
}

/* A global function: checked once by the verifier, on its own stack frame. */
__attribute__((noinline)) int sip_call_id(struct xdp_md *ctx, struct xvs_packet *p, __u64 *hash)
{
    if (!p || !hash)
        return -1;
    __u32 zero = 0;
    struct sip_scan *s = bpf_map_lookup_elem(&xvs_sip_scan, &zero);
    if (!s)
        return -1;
    __u32 l3 = p->l3_off, l4 = p->l4_off, end = p->l3_end;
    if (l4 < l3 || l4 > XVS_MAX_L4_OFFSET)
        return -1;
    __u32 payload = l4 + sizeof(struct udphdr);
    if (payload >= end)
        return -1;
    __u32 len = end - payload;
    if (len > XVS_SIP_SCAN_BYTES)
        len = XVS_SIP_SCAN_BYTES;
    /* The kernel's dataoff: IP header(s) + UDP header. */
    __u32 from = l4 - l3 + sizeof(struct udphdr);
    if (from >= len)
        return -1;
    /* 1 .. XVS_SIP_SCAN_BYTES by construction, so the verifier knows the
     * size it is given without a branch the compiler could move. */
    len = ((len - 1) & (XVS_SIP_SCAN_BYTES - 1)) + 1;
    if (bpf_xdp_load_bytes(ctx, payload, s->buf, len))
        return -1;
    s->len = len;
    s->base = from;
    s->from = from;
    s->skip_to = 0;
    s->state = SIP_SEEK_EOL;
    s->hash = 0;
    bpf_loop(len - from, sip_step, 0, 0);
    if (s->state != SIP_FOUND)
        return -1;
    *hash = s->hash ? s->hash : 1;
    return 0;
}

#endif
