// HealthBridge: between the parsed configuration, the HealthChecker and the
// model. It decides what is checked, keeps what the checks said, and gives
// build_model() the HealthView of the moment.
//
// Contract:
//  - plan_health_checks(config) maps every real of every virtual onto one
//    CheckSpec (ldirectord's settings: checktype, service, checkport,
//    request/receive with the per-real pair first, httpmethod, virtualhost,
//    the timeouts, failurecount, checkinterval). checktype=on and off need no
//    probe and give none (build_model() handles them); fallback servers are
//    never checked, as in ldirectord. A spec the checker cannot run
//    (checktype=external-perl, service=ftp, ...) makes it throw ConfigError
//    with "FILE:LINE: ..." (the real's line), so a daemon refuses such a file
//    at start and keeps its running state on reload.
//  - Subscriber ids name a (virtual, effective real) pair and stay the same
//    across reloads while the pair exists, so HealthChecker::set_checks keeps
//    the state of unchanged checks. A pair new to the bridge starts unknown,
//    which counts as down (ldirectord checks every real at start-up before
//    adding it); a pair whose check settings changed keeps its last state
//    until its new check reports.
//  - seed_serving(status) is for the start of a daemon that found its data
//    plane already serving (a restart after cleanstop=no): a real that is
//    still unknown and that the plane serves with a weight other than 0
//    starts up instead, as ldirectord keeps the reals it finds in the IPVS
//    table at start. The checker is told to start those as up too
//    (HealthChecker::set_checks' assume_up), so failurecount counts from
//    there, as ldirectord counts failures of a real it found in the table.
//    A real found with weight 0 (quiescent) or not found stays unknown.
//  - apply(changes) records the checker's results; poll_maintenance() looks
//    for ldirectord's maintenancedir files (by address and port; names are
//    not reverse-resolved, that would block the control loop), reading the
//    directory once and looking only at the reals its files name. A real is down
//    in view() when it is unknown, checked down, or in maintenance.
//  - Both return one log line per real whose effective state changed:
//    "TCP 192.168.239.250:80: real 192.168.239.129:80 up -> down (receive did not match)",
//    and add the services of those reals to `touched`: what the daemon then
//    rebuilds (DesiredState::change_for()), nothing else.
//  - With `events`, both also say what happened in structured form, for the
//    operator's hooks (operator_hooks.h): every effective change of a real
//    (HealthEvents::transitions, also a first result) and, from apply(),
//    every check result handed in (HealthEvents::outcomes, the checker hands
//    in unchanged results only for report_every_result subscribers), as the
//    real stands after it: down "Server in maintenance" while in maintenance.
//  - unknown_count(): reals still waiting for their first result.
//  - view() is kept up to date as results come (never rebuilt per result).
#pragma once

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "config/config.h"
#include "dataplane/dataplane.h"
#include "health/check_spec.h"
#include "model/build.h"
#include "model/diff.h"
#include "model/model.h"

namespace xvs {

// One checked real: which virtual and real a subscriber stands for.
struct CheckedReal {
    ServiceKey service;
    RealKey real;           // effective key (effective_real_key())
    CheckSpec spec;
};

// "TCP 192.168.239.250:80", "UDP [2001:db8::1]:53", "FWM 100".
std::string describe_virtual(const ServiceKey& service);

// The check of one real of one virtual. Throws std::invalid_argument when the
// checker cannot run it (validate_check_spec()).
CheckSpec make_check_spec(const VirtualConfig& virt, const RealConfig& real);
// The same with the real's effective key already known (plan_health_checks()).
CheckSpec make_check_spec(const VirtualConfig& virt, const RealConfig& real, const RealKey& effective);

// Every check the configuration asks for, keyed by (virtual, effective real).
// Throws ConfigError ("FILE:LINE: ...", every refused real) as described above.
std::map<std::pair<ServiceKey, RealKey>, CheckSpec> plan_health_checks(const Config& config);

// Log lines for the fallback servers a change puts in or takes out:
// "TCP 192.168.239.250:80: fallback 127.0.0.1:80 on (no real is up)".
std::vector<std::string> fallback_transitions(const ModelDiff& change);

// A real's effective state changed (or it got its first result).
struct RealTransition {
    ServiceKey service;
    RealKey real;
    bool down = false;  // the new state
    std::string reason;
};

// One check result as monitorfile= logs it.
struct CheckOutcome {
    ServiceKey service;
    RealKey real;
    bool up = false;
    std::string message;
};

struct HealthEvents {
    std::vector<RealTransition> transitions;
    std::vector<CheckOutcome> outcomes;
};

class HealthBridge {
   public:
    // Takes the checks of a new configuration (from plan_health_checks());
    // returns what HealthChecker::set_checks() needs.
    std::vector<std::pair<SubscriberId, CheckSpec>> set_plan(
        const std::map<std::pair<ServiceKey, RealKey>, CheckSpec>& plan);

    // Marks unknown reals that `serving` lists with a weight other than 0 as
    // up; returns their subscriber ids.
    std::set<SubscriberId> seed_serving(const std::vector<ServiceStatus>& serving);

    // Records the checker's results; log lines for effective changes.
    std::vector<std::string> apply(const std::vector<StateChange>& changes,
                                   std::set<ServiceKey>* touched = nullptr,
                                   HealthEvents* events = nullptr);

    // Re-reads maintenancedir (empty = none); log lines for effective changes.
    std::vector<std::string> poll_maintenance(const std::string& dir,
                                              std::set<ServiceKey>* touched = nullptr,
                                              HealthEvents* events = nullptr);

    const HealthView& view() const { return view_; }
    size_t unknown_count() const { return unknown_; }

   private:
    enum class State { unknown, up, down };
    struct Entry {
        CheckedReal checked;
        State state = State::unknown;
        std::string reason = "not checked yet";
        bool in_maintenance = false;
    };
    static bool is_down(const Entry& e) {
        return e.in_maintenance || e.state != State::up;
    }
    static std::string state_name(const Entry& e);
    // After `e` changed: the view follows, its service is touched.
    void note(const Entry& e, std::set<ServiceKey>* touched);

    void count_unknown();

    std::map<SubscriberId, Entry> entries_;
    size_t unknown_ = 0;
    std::map<std::pair<ServiceKey, RealKey>, SubscriberId> ids_;
    SubscriberId next_id_ = 1;
    HealthView view_;
    // Maintenance file name -> the checked reals it names; and who is in
    // maintenance now: a poll looks at the directory's files, not at every real.
    std::map<std::string, std::vector<SubscriberId>> maintenance_index_;
    std::set<SubscriberId> maintained_;
};

}  // namespace xvs
