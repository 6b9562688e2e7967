// SockAddr: an IpAddress and port as the sockets API wants them.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>

#include "model/address.h"

namespace xvs {

struct SockAddr {
    sockaddr_storage storage{};
    socklen_t length = 0;

    const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
    int family() const { return storage.ss_family; }
};

SockAddr make_sockaddr(const IpAddress& address, uint16_t port);

}  // namespace xvs
