/* xvs ABI: everything the BPF programs and the C++ loader share.
 *
 * Plain C with fixed-width types only, included by the bpf/ programs and by C++.
 * Every map key and value lives here once; the C++ side static_asserts the
 * sizes and offsets (src/dataplane/xdp/abi_check.h). Addresses and ports are in
 * network byte order unless a field's comment says otherwise. Addresses are
 * always 16 bytes: IPv4 in addr[0], addr[1..3] zero.
 *
 * Map overview (names are the pinned file names under pin_root/instance/):
 *   xvs_services     hash   service_key (VIP, port|0, proto)   -> service id
 *   xvs_matches      hash   service_key (match= ADDR, port|0)  -> service id (fwmark services)
 *   xvs_service_info array  service id -> struct xvs_service
 *   xvs_reals        array  real id    -> struct xvs_real
 *   xvs_sched_tables array of maps, service id -> inner array: [0] = length n,
 *                    [1..n] = real ids in scheduling order (wrr/rr order, sh/dh
 *                    buckets, Maglev slots). Swapped whole, so a packet never
 *                    sees half a table.
 *   xvs_sched_lists  array  service id -> struct xvs_sched_list: the reals of
 *                    a service scheduled by counts (lc, wlc, sed, nq, fo, ovf)
 *                    in IPVS's list order
 *   xvs_rr_position  per-CPU array, service id -> next wrr/rr position
 *   xvs_conns        LRU hash conn_key (client -> VIP tuple) -> struct xvs_conn
 *   xvs_nat_reverse  LRU hash conn_key (real -> client tuple) -> struct xvs_nat_reverse
 *   xvs_persist      LRU hash persist_key -> struct xvs_persist
 *   xvs_frags        LRU hash frag_key -> struct xvs_frag (later IP fragments)
 *   xvs_frag_held    array (mmapable) slot -> struct xvs_held_frag: later
 *                    fragments that arrived before their first (bpf/lib/frag.h)
 *   xvs_frag_ready   ring buffer of struct xvs_frag_key: datagrams whose first
 *                    fragment decided while fragments of them were held
 *   xvs_pending_neigh LRU hash neigh_key -> first-seen time (ns)
 *   xvs_config       array[1] struct xvs_config
 *   xvs_iface_addrs  hash ifindex -> struct xvs_iface_addr (default tunnel sources)
 *   xvs_ifaces       hash ifindex -> struct xvs_iface: the interfaces the program
 *                    serves and their MACs, written at attach (per ifindex)
 *   xvs_stats        per-CPU array enum xvs_stat -> __u64
 *   xvs_service_stats / xvs_real_stats per-CPU arrays id -> struct xvs_counters
 *   xvs_real_conns   array real id -> struct xvs_real_conns (shared, atomic adds)
 *   xvs_addr_filter  array of __u64 bit words: which addresses may be a VIP
 *                    (destination set) or a NAT real (source set); see below
 *   xvs_hops         per-CPU array, direct-mapped cache of next hops (struct xvs_hop)
 */
#ifndef XVS_ABI_H
#define XVS_ABI_H

#include <linux/types.h>

/* Bumped whenever a map layout or the program's contract changes; a daemon
 * that finds pinned maps of another version does not reuse them. */
#define XVS_ABI_VERSION 11

#define XVS_MAX_SERVICES 4096
#define XVS_MAX_REALS 65536
#define XVS_MAX_MATCHES 16384
/* Longest scheduling table (entries after the length slot). */
#define XVS_SCHED_TABLE_MAX 65536
/* sh/dh bucket count, as IPVS's IP_VS_SH_TAB_SIZE. */
#define XVS_HASH_BUCKETS 256
/* Most reals of a service scheduled by connection counts (lc, wlc, sed, nq,
 * fo, ovf): the program compares every one of them for each new flow, in a
 * loop the verifier walks to this bound. User space refuses more. */
#define XVS_SCHED_LIST_MAX 256
/* Most slots a table scheduler (rr, wrr, sh/mh with -fallback) passes over
 * when the slot it lands on names an overloaded real (upper threshold
 * reached): rr and wrr move on as IPVS moves its cursor, sh/mh-fallback try
 * the next slots. Past this many overloaded slots the flow is dropped as
 * IPVS drops one that finds no available real. */
