// The cost breakdown of the prog suite: bench_parts' programs, each the floor
// plus one operation of the xvs program (a hash lookup, an LRU lookup or
// insert in a shared or per-CPU LRU, a counter update, bpf_ktime_get_ns,
// bpf_fib_lookup, NAT checksum arithmetic). Figures are named part_*, in
// ns/pkt with the operation's price as net_of_floor.
#pragma once

#include <vector>

#include "results.h"

namespace xvs::bench {

// Call inside build_director_network()'s namespace, pinned; `floor_ns` is the
// v4 floor measured in the same run.
void measure_parts(int calls, int client_ifindex, double floor_ns, std::vector<Figure>& out);

}  // namespace xvs::bench
