// MapTransaction: a batch of BPF map writes that is undone unless committed.
//
// Every write first saves what the slot held (or that it was empty); if the
// transaction is destroyed without commit(), the saved values are written
// back in reverse order. Writes that fail throw DataplaneError naming `what`.
// This is how XdpDataplane::apply() is all or nothing.
//
// Map-of-maps slots are staged and written together by flush_inner(): the
// kernel waits for an RCU grace period (milliseconds) after every syscall
// write of such a slot, and only once for a batch update. A slot staged twice
// before a flush ends with the later table. Rolling back restores the staged slots
// in one batch too; a slot that was empty before is pointed at
// `vacant_inner_fd` when one is given (a table nothing can reach), else
// deleted (one grace period each).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/unique_fd.h"

namespace xvs {

class MapTransaction {
   public:
    explicit MapTransaction(int vacant_inner_fd = -1) : vacant_inner_fd_(vacant_inner_fd) {}
    MapTransaction(const MapTransaction&) = delete;
    MapTransaction& operator=(const MapTransaction&) = delete;
    ~MapTransaction();

    // `value` is the map's whole value (for per-CPU maps: every CPU's slot).
    void update(int map_fd, std::span<const uint8_t> key, std::span<const uint8_t> value,
                const std::string& what);
    // As update(), for a caller that has just read the slot's value itself
    // (`old_value`): saves reading it again.
    void replace(int map_fd, std::span<const uint8_t> key, std::span<const uint8_t> old_value,
                 std::span<const uint8_t> value, const std::string& what);
    void erase(int map_fd, std::span<const uint8_t> key, const std::string& what);
    // For map-of-maps: points slot `key` of `outer_fd` at `inner` when the
    // staged slots are flushed (the transaction owns `inner` until then).
    void stage_inner(int outer_fd, uint32_t key, UniqueFd inner, const std::string& what);
    // Writes every staged slot, one batch update per outer map.
    void flush_inner();

    void commit();
    // Writes done so far (staged slots count once flushed).
    size_t writes() const { return undo_.size(); }

   private:
    struct Undo {
        int map_fd;
        std::vector<uint8_t> key;
        std::optional<std::vector<uint8_t>> old_value;  // nullopt: slot was empty
        bool is_inner = false;
        UniqueFd old_inner;  // previous inner map (is_inner only)
    };
    struct Staged {
        int outer_fd;
        uint32_t key;
        UniqueFd inner;
        std::string what;
    };
    uint32_t value_size(int map_fd);
    std::optional<std::vector<uint8_t>> read(int map_fd, std::span<const uint8_t> key,
                                             size_t size) const;
    // Restores undo_[first, last), all inner slots of one outer map, in one batch.
    void restore_inner_run(size_t first, size_t last) noexcept;
    void rollback() noexcept;

    int vacant_inner_fd_;
    std::vector<Undo> undo_;
    std::vector<Staged> staged_;
    std::unordered_map<int, uint32_t> value_sizes_;  // map fd -> value size, asked once
    bool committed_ = false;
};

template <typename T>
std::span<const uint8_t> bytes_of(const T& v) {
    return {reinterpret_cast<const uint8_t*>(&v), sizeof(T)};
}

}  // namespace xvs