#define XVS_SCHED_SKIP_MAX 256
#define XVS_CONN_TABLE_DEFAULT (1u << 20)
#define XVS_PERSIST_TABLE_DEFAULT (1u << 18)
#define XVS_FRAG_TABLE_SIZE 8192
#define XVS_PENDING_NEIGH_SIZE 1024
#define XVS_MAX_IFACES 1024

/* Held fragments (bpf/lib/frag.h): a later fragment that arrives before its
 * datagram's first is copied into one of XVS_FRAG_HOLD_SLOTS slots (a power
 * of two) of up to XVS_FRAG_HOLD_BYTES bytes of frame (MTU 1500 + Ethernet +
 * two VLAN tags), looked for among XVS_FRAG_HOLD_PROBES slots from a hash of
 * the datagram, and dropped; xvsd replays it once the first fragment has
 * decided. A held fragment older than XVS_FRAG_HOLD_NS is expired. */
#define XVS_FRAG_HOLD_SLOTS 128
#define XVS_FRAG_HOLD_BYTES 1536
#define XVS_FRAG_HOLD_PROBES 8
#define XVS_FRAG_HOLD_NS (1000000000ull)
/* Bytes of the ready ring buffer (a power-of-two number of pages): 8 bytes of
 * header + 40 of key per notification, so about 340 datagrams between two
 * reads of xvsd; a notification lost to a full ring is made up for by xvsd's
 * sweep of the slots. */
#define XVS_FRAG_READY_BYTES (16u * 1024u)

/* Next-hop cache: slots per CPU (a power of two) and how long a cached route
 * and neighbour are trusted before bpf_fib_lookup is asked again. */
#define XVS_HOP_CACHE_SIZE 4096
#define XVS_HOP_CACHE_NS (1000000000ull)
/* The slot is the top log2(XVS_HOP_CACHE_SIZE) bits of a 32-bit hash. */
#ifdef __cplusplus
static_assert(XVS_HOP_CACHE_SIZE >= 2 && (XVS_HOP_CACHE_SIZE & (XVS_HOP_CACHE_SIZE - 1)) == 0,
              "XVS_HOP_CACHE_SIZE must be a power of two");
#else
_Static_assert(XVS_HOP_CACHE_SIZE >= 2 && (XVS_HOP_CACHE_SIZE & (XVS_HOP_CACHE_SIZE - 1)) == 0,
               "XVS_HOP_CACHE_SIZE must be a power of two");
#endif
#define XVS_HOP_CACHE_SHIFT (32 - __builtin_ctz(XVS_HOP_CACHE_SIZE))

/* One word into the next-hop hash: multiply, rotate, multiply, each a
 * bijection of h, so two addresses that differ in any words differ in h
 * until a later word happens to cancel it (folding the words with xor first
 * made every pair that differs by the same xor in two words collide). */
static inline __u32 xvs_hop_round(__u32 h, __u32 word)
{
    h ^= word * 0xcc9e2d51u;
    h = (h << 15) | (h >> 17);
    return h * 0x1b873593u;
}

/* Slot (0 .. XVS_HOP_CACHE_SIZE - 1) of the next hop towards dst (as stored
 * in keys, IPv4 in dst[0]) for packets that came in on ifindex. */
static inline __u32 xvs_hop_slot(const __u32 *dst, __u32 ifindex)
{
    __u32 h = xvs_hop_round(ifindex, dst[0]);
    h = xvs_hop_round(h, dst[1]);
    h = xvs_hop_round(h, dst[2]);
    h = xvs_hop_round(h, dst[3]);
    h ^= h >> 16;
    return (h * 0x85ebca6bu) >> XVS_HOP_CACHE_SHIFT;
}

/* Address filter: a packet whose destination is not in the destination set
 * and whose source is not in the source set cannot be for a virtual service
 * nor a NAT reply, and leaves with XDP_PASS after one array read instead of
 * the hash lookups. Each set is XVS_ADDR_FILTER_WORDS 64-bit words; an
 * address sets bit xvs_addr_filter_bit(addr) of its set. False positives only
 * cost the full lookup; user space sets a bit before the entries it covers
 * exist and clears it only after they are gone. */
#define XVS_ADDR_FILTER_WORDS 1024
#define XVS_ADDR_FILTER_DST 0
#define XVS_ADDR_FILTER_SRC 1

/* Bit (0 .. 64 * XVS_ADDR_FILTER_WORDS - 1) of an address within its set;
 * addr is as stored in keys (network order, IPv4 in addr[0]). */
