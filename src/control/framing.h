// Frames on the control socket: a 4-byte big-endian payload length, then the
// payload. Lengths above the receiver's limit are refused before anything is
// buffered, so a client cannot make the daemon allocate without bound.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace xvs::control {

std::string frame(std::string_view payload);

// Incremental decoder for a non-blocking reader: feed() bytes as they arrive;
// take() returns a complete payload once there is one. Throws ProtocolError
// when a frame announces more than `max_payload` bytes.
class FrameReader {
   public:
    explicit FrameReader(size_t max_payload) : max_payload_(max_payload) {}
    void feed(std::string_view bytes);
    std::optional<std::string> take();
    // Bytes still wanted before the current frame is complete (at least 1).
    size_t wanted() const;

   private:
    size_t max_payload_;
    std::string buffer_;
    std::optional<size_t> length_;
};

// Blocking helpers for the client side (fd: a socket); they retry on EINTR and
// throw std::system_error (with `what` as context) on failure or early EOF.
// write_all sends with MSG_NOSIGNAL: a closed peer is EPIPE, not SIGPIPE.
void write_all(int fd, std::string_view data, const char* what);
std::string read_frame(int fd, size_t max_payload, const char* what);

}  // namespace xvs::control
