// The IPVS generic-netlink protocol as pure functions: model objects in,
// nl_msg out (build_*), and reply messages in, status objects out (parse_*).
//
// Nothing here opens a socket, so every attribute can be checked by unit
// tests on a machine without IPVS; IpvsClient (ipvs_client.h) only sends what
// these functions build. The encoding follows libipvs (what ipvsadm sends), so
// rules created by xvs list exactly like rules created by ipvsadm:
//   - a service is AF + (FWMARK | PROTOCOL + ADDR(16 bytes) + PORT(be16));
//     add/edit also carry SCHED_NAME, FLAGS {flags, mask=~0}, TIMEOUT and
//     NETMASK (IPv4: the mask in network byte order; IPv6: the prefix length);
//   - a destination is ADDR + PORT (+ ADDR_FAMILY); add/edit also carry
//     FWD_METHOD, WEIGHT, U_THRESH, L_THRESH, and for ipip TUN_TYPE, TUN_PORT
//     (network order) and TUN_FLAGS as ipvsadm 1.31 sends them.
// Parsers throw IpvsError on a malformed reply (missing attribute, wrong
// length) instead of reading past it.
#pragma once

#include <netlink/msg.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/dataplane.h"
#include "model/model.h"

namespace xvs {

struct NlMsgFree {
    void operator()(nl_msg* m) const { nlmsg_free(m); }
};
using NlMsgPtr = std::unique_ptr<nl_msg, NlMsgFree>;

// The service/destination commands (values of IPVS_CMD_*).
enum class IpvsCommand : uint8_t {
    new_service = 1,
    set_service = 2,
    del_service = 3,
    new_dest = 5,
    set_dest = 6,
    del_dest = 7,
};

struct IpvsInfo {
    uint32_t version = 0;  // 0x010201 = 1.2.1
    uint32_t connection_table_size = 0;
    std::string version_text() const;  // "1.2.1"
};

// ipvsadm -b names ("sh-fallback", "sh-port", "mh-fallback", "mh-port",
// "flag-1".."flag-3") <-> IP_VS_SVC_F_SCHED1..3. Throws IpvsError on a name
// that does not exist or does not belong to `scheduler`.
uint32_t encode_scheduler_flags(const std::string& scheduler, const std::vector<std::string>& names);
std::vector<std::string> decode_scheduler_flags(const std::string& scheduler, uint32_t flags);

// Netmask attribute for a persistence prefix, and back.
uint32_t encode_netmask(Family family, uint32_t prefix_len);
uint32_t decode_netmask(Family family, uint32_t netmask);  // IPv4: leading one bits

// new/set_service: the full service; del_service: only its key is used.
NlMsgPtr build_service_message(int family_id, IpvsCommand cmd, const VirtualService& service);
// new/set_dest: the full destination; del_dest: only its key is used.
NlMsgPtr build_dest_message(int family_id, IpvsCommand cmd, const ServiceKey& service,
                            const RealServer& real);
NlMsgPtr build_service_dump_request(int family_id);
NlMsgPtr build_dest_dump_request(int family_id, const ServiceKey& service);
NlMsgPtr build_info_request(int family_id);
NlMsgPtr build_flush_request(int family_id);
// Zeroes one service's counters, or every counter when `service` is null.
NlMsgPtr build_zero_request(int family_id, const ServiceKey* service);
// ipvsadm --set (IPVS_CMD_SET_CONFIG; a 0 leaves that timeout) and --timeout.
NlMsgPtr build_set_timeouts_request(int family_id, const ConnectionTimeouts& change);
NlMsgPtr build_get_timeouts_request(int family_id);

// Replies (one generic-netlink message each).
IpvsInfo parse_info_reply(nlmsghdr* reply);
ConnectionTimeouts parse_timeouts_reply(nlmsghdr* reply);
ServiceStatus parse_service_reply(nlmsghdr* reply);  // .reals left empty
RealStatus parse_dest_reply(nlmsghdr* reply);

}  // namespace xvs