static inline __u32 xvs_addr_filter_round(__u32 h, __u32 word)
{
    h = (h ^ word) * 0x9e3779b1u;
    return h ^ (h >> 16);
}

#define XVS_ADDR_FILTER_SEED 0x2545f491u

static inline __u32 xvs_addr_filter_finish(__u32 h)
{
    return (h * 0x85ebca77u) >> 16;
}

static inline __u32 xvs_addr_filter_bit(const __u32 *addr)
{
    /* Each word mixed in turn (folding the words with xor first made
     * fd00::2 and fd00:1::3 collide); IPv4 addresses, zero beyond addr[0],
     * skip the other three rounds. */
    __u32 h = xvs_addr_filter_round(XVS_ADDR_FILTER_SEED, addr[0]);
    if (addr[1] | addr[2] | addr[3]) {
        h = xvs_addr_filter_round(h, addr[1]);
        h = xvs_addr_filter_round(h, addr[2]);
        h = xvs_addr_filter_round(h, addr[3]);
    }
    return xvs_addr_filter_finish(h);
}

/* Address families as stored in keys (not AF_*: stable across libcs). */
#define XVS_FAMILY_V4 4
#define XVS_FAMILY_V6 6

/* Connection timeouts (ns), IPVS's defaults (ipvsadm --set 900 120 300 and
 * the TCP state table); the first three can be changed (xvs_config). */
#define XVS_NS_PER_SEC 1000000000ull
#define XVS_TIMEOUT_TCP_SYN (60ull * XVS_NS_PER_SEC)
#define XVS_TIMEOUT_TCP_ESTABLISHED (900ull * XVS_NS_PER_SEC)
#define XVS_TIMEOUT_TCP_FIN (120ull * XVS_NS_PER_SEC)
#define XVS_TIMEOUT_TCP_CLOSE (10ull * XVS_NS_PER_SEC)
#define XVS_TIMEOUT_UDP (300ull * XVS_NS_PER_SEC)
#define XVS_TIMEOUT_FRAG (30ull * XVS_NS_PER_SEC)
/* last_seen is only rewritten when it is this old: saves a cache-line write
 * per packet on established flows; timeouts are seconds anyway. */
#define XVS_REFRESH_NS (1ull * XVS_NS_PER_SEC)

/* Global XDP action counters (per-CPU array, index = enum xvs_stat). */
enum xvs_stat {
    XVS_STAT_PACKETS = 0,         /* every packet the program saw */
    XVS_STAT_PASS,                /* not for a virtual service: handed to the stack */
    XVS_STAT_MALFORMED,           /* truncated or invalid headers of a packet that may be for a VIP (passed) */
    XVS_STAT_TX,                  /* forwarded out of the ingress interface */
    XVS_STAT_REDIRECT,            /* forwarded out of another interface */
    XVS_STAT_NEW_CONN,            /* flows scheduled */
    XVS_STAT_PERSIST_HIT,         /* new flows placed by a persistence template */
    XVS_STAT_NAT_REPLY,           /* NAT replies rewritten back to the VIP */
    XVS_STAT_DROP_NO_REAL,        /* VIP packet but no real with weight > 0 */
    XVS_STAT_DROP_NO_NEIGH,       /* next hop unresolved: queued for user space */
    XVS_STAT_DROP_NO_ROUTE,       /* fib lookup found no route to the real */
    XVS_STAT_DROP_FWD_DISABLED,   /* forwarding disabled on the ingress interface */
    XVS_STAT_DROP_FRAG_NEEDED,    /* packet (after encapsulation) exceeds the MTU */
    XVS_STAT_DROP_NO_TUNNEL_SRC,  /* ipip: no outer source address configured */
    XVS_STAT_DROP_ERROR,          /* helper failure (adjust_head, ...) */
    XVS_STAT_FRAG_PASS,           /* later fragment of an unknown datagram */
    XVS_STAT_ICMP_FORWARDED,      /* ICMP error for a flow sent to its real */
    XVS_STAT_PASS_OTHER_HOST,     /* frame to another MAC, broadcast or multicast, or on an
                                   * interface not served: handed to the stack untouched */
    XVS_STAT_PASS_VLAN,           /* 802.1Q / 802.1ad tagged frame: handed to the stack untouched */
    XVS_STAT_DROP_MARTIAN,        /* source the kernel's IP input rejects, or source = destination */
    XVS_STAT_DROP_BAD_CSUM,       /* IPv4 header checksum does not verify */
    XVS_STAT_DROP_TTL,            /* NAT: TTL / hop limit would reach 0 on forwarding */
    XVS_STAT_FRAG_HELD,           /* later fragment before its first: held (seen again when replayed) */
    XVS_STAT_FRAG_HOLD_FULL,      /* ... dropped: no free slot among the probed ones */
    XVS_STAT_FRAG_HOLD_TOO_LONG,  /* ... dropped: frame longer than XVS_FRAG_HOLD_BYTES */
    XVS_STAT_FRAG_EXPIRED,        /* held fragment dropped unreplayed after XVS_FRAG_HOLD_NS */
    XVS_STAT_PASS_NOT_SYN,        /* TCP segment without a flow that may not start one (not a
                                   * SYN without sloppy_tcp, or a RST): to the stack, as IPVS */
    XVS_STAT_DROP_NODEST,         /* packet of a flow whose real was removed (expire_nodest_conn) */
    XVS_STAT_DROP_NO_CALL_ID,     /* pe sip: new flow's datagram without a Call-ID IPVS would take */
    XVS_STAT__COUNT,
};

