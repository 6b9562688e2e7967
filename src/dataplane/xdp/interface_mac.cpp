#include "dataplane/xdp/interface_mac.h"

#include <net/if.h>
#include <net/if_arp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "common/unique_fd.h"
#include "dataplane/dataplane.h"

namespace xvs {

std::array<uint8_t, 6> interface_mac(int ifindex) {
    ifreq req{};
    if (!if_indextoname(static_cast<unsigned>(ifindex), req.ifr_name))
        throw DataplaneError("interface " + std::to_string(ifindex) + ": " + std::strerror(errno));
    const std::string name = req.ifr_name;
    UniqueFd sock(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!sock || ioctl(sock.get(), SIOCGIFHWADDR, &req) != 0)
        throw DataplaneError(name + ": reading its MAC address: " + std::strerror(errno));
    if (req.ifr_hwaddr.sa_family != ARPHRD_ETHER && req.ifr_hwaddr.sa_family != ARPHRD_LOOPBACK)
        throw DataplaneError(name + ": not an Ethernet interface (link type " +
                             std::to_string(req.ifr_hwaddr.sa_family) +
                             "): the XDP program serves Ethernet frames only");
    std::array<uint8_t, 6> mac{};
    std::memcpy(mac.data(), req.ifr_hwaddr.sa_data, mac.size());
    return mac;
}

}  // namespace xvs
