#include "dataplane/xdp/sched_table_map.h"

#include <bpf/bpf.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "dataplane/dataplane.h"
#include "dataplane/xdp/xdp_maps_io.h"
#include "xvs/abi.h"

namespace xvs {

namespace {

// The kernel lays array elements out 8 bytes apart (round_up(value_size, 8)).
constexpr size_t stride = 8;

size_t page_size() { return static_cast<size_t>(::sysconf(_SC_PAGESIZE)); }

size_t mapped_bytes_for(size_t entries) {
    size_t page = page_size();
    return (entries * stride + page - 1) / page * page;
}

UniqueFd create_table(size_t entries, const std::string& what) {
    bpf_map_create_opts opts{};
    opts.sz = sizeof opts;
    opts.map_flags = sched_table_flags;
    UniqueFd table(bpf_map_create(BPF_MAP_TYPE_ARRAY, "xvs_sched", sizeof(uint32_t), sizeof(uint32_t),
                                  static_cast<uint32_t>(entries), &opts));
    if (!table) throw DataplaneError("creating " + what + ": " + errno_text(errno));
    return table;
}

void* map_table(int fd, size_t bytes, const std::string& what) {
    void* memory = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (memory == MAP_FAILED) throw DataplaneError("filling " + what + ": mmap: " + errno_text(errno));
    return memory;
}

void fill(uint8_t* slots, const std::vector<uint32_t>& values) {
    // A fresh array is all zeros, so only the values are written.
    for (size_t i = 0; i < values.size(); ++i) std::memcpy(slots + i * stride, &values[i], sizeof values[i]);
}

}  // namespace

UniqueFd make_sched_table_map(const std::vector<uint32_t>& values, const std::string& what) {
    UniqueFd table;
    MappedSchedTable::create(values, what, table);  // unmapped again at once
    return table;
}

MappedSchedTable MappedSchedTable::create(const std::vector<uint32_t>& values, const std::string& what,
                                          UniqueFd& fd) {
    if (values.empty()) throw DataplaneError("creating " + what + ": no entries");
    // Room to the end of the last page costs no memory the kernel would not
    // map anyway, and lets a later, longer table of the same reals fit.
    size_t bytes = mapped_bytes_for(values.size());
    size_t capacity = std::min<size_t>(bytes / stride, size_t(XVS_SCHED_TABLE_MAX) + 1);
    capacity = std::max(capacity, values.size());
    bytes = mapped_bytes_for(capacity);
    fd = create_table(capacity, what);
    MappedSchedTable table(map_table(fd.get(), bytes, what), bytes, capacity);
    fill(static_cast<uint8_t*>(table.memory_), values);
    return table;
}

MappedSchedTable::MappedSchedTable(MappedSchedTable&& other) noexcept
    : memory_(std::exchange(other.memory_, nullptr)),
      mapped_bytes_(std::exchange(other.mapped_bytes_, 0)),
      capacity_(std::exchange(other.capacity_, 0)) {}

MappedSchedTable& MappedSchedTable::operator=(MappedSchedTable&& other) noexcept {
    if (this != &other) {
        if (memory_) ::munmap(memory_, mapped_bytes_);
        memory_ = std::exchange(other.memory_, nullptr);
        mapped_bytes_ = std::exchange(other.mapped_bytes_, 0);
        capacity_ = std::exchange(other.capacity_, 0);
    }
    return *this;
}

MappedSchedTable::~MappedSchedTable() {
    if (memory_) ::munmap(memory_, mapped_bytes_);
}

uint32_t* MappedSchedTable::slot(size_t i) const {
    return reinterpret_cast<uint32_t*>(static_cast<uint8_t*>(memory_) + i * stride);
}

std::vector<uint32_t> MappedSchedTable::values() const {
    uint32_t length = __atomic_load_n(slot(0), __ATOMIC_ACQUIRE);
    std::vector<uint32_t> out(size_t(length) + 1);
    out[0] = length;
    for (size_t i = 1; i < out.size() && i < capacity_; ++i) out[i] = *slot(i);
    return out;
}

void MappedSchedTable::rewrite(const std::vector<uint32_t>& values) {
    if (values.empty() || !fits(values.size()))
        throw DataplaneError("rewriting a scheduling table: " + std::to_string(values.size()) +
                             " entries do not fit in " + std::to_string(capacity_));
    // Slots first, the length last (see the class comment).
    for (size_t i = 1; i < values.size(); ++i) __atomic_store_n(slot(i), values[i], __ATOMIC_RELAXED);
    __atomic_store_n(slot(0), values[0], __ATOMIC_RELEASE);
}

}  // namespace xvs