enum xvs_sched {
    XVS_SCHED_RR = 0,  /* walk the table in order (rr and wrr differ only in the table) */
    XVS_SCHED_WRR,
    XVS_SCHED_SH,      /* bucket = hash(source address [+ port]) */
    XVS_SCHED_DH,      /* bucket = hash(destination address) */
    XVS_SCHED_MH,      /* Maglev slot = hash(source address [+ port]) */
    /* By the live counts of xvs_real_conns over the service's reals in
     * xvs_sched_lists, with IPVS's formulas and tie-breaking
     * (bpf/lib/sched.h); they stay the last codes, from XVS_SCHED_LC on. */
    XVS_SCHED_LC,      /* least active * 256 + inactive */
    XVS_SCHED_WLC,     /* least (active * 256 + inactive) / weight */
    XVS_SCHED_SED,     /* least (active + 1) / weight */
    XVS_SCHED_NQ,      /* the first real without active flows, else as sed */
    XVS_SCHED_FO,      /* the highest weight */
    XVS_SCHED_OVF,     /* the highest weight whose active flows do not exceed it */
};

enum xvs_forward {
    XVS_FWD_GATE = 0,  /* DR: MAC rewrite */
    XVS_FWD_MASQ,      /* NAT: DNAT in, SNAT of the replies */
    XVS_FWD_IPIP,      /* TUN: encapsulation by struct xvs_real.tun_type */
};

/* struct xvs_real.tun_type: IPVS's IP_VS_CONN_F_TUNNEL_TYPE_* values. */
enum xvs_tunnel_type {
    XVS_TUN_IPIP = 0,  /* outer IP, protocol IPIP (4) / IPv6 (41) */
    XVS_TUN_GUE,       /* outer IP + UDP to tun_port + 4-byte GUE header */
    XVS_TUN_GRE,       /* outer IP, protocol 47 + GRE header */
};

/* struct xvs_real.tun_flags: IPVS's IP_VS_TUNNEL_ENCAP_FLAG_* bits. */
#define XVS_TUN_F_CSUM 0x1    /* GUE: UDP checksum; GRE: GRE checksum */
#define XVS_TUN_F_REMCSUM 0x2 /* GUE: remote checksum offload (see lib/encap.h) */

/* struct xvs_service.flags */
#define XVS_SVC_F_IN_USE 0x1
#define XVS_SVC_F_PERSISTENT 0x2
#define XVS_SVC_F_HASH_PORT 0x4  /* sh-port / mh-port: hash the source port too */
#define XVS_SVC_F_ONE_PACKET 0x8 /* ops: UDP datagrams are scheduled one by one */
#define XVS_SVC_F_FWMARK 0x10
#define XVS_SVC_F_FALLBACK 0x20 /* sh-fallback / mh-fallback: pass over an overloaded real */
#define XVS_SVC_F_PE_SIP 0x40   /* persistence engine sip (UDP): templates keyed by Call-ID too */

/* Persistence engine sip (bpf/lib/sip.h): how many bytes of a UDP payload
 * the program searches for the Call-ID (a power of two). A Call-ID that does
 * not end within them is not found. RFC 3261 keeps UDP requests under 1300
 * bytes, so the header is well inside in practice. */
