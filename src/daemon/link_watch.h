// LinkWatch: the kernel's link notifications (rtnetlink, RTMGRP_LINK) as an
// event source of the daemon loop; an RAII owner of its socket.
//
// read() drains what is queued (non-blocking) and returns the events
// (link_messages.h). When the socket's buffer overflowed (ENOBUFS), events
// were lost: `overflowed` is set and the caller must re-check every
// interface instead of trusting the events.
#pragma once

#include <vector>

#include "common/unique_fd.h"
#include "daemon/link_messages.h"

namespace xvs {

class LinkWatch {
   public:
    LinkWatch();  // throws std::system_error
    int fd() const { return fd_.get(); }

    struct Batch {
        std::vector<LinkEvent> events;
        bool overflowed = false;
    };
    Batch read();

   private:
    UniqueFd fd_;
};

}  // namespace xvs
