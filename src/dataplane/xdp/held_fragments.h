// HeldFragments: user space's half of holding later IP fragments that arrive
// before their datagram's first (bpf/lib/frag.h has the program's half and
// the bounds).
//
// The program copies such a fragment into a slot of xvs_frag_held, drops it,
// and posts the datagram's key on xvs_frag_ready once the first fragment has
// decided. take_decided() reads the slots through mmap and takes each frame
// whose datagram now has a decision (READY -> REPLAYING by compare-and-
// exchange, copy, REPLAYING -> FREE; a failed last step means the program
// reclaimed the slot and the copy is not used). replay() sends frames through
// the program with BPF_PROG_TEST_RUN in live-frames mode
// (BPF_F_TEST_XDP_LIVE_FRAMES, Linux >= 5.18), each on the interface it
// arrived on: there it follows the decision and is transmitted for real
// (XDP_TX / XDP_REDIRECT), or enters the stack (XDP_PASS) when its first
// fragment went there. expire() runs xvs_frag_expire, which frees the slots of
// frames held longer than XVS_FRAG_HOLD_NS (counted as XVS_STAT_FRAG_EXPIRED).
//
// FragmentReplayer does all three on a thread of its own, so the daemon's
// event loop never waits for it: woken by the ring buffer, and every
// fragment_sweep to expire and to make up for notifications a full ring lost.
// Replay uses the current thread's network namespace (the daemon's).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

#include "common/unique_fd.h"
#include "xvs/abi.h"

struct ring_buffer;

namespace xvs {

struct HeldFrame {
    uint32_t ifindex = 0;
    std::vector<uint8_t> bytes;
};

class HeldFragments {
   public:
    // The fds stay owned by the caller and must outlive this object.
    HeldFragments(int held_map_fd, int frags_map_fd, int program_fd, int expire_program_fd);
    ~HeldFragments();
    HeldFragments(const HeldFragments&) = delete;
    HeldFragments& operator=(const HeldFragments&) = delete;

    // Frames whose datagram has a decision now; their slots are free again.
    std::vector<HeldFrame> take_decided();
    // Sends each frame through the program (live frames). Throws
    // DataplaneError naming the interface and the kernel's reason.
    void replay(const std::vector<HeldFrame>& frames) const;
    // Frees the slots of expired frames (xvs_frag_expire). Throws DataplaneError.
    void expire() const;
    // Slots holding a frame that waits for its first fragment.
    size_t waiting() const;

   private:
    xvs_held_frag& slot(uint32_t index) const;
    bool decided(const xvs_frag_key& key, uint64_t now_ns) const;

    void* memory_ = nullptr;
    size_t memory_size_ = 0;
    size_t stride_ = 0;
    int frags_fd_, program_fd_, expire_fd_;
};

inline constexpr std::chrono::milliseconds fragment_sweep{250};

class FragmentReplayer {
   public:
    // Starts the thread; `held` must outlive this object.
    FragmentReplayer(HeldFragments& held, int ready_ringbuf_fd);
    ~FragmentReplayer();  // stops and joins the thread
    FragmentReplayer(const FragmentReplayer&) = delete;
    FragmentReplayer& operator=(const FragmentReplayer&) = delete;

    // Frames replayed so far.
    uint64_t replayed() const { return replayed_.load(); }

   private:
    void run();
    void work();

    HeldFragments& held_;
    ring_buffer* ring_ = nullptr;
    UniqueFd epoll_;
    UniqueFd stop_;  // eventfd
    std::atomic<uint64_t> replayed_{0};
    bool error_reported_ = false;
    std::thread thread_;
};

}  // namespace xvs
