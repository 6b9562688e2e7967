#include "control/client.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <cstring>

#include "control/framing.h"
#include "common/unique_fd.h"

namespace xvs::control {

Reply call_daemon(const std::string& socket_path, const Request& request) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (socket_path.size() >= sizeof addr.sun_path)
        throw DaemonUnreachable("control socket path too long: " + socket_path);
    std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);

    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) throw DaemonUnreachable(std::string("socket: ") + std::strerror(errno));
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0)
        throw DaemonUnreachable("cannot connect to xvsd at " + socket_path + ": " +
                                std::strerror(errno));

    write_all(fd.get(), frame(encode_request(request)), "sending the request to xvsd");
    std::string payload = read_frame(fd.get(), max_reply_bytes, "reading the reply of xvsd");
    return decode_reply(payload);
}

}  // namespace xvs::control
