// The one-namespace director used by the suites that run the XDP program
// through BPF_PROG_TEST_RUN (prog, flood):
//
//   cli0 02:00:00:00:00:01  10.0.0.1/16 fd00::1/64    clients; 10.0.0.2 / fd00::2
//                                                       have a neighbour (02:..:00:02)
//   rs0  02:00:00:00:01:01  10.1.0.1/24 fd00:1::1/64  reals 10.1.0.{2,3,4} /
//                                                       fd00:1::{2,3,4} at 02:..:01:0N
//
// Neighbours are permanent, so bpf_fib_lookup always finds the next hop.
#pragma once

#include "netns.h"

namespace xvs::bench {

void build_director_network(const Netns& ns);

}  // namespace xvs::bench
