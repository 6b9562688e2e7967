// BatchReader: reads a BPF hash map a chunk at a time, for walks that must
// stay bounded in memory and syscalls (the census, the connection listing).
//
// Contract:
//  - next() reads the next chunk (bpf_map_lookup_batch: one syscall for up
//    to `chunk` entries) and returns how many entries it holds, in key(i) and
//    value(i); 0 when the map is done. Entries added or removed meanwhile may
//    or may not be seen; none is seen twice.
//  - A bucket holding more entries than a chunk (ENOSPC) doubles the chunk,
//    up to 1 Mi entries, then throws.
//  - A kernel without batch reads for the map: one key after the other
//    (get_next_key + lookup). A key evicted while the walk stands on it sends
//    get_next_key back to the first key, so that walk stops after `capacity`
//    keys and complete() is false.
//  - Errors throw DataplaneError naming the map and the kernel's reason.
#pragma once

#include <bpf/bpf.h>

#include <cerrno>
#include <cstdint>
#include <string>
#include <vector>

#include "common/errno_text.h"
#include "dataplane/dataplane.h"

namespace xvs {

template <typename Key, typename Value>
class BatchReader {
   public:
    BatchReader(int fd, std::string name, uint32_t capacity, uint32_t chunk)
        : fd_(fd), name_(std::move(name)), capacity_(capacity), chunk_(chunk), keys_(chunk), values_(chunk) {}

    size_t next() {
        if (done_) return 0;
        return by_key_ ? next_by_key() : next_batch();
    }
    const Key& key(size_t i) const { return keys_[i]; }
    const Value& value(size_t i) const { return values_[i]; }
    // False when a key-by-key walk stopped at its bound.
    bool complete() const { return complete_; }

   private:
    static constexpr uint32_t largest_chunk = 1u << 20;

    size_t next_batch() {
        for (;;) {
            uint32_t count = chunk_;
            LIBBPF_OPTS(bpf_map_batch_opts, opts);
            int rc = bpf_map_lookup_batch(fd_, first_ ? nullptr : &cursor_, &cursor_, keys_.data(),
                                          values_.data(), &count, &opts);
            int err = rc != 0 ? errno : 0;
            if (err == ENOSPC && count == 0) {
                if (chunk_ >= largest_chunk)
                    throw DataplaneError("reading " + name_ + ": a hash bucket holds more entries than " +
                                         std::to_string(largest_chunk));
                chunk_ *= 2;
                keys_.resize(chunk_);
                values_.resize(chunk_);
                continue;
            }
            if (err != 0 && err != ENOENT) {
                if (first_) {
                    by_key_ = true;
                    return next_by_key();
                }
                throw DataplaneError("reading " + name_ + " in batches: " + errno_text(err));
            }
            first_ = false;
            // ENOENT: the end of the map (the last chunk may still carry entries).
            if (err == ENOENT || count == 0) done_ = true;
            return count;
        }
    }

    size_t next_by_key() {
        size_t n = 0;
        while (n < chunk_) {
            Key next{};
            if (bpf_map_get_next_key(fd_, first_ ? nullptr : &last_key_, &next) != 0) {
                if (errno != ENOENT) throw DataplaneError("walking " + name_ + ": " + errno_text(errno));
                done_ = true;
                break;
            }
            if (visited_ == capacity_) {
                done_ = true;
                complete_ = false;
                break;
            }
            ++visited_;
            first_ = false;
            last_key_ = next;
            if (bpf_map_lookup_elem(fd_, &next, &values_[n]) == 0) keys_[n++] = next;  // else just evicted
        }
        return n;
    }

    int fd_;
    std::string name_;
    uint32_t capacity_;
    uint32_t chunk_;
    std::vector<Key> keys_;
    std::vector<Value> values_;
    uint64_t cursor_ = 0;  // the kernel's position: a bucket index for hash maps
    bool first_ = true;
    bool by_key_ = false;
    bool done_ = false;
    bool complete_ = true;
    Key last_key_{};
    uint64_t visited_ = 0;
};

}  // namespace xvs
