#include "health/sockaddr.h"

#include <netinet/in.h>

#include <cstring>

namespace xvs {

SockAddr make_sockaddr(const IpAddress& address, uint16_t port) {
    SockAddr out;
    if (address.is_v6()) {
        auto* sa = reinterpret_cast<sockaddr_in6*>(&out.storage);
        sa->sin6_family = AF_INET6;
        sa->sin6_port = htons(port);
        std::memcpy(&sa->sin6_addr, address.bytes.data(), 16);
        out.length = sizeof(sockaddr_in6);
    } else {
        auto* sa = reinterpret_cast<sockaddr_in*>(&out.storage);
        sa->sin_family = AF_INET;
        sa->sin_port = htons(port);
        std::memcpy(&sa->sin_addr, address.bytes.data(), 4);
        out.length = sizeof(sockaddr_in);
    }
    return out;
}

}  // namespace xvs
