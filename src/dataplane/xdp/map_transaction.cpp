#include "dataplane/xdp/map_transaction.h"

#include <bpf/bpf.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <map>

#include "common/errno_text.h"
#include "dataplane/dataplane.h"

namespace xvs {

namespace {

// The kernel's ENOTSUPP (no batch operations for this map type); the libc
// headers do not define it.
constexpr int kernel_enotsupp = 524;

}  // namespace

MapTransaction::~MapTransaction() {
    if (!committed_) rollback();
}

uint32_t MapTransaction::value_size(int map_fd) {
    auto it = value_sizes_.find(map_fd);
    if (it != value_sizes_.end()) return it->second;
    bpf_map_info info{};
    uint32_t len = sizeof info;
    if (bpf_obj_get_info_by_fd(map_fd, &info, &len) != 0)
        throw DataplaneError("reading BPF map info: " + errno_text(errno));
    value_sizes_.emplace(map_fd, info.value_size);
    return info.value_size;
}

std::optional<std::vector<uint8_t>> MapTransaction::read(int map_fd, std::span<const uint8_t> key,
                                                         size_t size) const {
    std::vector<uint8_t> value(size);
    if (bpf_map_lookup_elem(map_fd, key.data(), value.data()) != 0) return std::nullopt;
    return value;
}

void MapTransaction::update(int map_fd, std::span<const uint8_t> key,
                            std::span<const uint8_t> value, const std::string& what) {
    // The caller's value has the map's value size: no need to ask the kernel.
    Undo u{map_fd, {key.begin(), key.end()}, read(map_fd, key, value.size())};
    if (bpf_map_update_elem(map_fd, key.data(), value.data(), BPF_ANY) != 0)
        throw DataplaneError("writing " + what + ": " + errno_text(errno));
    undo_.push_back(std::move(u));
}

void MapTransaction::replace(int map_fd, std::span<const uint8_t> key,
                             std::span<const uint8_t> old_value, std::span<const uint8_t> value,
                             const std::string& what) {
    Undo u{map_fd, {key.begin(), key.end()}, std::vector<uint8_t>(old_value.begin(), old_value.end())};
    if (bpf_map_update_elem(map_fd, key.data(), value.data(), BPF_ANY) != 0)
        throw DataplaneError("writing " + what + ": " + errno_text(errno));
    undo_.push_back(std::move(u));
}

void MapTransaction::erase(int map_fd, std::span<const uint8_t> key, const std::string& what) {
    auto old = read(map_fd, key, value_size(map_fd));
    if (!old) return;
    if (bpf_map_delete_elem(map_fd, key.data()) != 0)
        throw DataplaneError("deleting " + what + ": " + errno_text(errno));
    undo_.push_back(Undo{map_fd, {key.begin(), key.end()}, std::move(old)});
}

void MapTransaction::stage_inner(int outer_fd, uint32_t key, UniqueFd inner,
                                 const std::string& what) {
    staged_.push_back(Staged{outer_fd, key, std::move(inner), what});
}

void MapTransaction::flush_inner() {
    std::map<int, std::vector<Staged*>> by_outer;
    for (auto& s : staged_) by_outer[s.outer_fd].push_back(&s);
    for (auto& [outer_fd, slots] : by_outer) {
        // Save every slot first: a batch that fails half-way leaves some
        // written, and restoring one that was not is harmless.
        std::vector<uint32_t> keys;
        std::vector<int> fds;
        for (Staged* s : slots) {
            Undo u{outer_fd, {}, std::nullopt, true};
            u.key.resize(sizeof s->key);
            std::memcpy(u.key.data(), &s->key, sizeof s->key);
            uint32_t old_id = 0;
            if (bpf_map_lookup_elem(outer_fd, &s->key, &old_id) == 0) {
                u.old_inner.reset(bpf_map_get_fd_by_id(old_id));
                if (!u.old_inner)
                    throw DataplaneError("opening the previous " + s->what + ": " + errno_text(errno));
                u.old_value = std::vector<uint8_t>{};  // marks "had one"
            }
            undo_.push_back(std::move(u));
            keys.push_back(s->key);
            fds.push_back(s->inner.get());
        }
        uint32_t count = static_cast<uint32_t>(keys.size());
        if (bpf_map_update_batch(outer_fd, keys.data(), fds.data(), &count, nullptr) != 0) {
            // Kernels without batch support for this map type: one by one.
            if (errno != EINVAL && errno != kernel_enotsupp && errno != EOPNOTSUPP)
                throw DataplaneError("writing " + slots[std::min<size_t>(count, slots.size() - 1)]->what +
                                     ": " + errno_text(errno));
            for (size_t i = count; i < slots.size(); ++i)
                if (bpf_map_update_elem(outer_fd, &keys[i], &fds[i], BPF_ANY) != 0)
                    throw DataplaneError("writing " + slots[i]->what + ": " + errno_text(errno));
        }
    }
    // The outer maps hold their own references now.
    staged_.clear();
}

void MapTransaction::commit() {
    committed_ = true;
    undo_.clear();
    staged_.clear();
}

void MapTransaction::restore_inner_run(size_t first, size_t last) noexcept {
    int outer_fd = undo_[first].map_fd;
    std::vector<uint32_t> keys;
    std::vector<int> fds;
    std::vector<uint32_t> to_delete;
    for (size_t i = first; i < last; ++i) {
        uint32_t key;
        std::memcpy(&key, undo_[i].key.data(), sizeof key);
        if (undo_[i].old_value) {
            keys.push_back(key);
            fds.push_back(undo_[i].old_inner.get());
        } else if (vacant_inner_fd_ >= 0) {
            keys.push_back(key);
            fds.push_back(vacant_inner_fd_);
        } else {
            to_delete.push_back(key);
        }
    }
    uint32_t count = static_cast<uint32_t>(keys.size());
    if (!keys.empty() &&
        bpf_map_update_batch(outer_fd, keys.data(), fds.data(), &count, nullptr) != 0) {
        for (size_t i = count; i < keys.size(); ++i)
            if (bpf_map_update_elem(outer_fd, &keys[i], &fds[i], BPF_ANY) != 0)
                std::cerr << "xvs: rolling back a scheduling table failed: " << errno_text(errno) << "\n";
    }
    for (uint32_t key : to_delete)
        if (bpf_map_delete_elem(outer_fd, &key) != 0 && errno != ENOENT)
            std::cerr << "xvs: rolling back a scheduling table failed: " << errno_text(errno) << "\n";
}

void MapTransaction::rollback() noexcept {
    size_t i = undo_.size();
    while (i > 0) {
        Undo& u = undo_[i - 1];
        if (u.is_inner) {
            // The run of inner slots of one outer map: restored together.
            size_t first = i - 1;
            while (first > 0 && undo_[first - 1].is_inner && undo_[first - 1].map_fd == u.map_fd)
                --first;
            restore_inner_run(first, i);
            i = first;
            continue;
        }
        int rc = u.old_value
                     ? bpf_map_update_elem(u.map_fd, u.key.data(), u.old_value->data(), BPF_ANY)
                     : bpf_map_delete_elem(u.map_fd, u.key.data());
        if (rc != 0 && errno != ENOENT)
            std::cerr << "xvs: rolling back a BPF map write failed: " << errno_text(errno) << "\n";
        --i;
    }
    undo_.clear();
    staged_.clear();
}

}  // namespace xvs
