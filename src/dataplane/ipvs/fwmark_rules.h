// FwmarkRules: the packet-marking rules behind firewall-mark services in IPVS
// mode (the `match=` lines of a `virtual=N` block).
//
// IPVS serves a fwmark service only for packets that already carry the mark;
// an LVS operator writes `iptables -t mangle ... -j MARK --set-mark N` for
// that. xvs writes the equivalent itself in an nftables table of its own,
// `table inet xvs_<instance>`, with one prerouting chain at mangle priority:
//     ip daddr 192.168.0.105 tcp dport 80 meta mark set 100
// The table is replaced as a whole in one nftables transaction (so packets
// never see a half-updated rule set) and deleted when no service needs it.
// Nothing outside that table is touched.
#pragma once

#include <memory>
#include <string>

#include "model/model.h"

struct nft_ctx;

namespace xvs {

class FwmarkRules {
   public:
    virtual ~FwmarkRules() = default;
    FwmarkRules() = default;
    FwmarkRules(const FwmarkRules&) = delete;
    FwmarkRules& operator=(const FwmarkRules&) = delete;

    // Makes the installed rules those of `model` (none: the table is removed).
    // Throws DataplaneError with nftables' message; the old rules stay then.
    virtual void install(const Model& model) = 0;
};

// "xvs_" + the instance name with every character nftables does not accept
// in an identifier replaced by '_'.
std::string fwmark_table_name(const std::string& instance);
// The mark rules of `model`, one line each, in service order (empty when the
// model has no fwmark service with matches).
std::string fwmark_rule_lines(const Model& model);
// The nftables script that replaces the table atomically: declares it (so
// the delete cannot fail), deletes it, and recreates it when `model` has rules.
std::string fwmark_ruleset_script(const std::string& table, const Model& model);

// The kernel implementation through libnftables (no `nft` process).
class NftFwmarkRules final : public FwmarkRules {
   public:
    explicit NftFwmarkRules(const std::string& instance);
    ~NftFwmarkRules() override;

    void install(const Model& model) override;
    const std::string& table() const { return table_; }

   private:
    struct CtxFree {
        void operator()(nft_ctx* ctx) const;
    };
    void run(const std::string& script);

    std::string table_;
    std::unique_ptr<nft_ctx, CtxFree> ctx_;
    bool installed_ = false;  // whether the table may exist
};

}  // namespace xvs
