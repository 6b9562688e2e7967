#include "director_network.h"

#include <string>

namespace xvs::bench {

void build_director_network(const Netns& ns) {
    ns.ip("link add cli0 address 02:00:00:00:00:01 type veth peer name cli1");
    ns.ip("link add rs0 address 02:00:00:00:01:01 type veth peer name rs1");
    for (const char* dev : {"cli0", "cli1", "rs0", "rs1"}) ns.ip(std::string("link set ") + dev + " up");
    ns.ip("addr add 10.0.0.1/16 dev cli0");
    ns.ip("addr add fd00::1/64 dev cli0 nodad");
    ns.ip("addr add 10.1.0.1/24 dev rs0");
    ns.ip("addr add fd00:1::1/64 dev rs0 nodad");
    ns.ip("neigh add 10.0.0.2 lladdr 02:00:00:00:00:02 dev cli0 nud permanent");
    ns.ip("neigh add fd00::2 lladdr 02:00:00:00:00:02 dev cli0 nud permanent");
    for (int n = 2; n <= 4; ++n) {
        std::string lladdr = " lladdr 02:00:00:00:01:0" + std::to_string(n);
        ns.ip("neigh add 10.1.0." + std::to_string(n) + lladdr + " dev rs0 nud permanent");
        ns.ip("neigh add fd00:1::" + std::to_string(n) + lladdr + " dev rs0 nud permanent");
    }
    ns.exec("sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1");
}

}  // namespace xvs::bench
