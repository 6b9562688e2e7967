// MapTransaction: a batch of BPF map writes that is undone unless committed.
//
// Every write first saves what the slot held (or that it was empty); if the
// transaction is destroyed without commit(), the saved values are written
// back in reverse order. Writes that fail throw DataplaneError naming `what`.
// This is how XdpDataplane::apply() is all or nothing.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/unique_fd.h"

namespace xvs {

class MapTransaction {
   public:
    MapTransaction() = default;
    MapTransaction(const MapTransaction&) = delete;
    MapTransaction& operator=(const MapTransaction&) = delete;
    ~MapTransaction();

    void update(int map_fd, std::span<const uint8_t> key, std::span<const uint8_t> value,
                const std::string& what);
    void erase(int map_fd, std::span<const uint8_t> key, const std::string& what);
    // For map-of-maps: points slot `key` of `outer_fd` at `inner_fd` (or clears
    // it when inner_fd < 0); the previous inner map is kept alive for undo.
    void set_inner(int outer_fd, uint32_t key, int inner_fd, const std::string& what);

    void commit();
    size_t writes() const { return undo_.size(); }

   private:
    struct Undo {
        int map_fd;
        std::vector<uint8_t> key;
        std::optional<std::vector<uint8_t>> old_value;  // nullopt: slot was empty
        bool is_inner = false;
        UniqueFd old_inner;  // previous inner map (is_inner only)
    };
    std::optional<std::vector<uint8_t>> read(int map_fd, std::span<const uint8_t> key) const;
    void rollback() noexcept;

    std::vector<Undo> undo_;
    bool committed_ = false;
};

template <typename T>
std::span<const uint8_t> bytes_of(const T& v) {
    return {reinterpret_cast<const uint8_t*>(&v), sizeof(T)};
}

}  // namespace xvs