#define XVS_SIP_SCAN_BYTES 2048
/* IPVS's IP_VS_PEDATA_MAXLEN: a longer Call-ID is refused. */
#define XVS_SIP_CALL_ID_MAX 255

/* struct xvs_real.flags */
#define XVS_REAL_F_IN_USE 0x1

/* Connection states (struct xvs_conn.state). */
enum xvs_conn_state {
    XVS_CONN_NONE = 0,
    XVS_CONN_TCP_SYN,          /* SYN seen, no ACK yet ("SYN_RECV") */
    XVS_CONN_TCP_ESTABLISHED,
    XVS_CONN_TCP_FIN,          /* FIN seen ("FIN_WAIT") */
    XVS_CONN_TCP_CLOSE,        /* RST seen ("CLOSE") */
    XVS_CONN_UDP,
};

/* Lookup key of xvs_services and xvs_matches: protocol is IPPROTO_TCP/UDP. */
struct xvs_service_key {
    __u32 addr[4];
    __be16 port; /* 0 = every port */
    __u8 proto;
    __u8 family;
};

struct xvs_service {
    __u32 flags;              /* XVS_SVC_F_* */
    __u8 sched;               /* enum xvs_sched */
    __u8 family;
    __u8 key_proto;           /* identity, for reuse of pinned maps: IPPROTO_TCP/UDP, 0 = fwmark */
    __u8 pad0;
    __u32 persist_timeout_s;  /* persistent=T */
    __u32 persist_mask[4];    /* netmask applied to the client address */
    __u32 key_addr[4];        /* identity: VIP (zero for fwmark) */
    __be16 key_port;          /* identity: virtual port */
    __u16 pad1;
    __u32 fwmark;             /* identity: firewall mark (fwmark services) */
};

struct xvs_real {
    __u32 addr[4];
    __be16 port;         /* 0 = keep the client's destination port */
    __u8 family;
    __u8 method;         /* enum xvs_forward */
    __u32 flags;         /* XVS_REAL_F_* */
    __u32 weight;        /* 0 = quiescent: in no table, keeps its flows */
    __u32 service_id;
    __u32 generation;    /* bumped on every (re)allocation of this id */
    __u32 upper_threshold; /* ipvsadm -x: overloaded from this many flows (0 = none) */
    __u32 lower_threshold; /* ipvsadm -y: overload ends below this many (0 = below 3/4 of upper) */
    __u8 tun_type;       /* enum xvs_tunnel_type, XVS_FWD_IPIP only */
    __u8 tun_flags;      /* XVS_TUN_F_* */
    __be16 tun_port;     /* GUE: UDP destination port */
};

/* A flow as the director sees it arriving from the client. */
struct xvs_conn_key {
    __u32 src[4];
    __u32 dst[4];
    __be16 sport;
    __be16 dport;
    __u8 proto;
    __u8 family;
    __u16 pad;
};

struct xvs_conn {
    __u64 last_seen_ns;  /* bpf_ktime_get_ns (CLOCK_MONOTONIC) */
    __u32 real_id;
    __u32 real_generation;
    __u32 service_id;
    __u8 state;          /* enum xvs_conn_state */
    __u8 flags;          /* XVS_CONN_F_* */
    __u8 pad[2];
};

/* struct xvs_conn.flags */
#define XVS_CONN_F_TEMPLATED 0x1 /* its service is persistent: a template controls it */

/* Value of xvs_nat_reverse, keyed by the reply tuple (real -> client). */
struct xvs_nat_reverse {
    __u32 vaddr[4];
    __be16 vport;
    __u16 pad;
    __u32 service_id;
    __u32 real_id;
    __u32 real_generation;
};

struct xvs_persist_key {
    __u32 client[4];  /* masked */
    __u32 service_id;
    __u8 family;
    __u8 pad[3];
    /* Persistence engine sip: a 64-bit FNV-1a hash of the Call-ID (never 0);
     * 0 for services without an engine. IPVS compares the Call-ID bytes; a
     * hash collision of two Call-IDs of one client network would share a
     * template, about one in 2^64 per pair. */
    __u64 pe_hash;
};

struct xvs_persist {
    __u64 last_seen_ns;
    __u32 real_id;
    __u32 real_generation;
};

