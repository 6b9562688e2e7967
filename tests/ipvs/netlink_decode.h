// Test helpers: take apart a generic-netlink message built by ipvs_messages.h
// the way the kernel does (nla_parse), so tests check attribute bytes.
#pragma once

#include <linux/ip_vs.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include <array>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "dataplane/ipvs/ipvs_messages.h"

namespace xvs::test {

struct Decoded {
    NlMsgPtr owned;  // keeps the attributes below alive when decode() took the message
    uint8_t cmd = 0;
    uint16_t nlmsg_flags = 0;
    int family_id = 0;
    std::array<nlattr*, IPVS_CMD_ATTR_MAX + 1> top{};
    std::array<nlattr*, IPVS_SVC_ATTR_MAX + 1> svc{};
    std::array<nlattr*, IPVS_DEST_ATTR_MAX + 1> dest{};
    bool has_svc = false;
    bool has_dest = false;
};

inline Decoded decode(nl_msg* msg) {
    Decoded d;
    nlmsghdr* h = nlmsg_hdr(msg);
    d.family_id = h->nlmsg_type;
    d.nlmsg_flags = h->nlmsg_flags;
    d.cmd = genlmsg_hdr(h)->cmd;
    if (genlmsg_parse(h, 0, d.top.data(), IPVS_CMD_ATTR_MAX, nullptr) < 0)
        throw std::runtime_error("genlmsg_parse failed");
    if (d.top[IPVS_CMD_ATTR_SERVICE]) {
        d.has_svc = true;
        if (nla_parse_nested(d.svc.data(), IPVS_SVC_ATTR_MAX, d.top[IPVS_CMD_ATTR_SERVICE], nullptr) < 0)
            throw std::runtime_error("service nest malformed");
    }
    if (d.top[IPVS_CMD_ATTR_DEST]) {
        d.has_dest = true;
        if (nla_parse_nested(d.dest.data(), IPVS_DEST_ATTR_MAX, d.top[IPVS_CMD_ATTR_DEST], nullptr) < 0)
            throw std::runtime_error("dest nest malformed");
    }
    return d;
}

// Takes the message so the attribute pointers stay valid as long as the result.
inline Decoded decode(NlMsgPtr msg) {
    Decoded d = decode(msg.get());
    d.owned = std::move(msg);
    return d;
}

inline std::vector<uint8_t> bytes_of(const nlattr* a) {
    const auto* p = static_cast<const uint8_t*>(nla_data(a));
    return {p, p + nla_len(a)};
}

}  // namespace xvs::test
