#include "dataplane/xdp/interface_book.h"

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace xvs {

InterfaceBook::InterfaceBook(const std::vector<std::string>& names, std::string configured_mode)
    : names_(names) {
    for (const auto& name : names_) {
        Entry e;
        e.state.name = name;
        e.state.mode = configured_mode;
        e.state.problem = "not attached yet";
        entries_.push_back(std::move(e));
    }
}

InterfaceBook::Entry& InterfaceBook::entry(const std::string& name) {
    return const_cast<Entry&>(std::as_const(*this).entry(name));
}

const InterfaceBook::Entry& InterfaceBook::entry(const std::string& name) const {
    auto it = std::find(names_.begin(), names_.end(), name);
    if (it == names_.end()) throw std::out_of_range(name + " is not a configured interface");
    return entries_[static_cast<size_t>(it - names_.begin())];
}

InterfaceStep InterfaceBook::step(const std::string& name, const InterfaceObservation& now) const {
    const InterfaceState& s = entry(name).state;
    if (now.ifindex == 0) return s.attached ? InterfaceStep::lose : InterfaceStep::keep;
    if (s.attached && s.ifindex == now.ifindex && now.our_program) return InterfaceStep::keep;
    return InterfaceStep::attach;
}

uint32_t InterfaceBook::last_ifindex(const std::string& name) const {
    return entry(name).last_ifindex;
}

void InterfaceBook::released(const std::string& name) { entry(name).last_ifindex = 0; }

bool InterfaceBook::concerns(const std::string& name, uint32_t ifindex) const {
    for (const auto& e : entries_)
        if (e.state.name == name || (ifindex != 0 && e.last_ifindex == ifindex)) return true;
    return false;
}

InterfaceNote InterfaceBook::attached(const std::string& name, uint32_t ifindex,
                                      const std::string& mode) {
    Entry& e = entry(name);
    bool again = e.ever_attached;
    bool was_missing = !e.state.attached;
    e.state.attached = true;
    e.state.ifindex = ifindex;
    e.state.mode = mode;
    e.state.problem.clear();
    e.last_ifindex = ifindex;
    e.ever_attached = true;
    if (!again) return {};
    ++e.state.reattachments;
    std::string text = name + ": XDP program attached again (" + mode + " mode, ifindex " +
                       std::to_string(ifindex) + ")";
    if (!was_missing) text += ", it had lost the program";
    return {false, text};
}

InterfaceNote InterfaceBook::lost(const std::string& name, const std::string& reason) {
    Entry& e = entry(name);
    if (!e.state.attached && e.state.problem == reason) return {};
    e.state.attached = false;
    e.state.ifindex = 0;
    e.state.problem = reason;
    return {true, name + ": " + reason +
                      "; its traffic is not balanced until the interface comes back"};
}

InterfaceNote InterfaceBook::attach_failed(const std::string& name, const std::string& error) {
    Entry& e = entry(name);
    // attach()'s errors start with the interface's name already.
    std::string text = error.rfind(name + ":", 0) == 0 ? error : name + ": " + error;
    if (!e.state.attached && e.state.problem == text) return {};
    e.state.attached = false;
    e.state.ifindex = 0;
    e.state.problem = text;
    return {true, text};
}

std::vector<InterfaceState> InterfaceBook::states() const {
    std::vector<InterfaceState> out;
    for (const auto& e : entries_) out.push_back(e.state);
    return out;
}

bool InterfaceBook::all_attached() const {
    return std::all_of(entries_.begin(), entries_.end(),
                       [](const Entry& e) { return e.state.attached; });
}

}  // namespace xvs
