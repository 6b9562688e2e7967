#include "dataplane/xdp/address_filter.h"

#include <cstring>
#include <stdexcept>

namespace xvs {

std::vector<AddressFilter::Entry> AddressFilter::entries_of(const VirtualService& svc) {
    std::vector<Entry> out;
    if (svc.key.protocol == Protocol::fwmark) {
        for (const auto& m : svc.matches) out.push_back({XVS_ADDR_FILTER_DST, m.address});
    } else {
        out.push_back({XVS_ADDR_FILTER_DST, svc.key.address});
    }
    for (const auto& [key, real] : svc.reals)
        if (real.method == ForwardMethod::masq) out.push_back({XVS_ADDR_FILTER_SRC, key.address});
    return out;
}

std::pair<uint32_t, uint64_t> AddressFilter::position_of(const Entry& e) {
    __u32 addr[4];
    std::memcpy(addr, e.address.bytes.data(), sizeof addr);
    uint32_t bit = xvs_addr_filter_bit(addr);
    return {e.set * XVS_ADDR_FILTER_WORDS + (bit >> 6), uint64_t{1} << (bit & 63)};
}

std::set<uint32_t> AddressFilter::add(const std::vector<Entry>& entries) {
    std::set<uint32_t> changed;
    for (const auto& e : entries) {
        auto [index, mask] = position_of(e);
        uint32_t key = index * 64 + static_cast<uint32_t>(__builtin_ctzll(mask));
        if (references_[key]++ == 0) {
            words_[index] |= mask;
            changed.insert(index);
        }
    }
    return changed;
}

std::set<uint32_t> AddressFilter::remove(const std::vector<Entry>& entries) {
    std::set<uint32_t> changed;
    for (const auto& e : entries) {
        auto [index, mask] = position_of(e);
        uint32_t key = index * 64 + static_cast<uint32_t>(__builtin_ctzll(mask));
        auto it = references_.find(key);
        if (it == references_.end())
            throw std::logic_error("address filter: removing " + e.address.to_string() +
                                   ", which was never added");
        if (--it->second == 0) {
            references_.erase(it);
            words_[index] &= ~mask;
            changed.insert(index);
        }
    }
    return changed;
}

}  // namespace xvs
