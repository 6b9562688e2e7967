#include "dataplane/ipvs/ipvs_dataplane.h"

#include <cerrno>
#include <fstream>
#include <functional>
#include <optional>

#include "common/errno_text.h"

#include "dataplane/ipvs/ip_vs_conn.h"
#include "dataplane/ipvs/ipvs_error.h"

namespace xvs {

namespace {

// Commands done so far and how to undo each, newest last.
class Journal {
   public:
    void done(std::function<void()> undo) { undo_.push_back(std::move(undo)); }

    // Undoes everything in reverse; returns the messages of undo steps that
    // failed (the kernel may refuse, e.g. if someone else changed IPVS).
    std::vector<std::string> roll_back() {
        std::vector<std::string> failures;
        for (auto it = undo_.rbegin(); it != undo_.rend(); ++it) {
            try {
                (*it)();
            } catch (const std::exception& e) {
                failures.emplace_back(e.what());
            }
        }
        undo_.clear();
        return failures;
    }

   private:
    std::vector<std::function<void()>> undo_;
};

}  // namespace

std::unique_ptr<IpvsDataplane> IpvsDataplane::open(const std::string& instance) {
    return std::make_unique<IpvsDataplane>(std::make_unique<IpvsClient>(),
                                           std::make_unique<NftFwmarkRules>(instance));
}

IpvsDataplane::IpvsDataplane(std::unique_ptr<IpvsCommands> ipvs, std::unique_ptr<FwmarkRules> rules,
                             std::string connection_table_path, std::string sysctl_dir)
    : ipvs_(std::move(ipvs)),
      rules_(std::move(rules)),
      connection_table_path_(std::move(connection_table_path)),
      sysctl_dir_(std::move(sysctl_dir)) {}

std::vector<std::string> IpvsDataplane::unsupported(const Model&) const { return {}; }

void IpvsDataplane::check_ownership(const ModelDiff& change) const {
    auto owned = [&](const ServiceKey& key) { return programmed_.services.count(key) != 0; };
    auto refuse = [](const std::string& what) {
        throw DataplaneError("IPVS: refusing to change " + what + ": not programmed by xvs");
    };
    for (const auto& s : change.removed_services)
        if (!owned(s.key)) refuse(ipvs_service_label(s.key));
    for (const auto& c : change.changed_services)
        if (!owned(c.before.key)) refuse(ipvs_service_label(c.before.key));
    for (const auto& s : change.added_services)
        if (owned(s.key))
            throw DataplaneError("IPVS: " + ipvs_service_label(s.key) + " is already programmed");
    auto owned_real = [&](const ServiceKey& svc, const RealKey& real) {
        auto it = programmed_.services.find(svc);
        return it != programmed_.services.end() && it->second.reals.count(real) != 0;
    };
    for (const auto& r : change.removed_reals)
        if (!owned_real(r.service, r.real.key))
            refuse(r.real.key.to_string() + " in " + ipvs_service_label(r.service));
    for (const auto& r : change.changed_reals)
        if (!owned_real(r.service, r.before.key))
            refuse(r.before.key.to_string() + " in " + ipvs_service_label(r.service));
    for (const auto& r : change.added_reals)
        if (!owned(r.service)) refuse(ipvs_service_label(r.service));
}

namespace {

// Whether the change adds, removes or edits a firewall-mark service: only
// then can the MARK rules (match= lines) differ.
bool touches_marks(const ModelDiff& change) {
    auto mark = [](const ServiceKey& k) { return k.protocol == Protocol::fwmark; };
    for (const auto& s : change.added_services)
        if (mark(s.key)) return true;
    for (const auto& s : change.removed_services)
        if (mark(s.key)) return true;
    for (const auto& c : change.changed_services)
        if (mark(c.after.key) && c.before.matches != c.after.matches) return true;
    return false;
}

}  // namespace

const VirtualService* IpvsDataplane::programmed_service(const ServiceKey& key) const {
    auto it = programmed_.services.find(key);
    return it == programmed_.services.end() ? nullptr : &it->second;
}

void IpvsDataplane::apply(const ModelDiff& change) {
    check_ownership(change);
    // The rules are rewritten from the whole model, so the model after the
    // change is built only when a mark service changes.
    std::optional<Model> marks_after;
    if (touches_marks(change)) {
        marks_after = programmed_;
        apply_diff(*marks_after, change);
    }
    IpvsCommands& ipvs = *ipvs_;
    Journal journal;
    try {
        for (const auto& r : change.removed_reals) {
            ipvs.delete_destination(r.service, r.real.key);
            journal.done([&ipvs, r] { ipvs.add_destination(r.service, r.real); });
        }
        for (const auto& s : change.removed_services) {
            ipvs.delete_service(s.key);
            journal.done([&ipvs, s] {
                ipvs.add_service(s);
                for (const auto& [key, real] : s.reals) ipvs.add_destination(s.key, real);
            });
        }
        for (const auto& c : change.changed_services) {
            ipvs.edit_service(c.after);
            journal.done([&ipvs, c] { ipvs.edit_service(c.before); });
        }
        for (const auto& s : change.added_services) {
            ipvs.add_service(s);
            journal.done([&ipvs, key = s.key] { ipvs.delete_service(key); });
            for (const auto& [key, real] : s.reals) {
                ipvs.add_destination(s.key, real);
                journal.done([&ipvs, svc = s.key, key] { ipvs.delete_destination(svc, key); });
            }
        }
        for (const auto& r : change.changed_reals) {
            ipvs.edit_destination(r.service, r.after);
            journal.done([&ipvs, r] { ipvs.edit_destination(r.service, r.before); });
        }
        for (const auto& r : change.added_reals) {
            ipvs.add_destination(r.service, r.real);
            journal.done([&ipvs, r] { ipvs.delete_destination(r.service, r.real.key); });
        }
        if (marks_after && fwmark_rule_lines(programmed_) != fwmark_rule_lines(*marks_after)) {
            rules_->install(*marks_after);
            // Nothing can fail after this step; no undo entry needed.
        }
    } catch (const std::exception& e) {
        std::string message = e.what();
        auto failures = journal.roll_back();
        if (!failures.empty()) {
            message += " (rollback incomplete: " + failures.front();
            if (failures.size() > 1) message += " and " + std::to_string(failures.size() - 1) + " more";
            message += ")";
        }
        throw DataplaneError(message);
    }
    if (marks_after)
        programmed_ = std::move(*marks_after);
    else
        apply_diff(programmed_, change);
}

void IpvsDataplane::adopt(const Model& model) {
    if (!fwmark_rule_lines(model).empty()) rules_->install(model);
    programmed_ = model;
}

void IpvsDataplane::clear() {
    ModelDiff everything;
    for (const auto& [key, svc] : programmed_.services) everything.removed_services.push_back(svc);
    apply(everything);
}

std::vector<ServiceStatus> IpvsDataplane::status() const {
    std::vector<ServiceStatus> out;
    for (auto& s : ipvs_->services()) {
        if (!programmed_.services.count(s.key)) continue;  // not ours
        s.reals = ipvs_->destinations(s.key);
        out.push_back(std::move(s));
    }
    return out;
}

std::unique_ptr<ConnectionCursor> IpvsDataplane::connection_cursor() const {
    // The kernel writes the whole file on read; the cursor reads it on the
    // thread that drives it.
    return std::make_unique<ReadOnceCursor>([path = connection_table_path_] { return read_ip_vs_conn(path); });
}

void IpvsDataplane::zero_counters() {
    for (const auto& [key, svc] : programmed_.services) ipvs_->zero(key);
}

void IpvsDataplane::set_timeouts(const ConnectionTimeouts& change) { ipvs_->set_timeouts(change); }

ConnectionTimeouts IpvsDataplane::timeouts() const { return ipvs_->timeouts(); }

namespace {

void write_sysctl(const std::string& path, int value) {
    std::ofstream out(path);
    if (!out) throw DataplaneError("cannot write " + path + ": " + errno_text(errno));
    out << value << '\n';
    out.close();
    if (!out) throw DataplaneError("cannot write " + path + ": " + errno_text(errno));
}

}  // namespace

void IpvsDataplane::set_behaviour(const IpvsBehaviour& behaviour) {
    // All four, so the file's values (or the defaults) win over ones set by
    // hand, as they do on XDP.
    write_sysctl(sysctl_dir_ + "/expire_nodest_conn", behaviour.expire_nodest_conn);
    write_sysctl(sysctl_dir_ + "/expire_quiescent_template", behaviour.expire_quiescent_template);
    write_sysctl(sysctl_dir_ + "/sloppy_tcp", behaviour.sloppy_tcp);
    write_sysctl(sysctl_dir_ + "/conn_reuse_mode", behaviour.conn_reuse_mode);
}

void IpvsDataplane::zero_service_counters(const ServiceKey& service) {
    if (!programmed_.services.count(service))
        throw IpvsError(ipvs_service_label(service) + ": " +
                            ipvs_error_text(IpvsOperation::zero, ESRCH),
                        ESRCH);
    ipvs_->zero(service);
}

}  // namespace xvs
