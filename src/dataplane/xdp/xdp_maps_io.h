// Helpers that more than one part of XdpDataplane needs to read and write
// its BPF maps: address conversion, hash-map walks, pinnability,
// the program's clock.
#pragma once

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>

#include "common/errno_text.h"
#include "dataplane/dataplane.h"
#include "model/address.h"
#include "xvs/abi.h"

namespace xvs {

inline IpAddress address_from(const __u32 in[4], uint8_t family) {
    IpAddress a;
    a.family = family == XVS_FAMILY_V6 ? Family::v6 : Family::v4;
    std::memcpy(a.bytes.data(), in, 16);
    if (!a.is_v6()) std::fill(a.bytes.begin() + 4, a.bytes.end(), 0);
    return a;
}

// Walks every key of a hash map, calling fn(key, value).
template <typename Key, typename Value, typename Fn>
void for_each_entry(int map_fd, Fn&& fn) {
    Key key{}, next{};
    Value value{};
    const Key* prev = nullptr;
    while (bpf_map_get_next_key(map_fd, prev, &next) == 0) {
        if (bpf_map_lookup_elem(map_fd, &next, &value) == 0) fn(next, value);
        key = next;
        prev = &key;
    }
}

// The program's clock is CLOCK_MONOTONIC to within a tick (bpf/lib/conn.h
// now_ns): timestamps in the maps compare with this.
inline uint64_t monotonic_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return uint64_t(ts.tv_sec) * XVS_NS_PER_SEC + uint64_t(ts.tv_nsec);
}

// How long ago the program stamped `then`, as the program itself computes it
// (unsigned difference, bpf/lib/conn.h): a stamp a tick ahead of `now` is 0
// old, and one from before the clock's zero (a test back-dating an entry on a
// host up for less than the timeout) is still as old as it was made.
inline uint64_t stamp_age_ns(uint64_t now, uint64_t then) {
    const auto age = static_cast<int64_t>(now - then);
    return age > 0 ? static_cast<uint64_t>(age) : 0;
}

// The kernel's description of the map `fd` (sizes, capacity); throws
// DataplaneError naming `name`.
inline bpf_map_info map_info(int fd, const std::string& name) {
    bpf_map_info info{};
    uint32_t len = sizeof info;
    if (bpf_obj_get_info_by_fd(fd, &info, &len) != 0)
        throw DataplaneError("reading the map info of " + name + ": " + errno_text(errno));
    return info;
}

inline bool map_is_pinnable(const bpf_map* map) { return !bpf_map__is_internal(map); }

}  // namespace xvs
