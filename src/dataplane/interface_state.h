// InterfaceState: what the XDP plane knows about one interface= it attaches
// to, as xvsadm --status, /metrics and the daemon's log report it.
//
// An interface is "attached" when the program runs on the device that has the
// configured name now; "missing" otherwise (the device is gone, was replaced
// by one with another ifindex that could not be attached, or lost the
// program). InterfaceNote is one line for the daemon's log about a change.
#pragma once

#include <cstdint>
#include <string>

namespace xvs {

struct InterfaceState {
    std::string name;
    bool attached = false;
    uint32_t ifindex = 0;  // of the device attached to; 0 when missing
    // "native" or "generic": the mode of the last attachment; before any,
    // the configured xdp-mode ("native", "generic", "automatic").
    std::string mode;
    std::string problem;  // why it is missing; empty when attached
    uint64_t reattachments = 0;  // attachments after the first one
    bool operator==(const InterfaceState&) const = default;
};

struct InterfaceNote {
    bool error = false;  // logged as an error (else as information)
    std::string text;
    bool operator==(const InterfaceNote&) const = default;
};

}  // namespace xvs
