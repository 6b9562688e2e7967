#include "daemon/link_watch.h"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <system_error>

namespace xvs {

LinkWatch::LinkWatch()
    : fd_(::socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE)) {
    if (!fd_) throw std::system_error(errno, std::generic_category(), "rtnetlink socket");
    sockaddr_nl local{};
    local.nl_family = AF_NETLINK;
    local.nl_groups = RTMGRP_LINK;
    if (::bind(fd_.get(), reinterpret_cast<sockaddr*>(&local), sizeof local) != 0)
        throw std::system_error(errno, std::generic_category(), "binding to RTMGRP_LINK");
}

LinkWatch::Batch LinkWatch::read() {
    Batch batch;
    // One link message with all its attributes is a few KiB.
    std::array<uint8_t, 32768> buf;
    for (;;) {
        ssize_t n = ::recv(fd_.get(), buf.data(), buf.size(), 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) return batch;
            if (errno == ENOBUFS) {
                batch.overflowed = true;
                continue;
            }
            throw std::system_error(errno, std::generic_category(), "reading rtnetlink");
        }
        if (n == 0) return batch;
        auto events = parse_link_messages({buf.data(), static_cast<size_t>(n)});
        batch.events.insert(batch.events.end(), events.begin(), events.end());
    }
}

}  // namespace xvs
