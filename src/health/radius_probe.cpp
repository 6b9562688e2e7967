#include "health/radius_probe.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/errno_text.h"

namespace xvs {
namespace {

constexpr uint8_t access_request = 1, access_accept = 2, access_reject = 3;
constexpr uint8_t attr_user_name = 1, attr_user_password = 2, attr_nas_ip = 4, attr_message_authenticator = 80;

CheckResult down(std::string reason) { return {false, std::move(reason), 0}; }

std::string md5(const std::string& data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(data.data(), data.size(), out, &len, EVP_md5(), nullptr);
    return std::string(reinterpret_cast<char*>(out), len);
}

std::string attribute(uint8_t type, const std::string& value) {
    // A value longer than 253 bytes does not fit one attribute: cut, as the
    // server would refuse it anyway.
    std::string v = value.substr(0, 253);
    return std::string(1, static_cast<char>(type)) + static_cast<char>(v.size() + 2) + v;
}

}  // namespace

std::string radius_hide_password(const std::string& password, const std::string& secret,
                                 const std::array<uint8_t, 16>& authenticator) {
    std::string padded = password.substr(0, 128);
    padded.resize(std::max<size_t>(16, (padded.size() + 15) / 16 * 16), '\0');
    std::string previous(reinterpret_cast<const char*>(authenticator.data()), authenticator.size());
    std::string out;
    for (size_t block = 0; block < padded.size(); block += 16) {
        std::string key = md5(secret + previous);
        std::string c(16, '\0');
        for (size_t i = 0; i < 16; ++i) c[i] = static_cast<char>(padded[block + i] ^ key[i]);
        out += c;
        previous = c;
    }
    return out;
}

RadiusProbe::RadiusProbe(const CheckSpec& spec)
    : target_(make_sockaddr(spec.address, spec.port)), login_(spec.login), passwd_(spec.passwd), secret_(spec.secret) {}

std::optional<CheckResult> RadiusProbe::start(ProbeIo& io) {
    socket_.reset(::socket(target_.family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!socket_) {
        throw_if_out_of_fds(errno, "cannot create a socket");
        return down("cannot create a socket: " + errno_reason(errno));
    }
    if (::connect(socket_.get(), target_.get(), target_.length) != 0) return down(errno_reason(errno));
    if (::getrandom(authenticator_.data(), authenticator_.size(), 0) != ssize_t(authenticator_.size()) ||
        ::getrandom(&id_, 1, 0) != 1)
        return down("RADIUS: no random bytes for the request: " + errno_reason(errno));

    std::string nas = "\x7f\0\0\x01";
    nas.resize(4);
    sockaddr_storage local{};
    socklen_t len = sizeof local;
    if (::getsockname(socket_.get(), reinterpret_cast<sockaddr*>(&local), &len) == 0 && local.ss_family == AF_INET)
        nas.assign(reinterpret_cast<const char*>(&reinterpret_cast<sockaddr_in*>(&local)->sin_addr), 4);
    std::string attrs = attribute(attr_user_name, login_) +
                        attribute(attr_user_password, radius_hide_password(passwd_, secret_, authenticator_)) +
                        attribute(attr_nas_ip, nas);
    const size_t signature_at = 20 + attrs.size() + 2;
    attrs += attribute(attr_message_authenticator, std::string(16, '\0'));
    std::string packet(4, '\0');
    packet[0] = static_cast<char>(access_request);
    packet[1] = static_cast<char>(id_);
    const uint16_t length = htons(static_cast<uint16_t>(20 + attrs.size()));
    std::memcpy(packet.data() + 2, &length, 2);
    packet.append(reinterpret_cast<const char*>(authenticator_.data()), 16);
    packet += attrs;
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    HMAC(EVP_md5(), secret_.data(), static_cast<int>(secret_.size()),
         reinterpret_cast<const unsigned char*>(packet.data()), packet.size(), mac, &mac_len);
    std::memcpy(packet.data() + signature_at, mac, 16);
    if (::send(socket_.get(), packet.data(), packet.size(), 0) < 0) return down(errno_reason(errno));
    io.watch(socket_.get(), EPOLLIN);
    return std::nullopt;
}

std::optional<CheckResult> RadiusProbe::on_io(ProbeIo&, uint32_t) {
    char buf[4096];
    for (;;) {
        ssize_t n = ::recv(socket_.get(), buf, sizeof buf, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return std::nullopt;
            return down(errno_reason(errno));  // ECONNREFUSED: ICMP port unreachable
        }
        std::string reply(buf, static_cast<size_t>(n));
        uint16_t length = 0;
        if (reply.size() >= 20) std::memcpy(&length, reply.data() + 2, 2);
        length = ntohs(length);
        // Another request's answer or garbage: keep waiting for ours.
        if (reply.size() < 20 || static_cast<uint8_t>(reply[1]) != id_ || length < 20 || length > reply.size()) continue;
        reply.resize(length);
        std::string signed_part = reply.substr(0, 4) +
                                  std::string(reinterpret_cast<const char*>(authenticator_.data()), 16) +
                                  reply.substr(20) + secret_;
        if (md5(signed_part) != reply.substr(4, 16)) return down("RADIUS: the reply is not signed with secret=");
        switch (static_cast<uint8_t>(reply[0])) {
            case access_accept: return CheckResult{true, "RADIUS: Access-Accept for " + login_, 0};
            case access_reject: return down("RADIUS: Access-Reject for " + login_);
            default: return down("RADIUS: reply code " + std::to_string(static_cast<uint8_t>(reply[0])));
        }
    }
}

}  // namespace xvs
