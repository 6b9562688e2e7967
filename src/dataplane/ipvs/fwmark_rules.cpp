#include "dataplane/ipvs/fwmark_rules.h"

#include <nftables/libnftables.h>

#include <cctype>

#include "dataplane/dataplane.h"

namespace xvs {

std::string fwmark_table_name(const std::string& instance) {
    std::string name = "xvs_";
    for (char c : instance) name += (std::isalnum(static_cast<unsigned char>(c)) || c == '_') ? c : '_';
    return name;
}

std::string fwmark_rule_lines(const Model& model) {
    std::string lines;
    for (const auto& [key, svc] : model.services) {
        if (key.protocol != Protocol::fwmark) continue;
        for (const auto& m : svc.matches) {
            std::string line = m.address.is_v6() ? "ip6 daddr " : "ip daddr ";
            line += m.address.to_string();
            const char* l4 = m.protocol == Protocol::udp ? "udp" : "tcp";
            if (m.port != 0)
                line += std::string(" ") + l4 + " dport " + std::to_string(m.port);
            else
                line += std::string(" meta l4proto ") + l4;
            line += " meta mark set " + std::to_string(key.fwmark);
            lines += line + "\n";
        }
    }
    return lines;
}

std::string fwmark_ruleset_script(const std::string& table, const Model& model) {
    std::string script = "add table inet " + table + "\n" + "delete table inet " + table + "\n";
    std::string lines = fwmark_rule_lines(model);
    if (lines.empty()) return script;
    script += "table inet " + table + " {\n";
    script += "\tchain prerouting {\n";
    script += "\t\ttype filter hook prerouting priority mangle; policy accept;\n";
    size_t start = 0;
    while (start < lines.size()) {
        size_t end = lines.find('\n', start);
        script += "\t\t" + lines.substr(start, end - start) + "\n";
        start = end + 1;
    }
    script += "\t}\n}\n";
    return script;
}

void NftFwmarkRules::CtxFree::operator()(nft_ctx* ctx) const { nft_ctx_free(ctx); }

NftFwmarkRules::NftFwmarkRules(const std::string& instance)
    : table_(fwmark_table_name(instance)), ctx_(nft_ctx_new(NFT_CTX_DEFAULT)) {
    if (!ctx_) throw DataplaneError("nftables: cannot create a context");
    if (nft_ctx_buffer_output(ctx_.get()) != 0 || nft_ctx_buffer_error(ctx_.get()) != 0)
        throw DataplaneError("nftables: cannot buffer output");
}

NftFwmarkRules::~NftFwmarkRules() = default;

void NftFwmarkRules::run(const std::string& script) {
    if (nft_run_cmd_from_buffer(ctx_.get(), script.c_str()) != 0) {
        std::string err = nft_ctx_get_error_buffer(ctx_.get());
        while (!err.empty() && (err.back() == '\n' || err.back() == ' ')) err.pop_back();
        throw DataplaneError("nftables table inet " + table_ + ": cannot install fwmark rules: " + err);
    }
}

void NftFwmarkRules::install(const Model& model) {
    bool wanted = !fwmark_rule_lines(model).empty();
    // Nothing to do when no table is needed and none was ever made: IPVS
    // without fwmark matches must work on kernels without nf_tables.
    if (!wanted && !installed_) return;
    run(fwmark_ruleset_script(table_, model));
    installed_ = wanted;
}

}  // namespace xvs
