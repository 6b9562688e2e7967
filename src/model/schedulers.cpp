#include "model/schedulers.h"

namespace xvs {

namespace {

template <class Entry, size_t N>
const Entry* find_by_name(const Entry (&list)[N], std::string_view name) {
    for (const auto& entry : list)
        if (entry.name == name) return &entry;
    return nullptr;
}

template <class Entry, size_t N>
std::string join_names(const Entry (&list)[N], bool only_xdp) {
    std::string out;
    for (const auto& entry : list) {
        if (only_xdp && !entry.xdp) continue;
        if (!out.empty()) out += ", ";
        out += entry.name;
    }
    return out;
}

}  // namespace

const SchedulerName* find_scheduler(std::string_view name) { return find_by_name(known_schedulers, name); }

const SchedulerFlag* find_scheduler_flag(std::string_view name) {
    return find_by_name(known_scheduler_flags, name);
}

std::string scheduler_flag_names() { return join_names(known_scheduler_flags, false); }

std::string xdp_scheduler_names() { return join_names(known_schedulers, true); }

}  // namespace xvs
