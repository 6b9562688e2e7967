// The xvsadm side of the control socket: one request, one reply (or one
// streamed reply).
#pragma once

#include <functional>
#include <stdexcept>
#include <string>

#include "control/protocol.h"

namespace xvs::control {

// The daemon cannot be reached at all (not running, wrong instance, no
// permission). what() names the socket path and the system error.
class DaemonUnreachable : public std::runtime_error {
   public:
    using std::runtime_error::runtime_error;
};

// Sends `request` to the daemon listening at `socket_path` and returns its
// reply (which may be an error reply, e.g. "xvsd is busy: ..."). Throws
// DaemonUnreachable when it cannot connect, ProtocolError or
// std::system_error when the exchange fails.
Reply call_daemon(const std::string& socket_path, const Request& request);
// The same for a streamed reply (list-connections): on_part() gets each part
// as it arrives, the last one (more == false) included, so that a listing
// of any size needs the memory of one part. A stream cut short throws
// std::system_error.
void call_daemon(const std::string& socket_path, const Request& request,
                 const std::function<void(Reply&)>& on_part);

// The exchange on a connected socket `fd`. A daemon that closes on the client
// costs no SIGPIPE: the write fails with EPIPE, and a reply the daemon sent
// before closing (busy, idle) is still read and returned; without one,
// std::system_error says the daemon closed the connection before answering.
Reply exchange(int fd, const Request& request);

}  // namespace xvs::control
