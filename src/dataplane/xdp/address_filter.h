// AddressFilter: the user-space side of the program's address filter
// (xvs_addr_filter, include/xvs/abi.h): which destination addresses may be a
// VIP and which source addresses may be a NAT real, as bit words.
//
// Bits are reference-counted per address, so services can be added and
// removed one at a time: add() reports the words that gained a bit (to be
// written before the entries they cover), remove() the words that lost one
// (to be written after those entries are gone). Pure logic; XdpDataplane
// writes the words.
#pragma once

#include <array>
#include <cstdint>
#include <set>
#include <unordered_map>
#include <vector>

#include "model/model.h"
#include "xvs/abi.h"

namespace xvs {

class AddressFilter {
   public:
    static constexpr uint32_t word_count = 2 * XVS_ADDR_FILTER_WORDS;

    struct Entry {
        uint32_t set;  // XVS_ADDR_FILTER_DST or XVS_ADDR_FILTER_SRC
        IpAddress address;
    };
    // What a service needs from the filter: its VIP (or its match=
    // addresses) as destinations, its NAT reals' addresses as sources.
    static std::vector<Entry> entries_of(const VirtualService& svc);
    // The word index and bit an entry sets.
    static std::pair<uint32_t, uint64_t> position_of(const Entry& e);

    // Returns the indexes of words whose value changed.
    std::set<uint32_t> add(const std::vector<Entry>& entries);
    std::set<uint32_t> remove(const std::vector<Entry>& entries);

    uint64_t word(uint32_t index) const { return words_.at(index); }

   private:
    std::unordered_map<uint32_t, uint32_t> references_;  // set * 65536 + bit -> count
    std::array<uint64_t, word_count> words_{};
};

}  // namespace xvs