/* Later fragments carry no ports: the first fragment records its decision. */
struct xvs_frag_key {
    __u32 src[4];
    __u32 dst[4];
    __u32 id;      /* IPv4 id (zero-extended) or IPv6 fragment id */
    __u8 proto;
    __u8 family;
    __u16 pad;
};

/* struct xvs_frag.flags */
#define XVS_FRAG_F_WAITING 0x1 /* no decision yet: later fragments are held */
#define XVS_FRAG_F_STACK 0x2   /* decision: the director's own stack (no service; a NAT reply) */

struct xvs_frag {
    __u64 created_ns;
    __u32 service_id;
    __u32 real_id;
    __u32 real_generation;
    __u32 flags;   /* XVS_FRAG_F_*; 0 = follow real_id */
};

/* struct xvs_held_frag.state: claimed and released with atomic
 * compare-and-exchange by the program and by xvsd (through mmap). */
enum xvs_held_state {
    XVS_HELD_FREE = 0,
    XVS_HELD_WRITING,    /* the program is copying a frame in */
    XVS_HELD_READY,      /* a frame waits for its first fragment */
    XVS_HELD_REPLAYING,  /* xvsd took it: replays it, then frees the slot */
};

struct xvs_held_frag {
    __u64 state;      /* enum xvs_held_state (64 bits: BPF's atomics without alu32) */
    __u64 held_ns;    /* program clock (now_ns) when held */
    struct xvs_frag_key key;
    __u32 ifindex;    /* the interface it arrived on */
    __u32 len;        /* bytes of frame in data */
    __u8 data[XVS_FRAG_HOLD_BYTES];
};

struct xvs_neigh_key {
    __u32 addr[4];  /* next hop (the real or the gateway towards it) */
    __u32 ifindex;  /* egress interface */
    __u8 family;
    __u8 pad[3];
};

struct xvs_config {
    __u32 abi_version;         /* XVS_ABI_VERSION of the loader that created the maps */
    __u32 tunnel_src_v4;       /* ipip outer source; 0 = egress interface address */
    __u32 tunnel_src_v6[4];    /* ip6ip6 outer source; zero = egress interface address */
    /* The program's clock: CLOCK_MONOTONIC ~= jiffies * clock_ns_per_tick +
     * clock_offset_ns (mod 2^64), measured by the loader; reading jiffies is
     * a memory load where a clock helper is a call. 0 = use the helper. */
    __u64 clock_ns_per_tick;
    __u64 clock_offset_ns;
    /* ipvsadm --set: how long an established TCP flow, a TCP flow after its
     * FIN and a UDP flow live after their last packet (ns); 0 = IPVS's
     * default. Written by the daemon, read per packet. */
    __u64 timeout_tcp_ns;
    __u64 timeout_tcp_fin_ns;
    __u64 timeout_udp_ns;
    __u32 behaviour;  /* XVS_CFG_* : IPVS's behaviour switches (sysctls) */
    __u32 pad;
};

/* xvs_config.behaviour: IPVS's switches of the same names; 0 is the kernel's
 * default for each (expire_nodest_conn=0, expire_quiescent_template=0,
 * sloppy_tcp=0, conn_reuse_mode=1), hence the inverted reuse bit. */
#define XVS_CFG_EXPIRE_QUIESCENT_TEMPLATE 0x1 /* a template to a weight-0 real is stale */
#define XVS_CFG_EXPIRE_NODEST_CONN 0x2 /* a flow whose real is gone is deleted (else kept,
                                        * its packets dropped); a SYN to a weight-0 real's
                                        * flow is scheduled afresh */
#define XVS_CFG_SLOPPY_TCP 0x4          /* any TCP segment but RST may start a flow, not only SYN */
#define XVS_CFG_CONN_REUSE_NO_CLOSE 0x8 /* conn_reuse_mode bit 1 clear: a SYN to a flow in
                                         * CLOSE continues on its real */
