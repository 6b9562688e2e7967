#include "dataplane/xdp/map_transaction.h"

#include <bpf/bpf.h>

#include <cerrno>
#include <cstring>
#include <iostream>

#include "dataplane/dataplane.h"

namespace xvs {

namespace {

uint32_t value_size_of(int map_fd) {
    bpf_map_info info{};
    uint32_t len = sizeof info;
    if (bpf_obj_get_info_by_fd(map_fd, &info, &len) != 0)
        throw DataplaneError(std::string("reading BPF map info: ") + std::strerror(errno));
    return info.value_size;
}

}  // namespace

MapTransaction::~MapTransaction() {
    if (!committed_) rollback();
}

std::optional<std::vector<uint8_t>> MapTransaction::read(int map_fd,
                                                         std::span<const uint8_t> key) const {
    std::vector<uint8_t> value(value_size_of(map_fd));
    if (bpf_map_lookup_elem(map_fd, key.data(), value.data()) != 0) return std::nullopt;
    return value;
}

void MapTransaction::update(int map_fd, std::span<const uint8_t> key,
                            std::span<const uint8_t> value, const std::string& what) {
    Undo u{map_fd, {key.begin(), key.end()}, read(map_fd, key)};
    if (bpf_map_update_elem(map_fd, key.data(), value.data(), BPF_ANY) != 0)
        throw DataplaneError("writing " + what + ": " + std::strerror(errno));
    undo_.push_back(std::move(u));
}

void MapTransaction::erase(int map_fd, std::span<const uint8_t> key, const std::string& what) {
    auto old = read(map_fd, key);
    if (!old) return;
    if (bpf_map_delete_elem(map_fd, key.data()) != 0)
        throw DataplaneError("deleting " + what + ": " + std::strerror(errno));
    undo_.push_back(Undo{map_fd, {key.begin(), key.end()}, std::move(old)});
}

void MapTransaction::set_inner(int outer_fd, uint32_t key, int inner_fd, const std::string& what) {
    Undo u{outer_fd, {}, std::nullopt, true};
    u.key.resize(sizeof key);
    std::memcpy(u.key.data(), &key, sizeof key);
    uint32_t old_id = 0;
    if (bpf_map_lookup_elem(outer_fd, &key, &old_id) == 0) {
        int fd = bpf_map_get_fd_by_id(old_id);
        if (fd < 0)
            throw DataplaneError("opening the previous " + what + ": " + std::strerror(errno));
        u.old_inner.reset(fd);
        u.old_value = std::vector<uint8_t>{};  // marks "had one"
    }
    int rc = inner_fd >= 0 ? bpf_map_update_elem(outer_fd, &key, &inner_fd, BPF_ANY)
                           : bpf_map_delete_elem(outer_fd, &key);
    if (rc != 0 && !(inner_fd < 0 && errno == ENOENT))
        throw DataplaneError("writing " + what + ": " + std::strerror(errno));
    undo_.push_back(std::move(u));
}

void MapTransaction::commit() {
    committed_ = true;
    undo_.clear();
}

void MapTransaction::rollback() noexcept {
    for (auto it = undo_.rbegin(); it != undo_.rend(); ++it) {
        int rc;
        if (it->is_inner) {
            int fd = it->old_inner.get();
            rc = it->old_value ? bpf_map_update_elem(it->map_fd, it->key.data(), &fd, BPF_ANY)
                               : bpf_map_delete_elem(it->map_fd, it->key.data());
        } else if (it->old_value) {
            rc = bpf_map_update_elem(it->map_fd, it->key.data(), it->old_value->data(), BPF_ANY);
        } else {
            rc = bpf_map_delete_elem(it->map_fd, it->key.data());
        }
        if (rc != 0 && errno != ENOENT)
            std::cerr << "xvs: rolling back a BPF map write failed: " << std::strerror(errno)
                      << "\n";
    }
    undo_.clear();
}

}  // namespace xvs
