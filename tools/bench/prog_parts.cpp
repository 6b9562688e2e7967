#include "prog_parts.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>

#include "bench_parts.skel.h"
#include "common/errno_text.h"
#include "prog_runner.h"
#include "support/packet_builder.h"
#include "xvs/abi.h"

namespace xvs::bench {
namespace {

struct PartsDeleter {
    void operator()(bench_parts* s) const { bench_parts__destroy(s); }
};

// Client -> real 10.1.0.2, which has a neighbour: the fib lookup succeeds.
std::vector<uint8_t> packet_from(const std::string& src) {
    test::PacketSpec s;
    s.src = test::ip(src);
    s.dst = test::ip("10.1.0.2");
    return test::build_packet(s);
}

xvs_conn_key conn_key_of(uint32_t src_be, uint32_t dst_be) {
    xvs_conn_key k{};
    k.src[0] = src_be;
    k.dst[0] = dst_be;
    k.proto = 6;
    k.family = XVS_FAMILY_V4;
    return k;
}

void update(int fd, const void* key, const void* value, const char* what) {
    if (bpf_map_update_elem(fd, key, value, BPF_ANY) != 0)
        throw std::runtime_error(std::string("filling ") + what + ": " + errno_text(errno));
}

}  // namespace

void measure_parts(int calls, int client_ifindex, double floor_ns, std::vector<Figure>& out) {
    std::unique_ptr<bench_parts, PartsDeleter> skel(bench_parts__open_and_load());
    if (!skel) throw std::runtime_error("cannot load the cost-breakdown programs");

    const auto hit = packet_from("10.0.0.2");
    uint32_t src = 0, dst = 0;
    std::memcpy(&src, &hit[14 + 12], 4);
    std::memcpy(&dst, &hit[14 + 16], 4);
    xvs_service_key skey{};
    skey.addr[0] = dst;
    skey.proto = 6;
    skey.family = XVS_FAMILY_V4;
    uint32_t id = 1;
    update(bpf_map__fd(skel->maps.part_hash), &skey, &id, "part_hash");
    auto ckey = conn_key_of(src, dst);
    xvs_conn conn{};
    update(bpf_map__fd(skel->maps.part_lru), &ckey, &conn, "part_lru");
    update(bpf_map__fd(skel->maps.part_lru_percpu), &ckey, &conn, "part_lru_percpu");

    // Distinct sources for the inserts: 10.2.0.0 + i (routing plays no part).
    std::vector<std::vector<uint8_t>> fresh;
    for (int i = 0; i < 2 * calls; ++i)
        fresh.push_back(packet_from("10.2." + std::to_string((i >> 8) & 0xff) + "." + std::to_string(i & 0xff)));
    int next_fresh = 0;

    struct Part {
        const char* name;
        bpf_program* prog;
        bool inserts;
    };
    const Part parts[] = {
        {"part_hash_lookup", skel->progs.part_hash_lookup, false},
        {"part_lru_lookup", skel->progs.part_lru_lookup, false},
        {"part_lru_percpu_lookup", skel->progs.part_lru_percpu_lookup, false},
        {"part_lru_miss", skel->progs.part_lru_miss, true},
        {"part_lru_insert", skel->progs.part_lru_insert, true},
        {"part_lru_percpu_insert", skel->progs.part_lru_percpu_insert, true},
        {"part_lru_v4_insert", skel->progs.part_lru_v4_insert, true},
        {"part_hash_insert", skel->progs.part_hash_insert, true},
        {"part_counters_update", skel->progs.part_counters_update, false},
        {"part_conn_count", skel->progs.part_conn_count, false},
        {"part_ktime", skel->progs.part_ktime, false},
        {"part_ktime_coarse", skel->progs.part_ktime_coarse, false},
        {"part_jiffies", skel->progs.part_jiffies, false},
        {"part_fib_lookup", skel->progs.part_fib_lookup, false},
        {"part_csum_v6_nat", skel->progs.part_csum_v6_nat, false},
    };
    for (const auto& part : parts) {
        auto next = [&](int) -> const std::vector<uint8_t>& {
            if (!part.inserts) return hit;
            return fresh[size_t(next_fresh++) % fresh.size()];
        };
        measure_prog(bpf_program__fd(part.prog), calls / 10, next, uint32_t(client_ifindex));
        Sample s = measure_prog(bpf_program__fd(part.prog), calls, next, uint32_t(client_ifindex));
        if (s.last_action != XDP_TX)
            throw std::runtime_error(std::string(part.name) + ": the operation failed (action " +
                                     std::to_string(s.last_action) + ")");
        Figure f;
        f.suite = "prog";
        f.name = part.name;
        f.value = s.median_ns;
        f.unit = "ns/pkt";
        f.net_of_floor = s.median_ns - floor_ns;
        f.spread = std::make_pair(s.p10_ns, s.p90_ns);
        f.note = "floor + this one operation";
        out.push_back(f);
    }
}

}  // namespace xvs::bench
