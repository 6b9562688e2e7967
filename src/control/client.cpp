#include "control/client.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <system_error>

#include "common/errno_text.h"
#include "control/framing.h"
#include "common/unique_fd.h"

namespace xvs::control {

namespace {

UniqueFd connect_daemon(const std::string& socket_path) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (socket_path.size() >= sizeof addr.sun_path)
        throw DaemonUnreachable("control socket path too long: " + socket_path);
    std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);

    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) throw DaemonUnreachable(std::string("socket: ") + errno_text(errno));
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0)
        throw DaemonUnreachable("cannot connect to xvsd at " + socket_path + ": " +
                                errno_text(errno));
    return fd;
}

}  // namespace

Reply call_daemon(const std::string& socket_path, const Request& request) {
    UniqueFd fd = connect_daemon(socket_path);
    return exchange(fd.get(), request);
}

void call_daemon(const std::string& socket_path, const Request& request,
                 const std::function<void(Reply&)>& on_part) {
    UniqueFd fd = connect_daemon(socket_path);
    Reply part = exchange(fd.get(), request);
    for (;;) {
        const bool more = part.more;
        on_part(part);
        if (!more) return;
        part = decode_reply(read_frame(fd.get(), max_reply_bytes, "reading the listing of xvsd"));
    }
}

Reply exchange(int fd, const Request& request) {
    std::optional<std::system_error> send_failed;
    try {
        write_all(fd, frame(encode_request(request)), "sending the request to xvsd");
    } catch (const std::system_error& e) {
        if (e.code().value() != EPIPE && e.code().value() != ECONNRESET) throw;
        send_failed = e;  // the daemon may have answered before it closed
    }
    std::string payload;
    try {
        payload = read_frame(fd, max_reply_bytes, "reading the reply of xvsd");
    } catch (const std::system_error& e) {
        if (!send_failed) throw;
        throw std::system_error(send_failed->code(),
                                "xvsd closed the connection before answering");
    }
    return decode_reply(payload);
}

}  // namespace xvs::control