#define XVS_CFG_CONN_REUSE_FIN 0x10     /* conn_reuse_mode bit 2: a SYN to a flow in FIN_WAIT
                                         * is scheduled afresh (every flow here is tracked
                                         * from the client side, IPVS's "no output") */

/* How long an entry in a state lives after its last packet: the program
 * expires entries with it, user space lists their remaining time. cfg may
 * be 0 (IPVS's defaults). */
static inline __u64 xvs_conn_timeout_ns(__u8 state, const struct xvs_config *cfg)
{
    switch (state) {
    case XVS_CONN_TCP_SYN: return XVS_TIMEOUT_TCP_SYN;
    case XVS_CONN_TCP_ESTABLISHED:
        return cfg && cfg->timeout_tcp_ns ? cfg->timeout_tcp_ns : XVS_TIMEOUT_TCP_ESTABLISHED;
    case XVS_CONN_TCP_FIN: return cfg && cfg->timeout_tcp_fin_ns ? cfg->timeout_tcp_fin_ns : XVS_TIMEOUT_TCP_FIN;
    case XVS_CONN_TCP_CLOSE: return XVS_TIMEOUT_TCP_CLOSE;
    default: return cfg && cfg->timeout_udp_ns ? cfg->timeout_udp_ns : XVS_TIMEOUT_UDP;
    }
}

/* Value of xvs_ifaces: an interface the program serves. Frames arriving on
 * it that are not addressed to mac go to the stack untouched. */
struct xvs_iface {
    __u8 mac[6];
    __u16 pad;
};

struct xvs_iface_addr {
    __u32 v4;       /* 0 = none */
    __u32 v6[4];    /* zero = none */
};

/* One slot of the next-hop cache: what bpf_fib_lookup said for (dst, ingress
 * interface), valid while filled_ns is younger than XVS_HOP_CACHE_NS and the
 * packet is not longer than max_len (the longest length the MTU check passed). */
struct xvs_hop {
    __u32 dst[4];
    __u32 ingress_ifindex;
    __u32 egress_ifindex;
    __u64 filled_ns;
    __u32 tunnel_src[4];  /* ipip outer source for egress_ifindex; zero = not known yet */
    __u16 max_len;
    __u8 family;          /* 0 = empty slot */
    __u8 pad0;
    __u8 dmac[6];
    __u8 smac[6];
};

struct xvs_counters {
    __u64 connections;
    __u64 packets_in;
    __u64 bytes_in;
    __u64 packets_out;
    __u64 bytes_out;
};

/* Value of xvs_sched_lists: the reals of weight > 0 of a service scheduled
 * by counts (lc, wlc, sed, nq, fo, ovf), in the order IPVS lists them (the
 * newest first), which decides their ties. One array entry per service, read
 * whole in one lookup the verifier inlines, where the program would make a
 * helper call per slot of an inner map of xvs_sched_tables. User space
 * rewrites an entry in place, so a packet racing the rewrite may read ids of
 * the old list and the new one: the program takes an id only when its real
 * is in use and belongs to the service. */
struct xvs_sched_list {
    __u32 len;
    __u32 real_ids[XVS_SCHED_LIST_MAX];
};

/* Per real: the entries the program holds for it, with IPVS's meaning
 * (ipvsadm's ActiveConn, InActConn, PersistConn): active = TCP flows in
 * ESTABLISHED, inactive = flows in every other state (UDP included),
 * persist = persistence templates. One shared value per real, changed with
 * atomic adds by every CPU, because the schedulers read the sum on the fast
 * path (wlc, lc). The program counts what it creates, moves between states
 * and deletes, only while the entry's real is the same generation (a reused
 * id starts from zero, written by user space). Entries that age out without
 * a packet or that the LRU evicts are not seen by the program: user space's
 * sweeper deletes or recounts them. Signed: a decrement may land before the
 * sweeper's correction of the same entry. `changes` counts every change the
 * program made to the three counts (never reset): a sweeper that sees it
 * unchanged across its walk knows its own count of the real is exact, and
 * otherwise by how much it may differ. */
struct xvs_real_conns {
    __s64 active;
    __s64 inactive;
    __s64 persist;
    __u64 changes;
    /* IPVS's IP_VS_DEST_F_OVERLOAD: 1 = no new flows by the schedulers.
     * Set by the program when a new entry brings active + inactive to the
     * real's upper threshold; cleared when those fall below the lower
     * threshold (3/4 of the upper without one; at once without thresholds).
     * Counts fall by the program's deletions and by the sweeper's, so the
     * program applies the clearing rule whenever it looks at the flag (a
     * scheduler reading it, a new entry for the real): the first look after
     * the counts fell is where IPVS's unbind of the last deleted entry would
     * have cleared it. User space clears it where IPVS's edit of a real
     * does: the upper threshold removed or raised. */
    __u64 overloaded;
};

#endif /* XVS_ABI_H */
