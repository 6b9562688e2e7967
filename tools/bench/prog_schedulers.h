// The prog suite's scheduler figures: the new-flow cost of wlc, which
// compares the live counts of every real, against wrr, which reads one table
// slot, over 2, 10 and 100 DR reals. Figures new_v4_dr_wrr_N and
// new_v4_dr_wlc_N (ns/pkt, net of the floor), and wlc_over_wrr_N, the ratio
// of the two medians measured one after the other in the same run.
#pragma once

#include <vector>

#include "dataplane/xdp/xdp_dataplane.h"
#include "model/model.h"
#include "netns.h"
#include "results.h"

namespace xvs::bench {

// Inside build_director_network()'s namespace `ns`, pinned. Adds its services
// (and the reals' neighbours) to `dp`, which serves `model`; `model` is
// updated to what `dp` serves afterwards.
void measure_schedulers(const Netns& ns, XdpDataplane& dp, Model& model, int calls, int warmup,
                        int client_ifindex, double floor_ns, std::vector<Figure>& out);

}  // namespace xvs::bench
