// IpvsDataplane: the model programmed into the kernel's IPVS (the fallback
// when XDP cannot run, or `dataplane=ipvs`).
//
// Contract (on top of Dataplane's):
//  - It only touches services it programmed itself: ownership is the model it
//    last applied (programmed()), never a dump of the kernel. Services created
//    by someone else (ipvsadm, keepalived) are neither listed by status(),
//    changed, zeroed nor removed; a diff that would touch a service or real
//    xvs does not own is refused before any command is sent.
//  - apply() is all or nothing: commands run in order (removed reals, removed
//    services, changed services, added services with their reals, changed
//    reals, added reals, then the fwmark rules); when one fails, the ones
//    already done are undone in reverse and DataplaneError carries the
//    kernel's message ("10.0.0.2:80 in TCP 10.0.0.1:80: No such destination").
//  - Health decisions need nothing special: quiescent=yes arrives as a weight
//    change to 0, quiescent=no as a removed real.
//  - Firewall-mark services with match= lines get their MARK rules from
//    FwmarkRules (nftables table inet xvs_<instance>).
//  - connections() reads /proc/net/ip_vs_conn (see ip_vs_conn.h).
//  - unsupported() is always empty: IPVS runs every scheduler; an unknown
//    scheduler name is reported by apply() with the kernel's error.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "dataplane/dataplane.h"
#include "dataplane/ipvs/fwmark_rules.h"
#include "dataplane/ipvs/ipvs_client.h"

namespace xvs {

class IpvsDataplane final : public Dataplane {
   public:
    // IPVS of the caller's network namespace, fwmark rules in the nftables
    // table of `instance`. Throws IpvsError when the kernel has no IPVS.
    static std::unique_ptr<IpvsDataplane> open(const std::string& instance);

    IpvsDataplane(std::unique_ptr<IpvsCommands> ipvs, std::unique_ptr<FwmarkRules> rules,
                  std::string connection_table_path = "/proc/net/ip_vs_conn",
                  std::string sysctl_dir = "/proc/sys/net/ipv4/vs");

    std::string name() const override { return "ipvs"; }
    std::vector<std::string> unsupported(const Model& model) const override;
    std::vector<std::string> service_problems(const VirtualService&) const override { return {}; }
    void apply(const ModelDiff& change) override;
    const VirtualService* programmed_service(const ServiceKey& key) const override;
    std::vector<ServiceStatus> status() const override;
    std::unique_ptr<ConnectionCursor> connection_cursor() const override;
    void zero_counters() override;
    // IPVS_CMD_ZERO for `service` alone; a service xvs did not program is
    // refused before anything is sent.
    void zero_service_counters(const ServiceKey& service) override;
    // IPVS's own timeouts (ipvsadm --set): kernel-wide in the namespace.
    void set_timeouts(const ConnectionTimeouts& change) override;
    ConnectionTimeouts timeouts() const override;
    // IPVS's own sysctls (SYSCTL_DIR/expire_quiescent_template, ...) of this
    // network namespace: the kernel's switches themselves.
    void set_behaviour(const IpvsBehaviour& behaviour) override;

    // Declares `model` as already in IPVS, e.g. left there by a previous run
    // with cleanstop=no, so that later diffs may change it. Sends no IPVS
    // command; re-installs the model's mark rules (idempotent) so that this
    // instance owns its nftables table again.
    void adopt(const Model& model);
    // Removes everything this plane programmed (cleanstop=yes), all or nothing.
    void clear();
    const Model& programmed() const { return programmed_; }

   private:
    void check_ownership(const ModelDiff& change) const;

    std::unique_ptr<IpvsCommands> ipvs_;
    std::unique_ptr<FwmarkRules> rules_;
    std::string connection_table_path_;
    std::string sysctl_dir_;
    Model programmed_;
};

}  // namespace xvs
