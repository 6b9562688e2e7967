#include "model/address.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <cstring>

namespace xvs {

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
    std::string s(text);
    IpAddress a;
    if (inet_pton(AF_INET, s.c_str(), a.bytes.data()) == 1) {
        a.family = Family::v4;
        return a;
    }
    if (inet_pton(AF_INET6, s.c_str(), a.bytes.data()) == 1) {
        a.family = Family::v6;
        return a;
    }
    return std::nullopt;
}

IpAddress IpAddress::v4(uint32_t host_order) {
    IpAddress a;
    uint32_t n = htonl(host_order);
    std::memcpy(a.bytes.data(), &n, 4);
    return a;
}

int IpAddress::af() const { return is_v6() ? AF_INET6 : AF_INET; }

std::string IpAddress::to_string() const {
    char buf[INET6_ADDRSTRLEN] = {};
    inet_ntop(af(), bytes.data(), buf, sizeof buf);
    return buf;
}

std::string IpAddress::with_port(uint16_t port) const {
    if (is_v6()) return "[" + to_string() + "]:" + std::to_string(port);
    return to_string() + ":" + std::to_string(port);
}

IpAddress IpAddress::masked(unsigned prefix_len) const {
    IpAddress out = *this;
    unsigned total = is_v6() ? 128 : 32;
    if (prefix_len > total) prefix_len = total;
    for (unsigned bit = prefix_len; bit < total; ++bit)
        out.bytes[bit / 8] &= static_cast<uint8_t>(~(0x80u >> (bit % 8)));
    return out;
}

uint32_t IpAddress::v4_host_order() const {
    uint32_t n;
    std::memcpy(&n, bytes.data(), 4);
    return ntohl(n);
}

}  // namespace xvs
