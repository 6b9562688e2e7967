#include "dataplane/xdp/sched_table.h"

#include <algorithm>
#include <numeric>
#include <stdexcept>

#include "sched/maglev.h"
#include "sched/wrr.h"

namespace xvs {

std::optional<xvs_sched> xdp_scheduler(const std::string& name) {
    if (name == "rr") return XVS_SCHED_RR;
    if (name == "wrr") return XVS_SCHED_WRR;
    if (name == "sh") return XVS_SCHED_SH;
    if (name == "dh") return XVS_SCHED_DH;
    if (name == "mh") return XVS_SCHED_MH;
    if (name == "lc") return XVS_SCHED_LC;
    if (name == "wlc") return XVS_SCHED_WLC;
    if (name == "sed") return XVS_SCHED_SED;
    if (name == "nq") return XVS_SCHED_NQ;
    if (name == "fo") return XVS_SCHED_FO;
    if (name == "ovf") return XVS_SCHED_OVF;
    return std::nullopt;
}

bool schedules_by_counts(xvs_sched sched) {
    switch (sched) {
        case XVS_SCHED_LC:
        case XVS_SCHED_WLC:
        case XVS_SCHED_SED:
        case XVS_SCHED_NQ:
        case XVS_SCHED_FO:
        case XVS_SCHED_OVF: return true;
        case XVS_SCHED_RR:
        case XVS_SCHED_WRR:
        case XVS_SCHED_SH:
        case XVS_SCHED_DH:
        case XVS_SCHED_MH: return false;
    }
    return false;
}

std::vector<uint32_t> ipvs_list_order(const std::vector<uint64_t>& added) {
    std::vector<uint32_t> order(added.size());
    std::iota(order.begin(), order.end(), 0u);
    std::stable_sort(order.begin(), order.end(), [&added](uint32_t a, uint32_t b) { return added[a] > added[b]; });
    return order;
}

namespace {

std::vector<uint32_t> hash_buckets(const std::vector<uint32_t>& weights) {
    std::vector<uint32_t> order;
    for (uint32_t i = 0; i < weights.size(); ++i)
        if (weights[i] > 0) order.push_back(i);
    std::vector<uint32_t> buckets;
    if (order.empty()) return buckets;
    size_t pos = 0;
    uint32_t used = 0;
    for (uint32_t b = 0; b < XVS_HASH_BUCKETS; ++b) {
        buckets.push_back(order[pos]);
        if (++used >= weights[order[pos]]) {
            pos = (pos + 1) % order.size();
            used = 0;
        }
    }
    return buckets;
}

// The reals of weight > 0 in IPVS's list order.
std::vector<uint32_t> counted_reals(const std::vector<uint32_t>& weights, const std::vector<uint64_t>& added) {
    std::vector<uint32_t> list;
    for (uint32_t i : ipvs_list_order(added))
        if (weights[i] > 0) list.push_back(i);
    return list;
}

}  // namespace

std::vector<uint32_t> build_sched_table(const VirtualService& svc, const std::vector<uint32_t>& real_ids,
                                        const std::vector<uint64_t>& added) {
    if (real_ids.size() != svc.reals.size() || added.size() != svc.reals.size())
        throw std::invalid_argument("build_sched_table: " + std::to_string(svc.reals.size()) + " reals but " +
                                    std::to_string(real_ids.size()) + " ids and " +
                                    std::to_string(added.size()) + " additions");
    std::vector<uint32_t> weights;
    weights.reserve(svc.reals.size());
    for (const auto& [key, real] : svc.reals) weights.push_back(real.weight);
    std::vector<uint32_t> indices;
    switch (xdp_scheduler(svc.scheduler).value_or(XVS_SCHED_WRR)) {
        case XVS_SCHED_RR: indices = rr_schedule(weights).order; break;
        case XVS_SCHED_WRR: indices = wrr_schedule(weights, XVS_SCHED_TABLE_MAX).order; break;
        case XVS_SCHED_SH:
        case XVS_SCHED_DH: indices = hash_buckets(weights); break;
        case XVS_SCHED_MH: {
            // Maglev places reals by their names; only it needs them.
            std::vector<MaglevBackend> backends;
            backends.reserve(svc.reals.size());
            for (const auto& [key, real] : svc.reals) backends.push_back(MaglevBackend{key.to_string(), real.weight});
            indices = maglev_table(backends, maglev_default_size);
            break;
        }
        case XVS_SCHED_LC:
        case XVS_SCHED_WLC:
        case XVS_SCHED_SED:
        case XVS_SCHED_NQ:
        case XVS_SCHED_FO:
        case XVS_SCHED_OVF: indices = counted_reals(weights, added); break;
    }
    std::vector<uint32_t> table;
    table.reserve(indices.size());
    for (uint32_t i : indices) table.push_back(real_ids.at(i));
    return table;
}

}  // namespace xvs
