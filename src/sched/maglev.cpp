#include "sched/maglev.h"

#include <algorithm>
#include <numeric>
#include <stdexcept>

#include "sched/siphash.h"

namespace xvs {
namespace {

// Fixed keys: changing them changes every table, so every director of a
// cluster must run the same values.
constexpr SipKey offset_key = {'x', 'v', 's', '-', 'm', 'a', 'g', 'l', 'e', 'v', '-', 'o', 'f', 'f', 's', '1'};
constexpr SipKey skip_key = {'x', 'v', 's', '-', 'm', 'a', 'g', 'l', 'e', 'v', '-', 's', 'k', 'i', 'p', '1'};

struct Permutation {
    uint32_t caller_index;
    uint64_t turns;   // slots claimed per round
    uint64_t next;    // current position in the permutation
    uint64_t skip;
};

}  // namespace

bool is_prime(uint32_t n) {
    if (n < 2) return false;
    if (n % 2 == 0) return n == 2;
    for (uint64_t d = 3; d * d <= n; d += 2)
        if (n % d == 0) return false;
    return true;
}

std::vector<uint32_t> maglev_table(const std::vector<MaglevBackend>& backends, uint32_t size) {
    if (!is_prime(size))
        throw std::invalid_argument("maglev: table size " + std::to_string(size) + " is not prime");

    std::vector<uint32_t> active;
    for (uint32_t i = 0; i < backends.size(); ++i)
        if (backends[i].weight > 0) active.push_back(i);
    if (active.empty()) return {};
    std::sort(active.begin(), active.end(),
              [&](uint32_t a, uint32_t b) { return backends[a].id < backends[b].id; });
    for (size_t i = 1; i < active.size(); ++i)
        if (backends[active[i]].id == backends[active[i - 1]].id)
            throw std::invalid_argument("maglev: duplicate backend id \"" + backends[active[i]].id + "\"");

    uint32_t g = 0;
    for (uint32_t i : active) g = std::gcd(g, backends[i].weight);

    std::vector<Permutation> perms;
    perms.reserve(active.size());
    for (uint32_t i : active) {
        const std::string& id = backends[i].id;
        uint64_t offset = siphash24(offset_key, id) % size;
        uint64_t skip = size > 1 ? siphash24(skip_key, id) % (size - 1) + 1 : 1;
        perms.push_back({i, backends[i].weight / g, offset, skip});
    }

    constexpr uint32_t free_slot = UINT32_MAX;
    std::vector<uint32_t> table(size, free_slot);
    uint64_t filled = 0;
    while (filled < size) {
        for (Permutation& p : perms) {
            for (uint64_t turn = 0; turn < p.turns && filled < size; ++turn) {
                while (table[p.next] != free_slot) p.next = (p.next + p.skip) % size;
                table[p.next] = p.caller_index;
                ++filled;
            }
            if (filled == size) break;
        }
    }
    return table;
}

}  // namespace xvs
