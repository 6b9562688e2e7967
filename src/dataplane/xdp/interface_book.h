// InterfaceBook: the XDP plane's record of its interface= attachments, and
// the decision what to do with each when the kernel's links change.
//
// Pure bookkeeping, no kernel: XdpDataplane observes each configured name
// (its ifindex now, 0 when no device has it, and whether this program is
// attached there), asks step() what to do, does it, and reports the outcome
// (attached(), lost(), attach_failed()). Each report returns the log line the
// change deserves: a loss is an error, a re-attachment information, a failed
// attach an error once per distinct reason; nothing when the state is the
// same as before (the same loss seen twice is logged once).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dataplane/interface_state.h"

namespace xvs {

// What the kernel says about a configured name now.
struct InterfaceObservation {
    uint32_t ifindex = 0;      // 0: no device has this name
    bool our_program = false;  // this plane's program is attached to that device
};

enum class InterfaceStep {
    keep,    // as recorded: attached where it should be, or still missing
    lose,    // was attached, the device is gone: forget its ifindex
    attach,  // a device has the name and lacks the program: attach there
};

class InterfaceBook {
   public:
    // `configured_mode`: xdp-mode as configured, the mode shown until a first attach.
    InterfaceBook(const std::vector<std::string>& names, std::string configured_mode);

    const std::vector<std::string>& names() const { return names_; }
    InterfaceStep step(const std::string& name, const InterfaceObservation& now) const;
    // The ifindex `name` was last attached to while its per-device state
    // (attachment, map entries) is held: 0 when never attached or once
    // released() says that state is gone.
    uint32_t last_ifindex(const std::string& name) const;
    void released(const std::string& name);
    // Whether a link event about `name` or `ifindex` can change this book.
    bool concerns(const std::string& name, uint32_t ifindex) const;

    InterfaceNote attached(const std::string& name, uint32_t ifindex, const std::string& mode);
    InterfaceNote lost(const std::string& name, const std::string& reason);
    InterfaceNote attach_failed(const std::string& name, const std::string& error);

    std::vector<InterfaceState> states() const;
    bool all_attached() const;

   private:
    struct Entry {
        InterfaceState state;
        uint32_t last_ifindex = 0;
        bool ever_attached = false;
    };
    Entry& entry(const std::string& name);
    const Entry& entry(const std::string& name) const;

    std::vector<std::string> names_;
    std::vector<Entry> entries_;  // in names_ order
};

}  // namespace xvs
