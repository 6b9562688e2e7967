#include "dataplane/xdp/interface_mac.h"

#include <net/if.h>
#include <net/if_arp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

#include "common/errno_text.h"
#include "common/unique_fd.h"
#include "dataplane/dataplane.h"

namespace xvs {

std::array<uint8_t, 6> interface_mac(int ifindex) {
    ifreq req{};
    if (!if_indextoname(static_cast<unsigned>(ifindex), req.ifr_name))
        throw DataplaneError("interface " + std::to_string(ifindex) + ": " + errno_text(errno));
    const std::string name = req.ifr_name;
    UniqueFd sock(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!sock || ioctl(sock.get(), SIOCGIFHWADDR, &req) != 0)
        throw DataplaneError(name + ": reading its MAC address: " + errno_text(errno));
    if (req.ifr_hwaddr.sa_family != ARPHRD_ETHER && req.ifr_hwaddr.sa_family != ARPHRD_LOOPBACK)
        throw DataplaneError(name + ": not an Ethernet interface (link type " +
                             std::to_string(req.ifr_hwaddr.sa_family) +
                             "): the XDP program serves Ethernet frames only");
    std::array<uint8_t, 6> mac{};
    std::memcpy(mac.data(), req.ifr_hwaddr.sa_data, mac.size());
    return mac;
}

int stacking_depth(const std::string& interface, int limit) {
    int depth = 0;
    if (limit == 0) return depth;
    try {
        std::error_code ec;
        for (const auto& e : std::filesystem::directory_iterator("/sys/class/net/" + interface, ec)) {
            std::string name = e.path().filename().string();
            if (name.rfind("lower_", 0) == 0)
                depth = std::max(depth, 1 + stacking_depth(name.substr(6), limit - 1));
        }
    } catch (const std::filesystem::filesystem_error&) {
    }
    return depth;
}

}  // namespace xvs
