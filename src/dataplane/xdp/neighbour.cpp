#include "dataplane/xdp/neighbour.h"

#include <ifaddrs.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

#include "common/errno_text.h"
#include "dataplane/dataplane.h"
#include "common/unique_fd.h"

namespace xvs {

void request_neighbour_resolution(const IpAddress& next_hop, uint32_t ifindex) {
    auto fail = [&](const std::string& why) {
        char name[IF_NAMESIZE] = "?";
        if_indextoname(ifindex, name);
        return DataplaneError("resolving neighbour " + next_hop.to_string() + " on " + name +
                              ": " + why);
    };
    UniqueFd sock(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
    if (!sock) throw fail(std::string("netlink socket: ") + errno_text(errno));

    struct {
        nlmsghdr nh;
        ndmsg nd;
        char attrs[64];
    } req{};
    size_t addr_len = next_hop.is_v6() ? 16 : 4;
    req.nh.nlmsg_type = RTM_NEWNEIGH;
    req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE;
    req.nh.nlmsg_seq = 1;
    req.nd.ndm_family = static_cast<uint8_t>(next_hop.af());
    req.nd.ndm_ifindex = static_cast<int>(ifindex);
    req.nd.ndm_state = NUD_NONE;
    req.nd.ndm_flags = NTF_USE;  // "use" the entry: the kernel solicits it now
    auto* rta = reinterpret_cast<rtattr*>(req.attrs);
    rta->rta_type = NDA_DST;
    rta->rta_len = static_cast<unsigned short>(RTA_LENGTH(addr_len));
    std::memcpy(RTA_DATA(rta), next_hop.bytes.data(), addr_len);
    req.nh.nlmsg_len = NLMSG_ALIGN(NLMSG_LENGTH(sizeof(ndmsg))) + RTA_ALIGN(rta->rta_len);

    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    if (sendto(sock.get(), &req, req.nh.nlmsg_len, 0, reinterpret_cast<sockaddr*>(&kernel),
               sizeof kernel) < 0)
        throw fail(std::string("netlink send: ") + errno_text(errno));
    char buf[1024];
    ssize_t n = recv(sock.get(), buf, sizeof buf, 0);
    if (n < 0) throw fail(std::string("netlink receive: ") + errno_text(errno));
    auto* reply = reinterpret_cast<nlmsghdr*>(buf);
    if (!NLMSG_OK(reply, static_cast<unsigned>(n)) || reply->nlmsg_type != NLMSG_ERROR)
        throw fail("unexpected netlink reply");
    int err = reinterpret_cast<nlmsgerr*>(NLMSG_DATA(reply))->error;
    if (err != 0) throw fail(errno_text(-err));
}

std::map<uint32_t, xvs_iface_addr> interface_addresses() {
    ifaddrs* raw = nullptr;
    if (getifaddrs(&raw) != 0)
        throw DataplaneError(std::string("listing interface addresses: ") + errno_text(errno));
    std::unique_ptr<ifaddrs, decltype(&freeifaddrs)> list(raw, freeifaddrs);
    std::map<uint32_t, xvs_iface_addr> out;
    for (ifaddrs* a = raw; a; a = a->ifa_next) {
        if (!a->ifa_addr) continue;
        uint32_t index = if_nametoindex(a->ifa_name);
        if (index == 0) continue;
        xvs_iface_addr& entry = out[index];
        if (a->ifa_addr->sa_family == AF_INET && entry.v4 == 0) {
            entry.v4 = reinterpret_cast<sockaddr_in*>(a->ifa_addr)->sin_addr.s_addr;
        } else if (a->ifa_addr->sa_family == AF_INET6) {
            const auto* sin6 = reinterpret_cast<sockaddr_in6*>(a->ifa_addr);
            bool empty = !(entry.v6[0] | entry.v6[1] | entry.v6[2] | entry.v6[3]);
            if (empty && !IN6_IS_ADDR_LINKLOCAL(&sin6->sin6_addr) &&
                !IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr))
                std::memcpy(entry.v6, &sin6->sin6_addr, 16);
        }
    }
    return out;
}

}  // namespace xvs
