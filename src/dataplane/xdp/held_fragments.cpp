#include "dataplane/xdp/held_fragments.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <net/if.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <iostream>

#include "dataplane/dataplane.h"
#include "dataplane/xdp/xdp_maps_io.h"

namespace xvs {

namespace {

// How long ago the program stamped `then`: signed, since its clock may run a
// tick ahead of ours.
int64_t age(uint64_t now, uint64_t then) { return static_cast<int64_t>(now - then); }

std::atomic_ref<__u64> state_of(xvs_held_frag& s) { return std::atomic_ref<__u64>(s.state); }

std::string interface_name(uint32_t ifindex) {
    char name[IF_NAMESIZE] = {};
    if (if_indextoname(ifindex, name)) return name;
    return "ifindex " + std::to_string(ifindex);
}

}  // namespace

HeldFragments::HeldFragments(int held_map_fd, int frags_map_fd, int program_fd,
                             int expire_program_fd)
    : frags_fd_(frags_map_fd), program_fd_(program_fd), expire_fd_(expire_program_fd) {
    // Array elements are laid out at value sizes rounded up to 8 bytes.
    stride_ = (sizeof(xvs_held_frag) + 7) & ~size_t(7);
    long page = sysconf(_SC_PAGESIZE);
    memory_size_ = (stride_ * XVS_FRAG_HOLD_SLOTS + page - 1) / page * page;
    void* m = mmap(nullptr, memory_size_, PROT_READ | PROT_WRITE, MAP_SHARED, held_map_fd, 0);
    if (m == MAP_FAILED) throw DataplaneError("mapping xvs_frag_held: " + errno_text(errno));
    memory_ = m;
}

HeldFragments::~HeldFragments() { munmap(memory_, memory_size_); }

xvs_held_frag& HeldFragments::slot(uint32_t index) const {
    return *reinterpret_cast<xvs_held_frag*>(static_cast<uint8_t*>(memory_) + index * stride_);
}

// The same test the program's frag_decision() makes, so that a replayed frame
// is never held again for want of a decision it was replayed for.
bool HeldFragments::decided(const xvs_frag_key& key, uint64_t now_ns) const {
    xvs_frag f{};
    if (bpf_map_lookup_elem(frags_fd_, &key, &f) != 0) return false;
    return !(f.flags & XVS_FRAG_F_WAITING) &&
           age(now_ns, f.created_ns) <= static_cast<int64_t>(XVS_TIMEOUT_FRAG);
}

std::vector<HeldFrame> HeldFragments::take_decided() {
    std::vector<HeldFrame> frames;
    uint64_t now = monotonic_ns();
    for (uint32_t i = 0; i < XVS_FRAG_HOLD_SLOTS; ++i) {
        xvs_held_frag& s = slot(i);
        auto state = state_of(s);
        if (state.load(std::memory_order_acquire) != XVS_HELD_READY) continue;
        xvs_frag_key key = s.key;
        // Expired frames are left to expire(), which counts them.
        if (age(now, s.held_ns) > static_cast<int64_t>(XVS_FRAG_HOLD_NS) || !decided(key, now))
            continue;
        __u64 expected = XVS_HELD_READY;
        if (!state.compare_exchange_strong(expected, XVS_HELD_REPLAYING)) continue;
        HeldFrame frame;
        frame.ifindex = s.ifindex;
        uint32_t len = std::min<uint32_t>(s.len, XVS_FRAG_HOLD_BYTES);
        frame.bytes.assign(s.data, s.data + len);
        expected = XVS_HELD_REPLAYING;
        if (state.compare_exchange_strong(expected, XVS_HELD_FREE))
            frames.push_back(std::move(frame));
    }
    return frames;
}

void HeldFragments::replay(const std::vector<HeldFrame>& frames) const {
    for (const auto& frame : frames) {
        xdp_md ctx{};
        ctx.data_end = static_cast<uint32_t>(frame.bytes.size());
        ctx.ingress_ifindex = frame.ifindex;
        bpf_test_run_opts opts{};
        opts.sz = sizeof opts;
        opts.data_in = frame.bytes.data();
        opts.data_size_in = static_cast<uint32_t>(frame.bytes.size());
        opts.ctx_in = &ctx;
        opts.ctx_size_in = sizeof ctx;
        opts.repeat = 1;
        opts.flags = BPF_F_TEST_XDP_LIVE_FRAMES;
        if (int err = bpf_prog_test_run_opts(program_fd_, &opts); err != 0)
            throw DataplaneError("replaying a held fragment on " + interface_name(frame.ifindex) +
                                 " (BPF_PROG_TEST_RUN, live frames): " + errno_text(err));
    }
}

void HeldFragments::expire() const {
    std::vector<uint8_t> frame(64, 0);
    bpf_test_run_opts opts{};
    opts.sz = sizeof opts;
    opts.data_in = frame.data();
    opts.data_size_in = static_cast<uint32_t>(frame.size());
    opts.repeat = 1;
    if (int err = bpf_prog_test_run_opts(expire_fd_, &opts); err != 0)
        throw DataplaneError("expiring held fragments (xvs_frag_expire): " + errno_text(err));
}

size_t HeldFragments::waiting() const {
    size_t n = 0;
    for (uint32_t i = 0; i < XVS_FRAG_HOLD_SLOTS; ++i)
        if (state_of(slot(i)).load(std::memory_order_acquire) == XVS_HELD_READY) ++n;
    return n;
}

namespace {
int ignore_notification(void*, void*, size_t) { return 0; }  // the slots say what to do
}  // namespace

FragmentReplayer::FragmentReplayer(HeldFragments& held, int ready_ringbuf_fd) : held_(held) {
    ring_ = ring_buffer__new(ready_ringbuf_fd, ignore_notification, nullptr, nullptr);
    if (!ring_) throw DataplaneError("opening xvs_frag_ready: " + errno_text(errno));
    epoll_.reset(epoll_create1(EPOLL_CLOEXEC));
    stop_.reset(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    epoll_event ev{};
    ev.events = EPOLLIN;
    if (!epoll_ || !stop_ || epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, stop_.get(), &ev) != 0 ||
        epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, ring_buffer__epoll_fd(ring_), &ev) != 0) {
        int err = errno;
        ring_buffer__free(ring_);
        throw DataplaneError("setting up the fragment replay thread: " + errno_text(err));
    }
    thread_ = std::thread([this] { run(); });
}

