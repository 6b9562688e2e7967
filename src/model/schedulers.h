// The schedulers and scheduler flags of IPVS that xvs knows, and which of
// them the XDP data plane runs.
//
// The one list behind scheduler= and schedflags= (config), -s and -b
// (xvsadm) and the XDP plane's check of what it can serve. IPVS runs every
// scheduler its kernel has; a name not listed here is still passed to it.
#pragma once

#include <string>
#include <string_view>

namespace xvs {

struct SchedulerName {
    std::string_view name;
    bool xdp;  // the XDP program implements it (dataplane/xdp/sched_table.h)
};

// The schedulers IPVS ships, those XDP runs first.
inline constexpr SchedulerName known_schedulers[] = {
    {"rr", true},    {"wrr", true},  {"sh", true},  {"dh", true},    {"mh", true},
    {"lc", false},   {"wlc", false}, {"lblc", false}, {"lblcr", false}, {"sed", false},
    {"nq", false},   {"fo", false},  {"ovf", false}, {"twos", false},
};

struct SchedulerFlag {
    std::string_view name;
    bool xdp;  // the XDP plane honours it (sh/mh: hash the port too, or fall back)
};

// ipvsadm -b's names, in its order.
inline constexpr SchedulerFlag known_scheduler_flags[] = {
    {"sh-fallback", true}, {"sh-port", true}, {"mh-fallback", true}, {"mh-port", true},
    {"flag-1", false},     {"flag-2", false}, {"flag-3", false},
};

// nullptr when the name is not listed.
const SchedulerName* find_scheduler(std::string_view name);
const SchedulerFlag* find_scheduler_flag(std::string_view name);

// "sh-fallback, sh-port, ..., flag-3": every flag, for messages.
std::string scheduler_flag_names();
// "rr, wrr, sh, dh, mh": the schedulers XDP runs, for messages.
std::string xdp_scheduler_names();

}  // namespace xvs
