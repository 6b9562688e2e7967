// MappedRealConns: the XDP program's per-real connection counts
// (xvs_real_conns, abi.h) mapped into this process, so that reading every
// real's counts costs memory reads and no syscall.
//
// Contract:
//  - The map must be BPF_F_MMAPABLE; the mapping lives as long as this object
//    and the fd (owned by the caller) must outlive it.
//  - read() loads each field atomically (the program changes them with atomic
//    adds on other CPUs); the four fields are not one snapshot.
//  - add() changes one field with an atomic add, so it composes with the
//    program's own adds instead of overwriting them. It is how the sweeper
//    takes back what an entry the program never saw end had counted.
//  - Ids at or beyond capacity() read as zero and are never written.
#pragma once

#include <cstddef>
#include <cstdint>

#include "xvs/abi.h"

namespace xvs {

class MappedRealConns {
   public:
    explicit MappedRealConns(int map_fd);
    ~MappedRealConns();
    MappedRealConns(const MappedRealConns&) = delete;
    MappedRealConns& operator=(const MappedRealConns&) = delete;

    uint32_t capacity() const { return capacity_; }
    xvs_real_conns read(uint32_t real_id) const;
    void add(uint32_t real_id, __s64 xvs_real_conns::*field, int64_t delta);
    // Clears the real's overload flag (overload_flags.h says when).
    void clear_overloaded(uint32_t real_id);

   private:
    xvs_real_conns* counts_ = nullptr;
    size_t bytes_ = 0;
    uint32_t capacity_ = 0;
};

}  // namespace xvs
