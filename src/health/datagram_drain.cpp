#include "health/datagram_drain.h"

#include <sys/socket.h>

#include <array>
#include <cerrno>

#include "common/errno_text.h"
#include "health/sockaddr.h"

namespace xvs {

std::optional<CheckResult> drain_datagrams(int socket_fd, const DatagramJudge& judge) {
    std::array<uint8_t, max_datagram_bytes> buf;
    for (;;) {
        ssize_t n = ::recv(socket_fd, buf.data(), buf.size(), 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return std::nullopt;
            return CheckResult{false, errno_reason(errno), 0};
        }
        if (auto verdict = judge(std::span<const uint8_t>(buf.data(), static_cast<size_t>(n))))
            return verdict;
    }
}

}  // namespace xvs
