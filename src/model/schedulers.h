// The schedulers and scheduler flags of IPVS that xvs knows, and which of
// them the XDP data plane runs.
//
// The one list behind scheduler= and schedflags= (config), -b (xvsadm), the
// XDP plane's check of what it can serve and the IPVS plane's flag bits. IPVS runs every
// scheduler its kernel has; a name not listed here is still passed to it.
#pragma once

#include <string>
#include <string_view>

namespace xvs {

struct SchedulerName {
    std::string_view name;
    bool xdp;  // the XDP program implements it (dataplane/xdp/sched_table.h)
};

// The schedulers IPVS ships, those XDP runs first: the table schedulers, then
// those that pick by the live connection counts (at most XVS_SCHED_LIST_MAX
// reals on XDP). lblc and lblcr keep per-destination-address state and twos
// draws random numbers: IPVS only.
inline constexpr SchedulerName known_schedulers[] = {
    {"rr", true},  {"wrr", true}, {"sh", true},  {"dh", true},   {"mh", true},    {"lc", true},    {"wlc", true},
    {"sed", true}, {"nq", true},  {"fo", true},  {"ovf", true},  {"lblc", false}, {"lblcr", false}, {"twos", false},
};

struct SchedulerFlag {
    std::string_view name;
    bool xdp;                   // the XDP plane honours it (sh/mh: hash the port too, or fall back)
    std::string_view scheduler; // the one scheduler it belongs to; empty: any
    unsigned ipvs_flag;         // IPVS's IP_VS_SVC_F_SCHEDn it is: n (1..3)
};

// ipvsadm -b's names, in its order. sh and mh give SCHED1 and SCHED2 their
// own names; flag-N is SCHEDN for any scheduler.
inline constexpr SchedulerFlag known_scheduler_flags[] = {
    {"sh-fallback", true, "sh", 1}, {"sh-port", true, "sh", 2},
    {"mh-fallback", true, "mh", 1}, {"mh-port", true, "mh", 2},
    {"flag-1", false, "", 1},       {"flag-2", false, "", 2}, {"flag-3", false, "", 3},
};

// nullptr when the name is not listed.
const SchedulerName* find_scheduler(std::string_view name);
const SchedulerFlag* find_scheduler_flag(std::string_view name);

// "sh-fallback, sh-port, ..., flag-3": every flag, for messages.
std::string scheduler_flag_names();
// "rr, wrr, sh, dh, mh, lc, ...": the schedulers XDP runs, for messages.
std::string xdp_scheduler_names();

}  // namespace xvs