FragmentReplayer::~FragmentReplayer() {
    uint64_t one = 1;
    if (write(stop_.get(), &one, sizeof one) != sizeof one)
        std::cerr << "xvs: stopping the fragment replay thread: " << errno_text(errno) << "\n";
    thread_.join();
    ring_buffer__free(ring_);
}

void FragmentReplayer::run() {
    for (;;) {
        epoll_event events[2];
        int n = epoll_wait(epoll_.get(), events, 2, int(fragment_sweep.count()));
        if (n < 0 && errno != EINTR) {
            std::cerr << "xvs: fragment replay thread: epoll: " << errno_text(errno) << "\n";
            return;
        }
        uint64_t stop = 0;
        if (read(stop_.get(), &stop, sizeof stop) == sizeof stop) return;
        if (ring_buffer__consume(ring_) < 0 && !error_reported_) {
            std::cerr << "xvs: reading xvs_frag_ready failed\n";
            error_reported_ = true;
        }
        work();
    }
}

void FragmentReplayer::work() {
    try {
        held_.expire();
        auto frames = held_.take_decided();
        held_.replay(frames);
        replayed_ += frames.size();
    } catch (const std::exception& e) {
        // Once: a kernel that refuses live frames refuses every one.
        if (!error_reported_) std::cerr << "xvs: " << e.what() << "\n";
        error_reported_ = true;
    }
}

}  // namespace xvs
