#include "control/framing.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "control/protocol.h"

namespace xvs::control {

std::string frame(std::string_view payload) {
    std::string out(4, '\0');
    size_t n = payload.size();
    out[0] = static_cast<char>((n >> 24) & 0xff);
    out[1] = static_cast<char>((n >> 16) & 0xff);
    out[2] = static_cast<char>((n >> 8) & 0xff);
    out[3] = static_cast<char>(n & 0xff);
    out.append(payload);
    return out;
}

void FrameReader::feed(std::string_view bytes) {
    buffer_.append(bytes);
    if (!length_ && buffer_.size() >= 4) {
        const auto* b = reinterpret_cast<const unsigned char*>(buffer_.data());
        size_t n = (size_t{b[0]} << 24) | (size_t{b[1]} << 16) | (size_t{b[2]} << 8) | b[3];
        if (n > max_payload_)
            throw ProtocolError("control message of " + std::to_string(n) +
                                " bytes exceeds the limit of " + std::to_string(max_payload_));
        length_ = n;
        buffer_.erase(0, 4);
    }
    if (length_ && buffer_.size() > *length_)
        throw ProtocolError("unexpected data after a control message");
}

std::optional<std::string> FrameReader::take() {
    if (!length_ || buffer_.size() < *length_) return std::nullopt;
    std::string payload = std::move(buffer_);
    buffer_.clear();
    length_.reset();
    return payload;
}

size_t FrameReader::wanted() const {
    if (!length_) return 4 - buffer_.size();
    size_t left = *length_ - buffer_.size();
    return left ? left : 1;
}

void write_all(int fd, std::string_view data, const char* what) {
    while (!data.empty()) {
        ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw std::system_error(errno, std::generic_category(), what);
        }
        data.remove_prefix(static_cast<size_t>(n));
    }
}

std::string read_frame(int fd, size_t max_payload, const char* what) {
    FrameReader reader(max_payload);
    char buf[65536];
    for (;;) {
        if (auto payload = reader.take()) return *payload;
        size_t want = std::min(reader.wanted(), sizeof buf);
        ssize_t n = ::read(fd, buf, want);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw std::system_error(errno, std::generic_category(), what);
        }
        if (n == 0)
            throw std::system_error(ECONNRESET, std::generic_category(),
                                    std::string(what) + " (connection closed early)");
        reader.feed(std::string_view(buf, static_cast<size_t>(n)));
    }
}

}  // namespace xvs::control
