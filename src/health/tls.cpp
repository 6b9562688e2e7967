#include "health/tls.h"

#include <arpa/inet.h>
#include <openssl/err.h>

#include <cerrno>
#include <stdexcept>

#include "common/errno_text.h"
#include "health/sockaddr.h"

namespace xvs {
namespace {

std::string openssl_errors() {
    std::string text;
    while (unsigned long e = ERR_get_error()) {
        char buf[256];
        ERR_error_string_n(e, buf, sizeof buf);
        if (!text.empty()) text += "; ";
        text += buf;
    }
    return text;
}

bool is_address_literal(const std::string& name) {
    unsigned char buf[16];
    return inet_pton(AF_INET, name.c_str(), buf) == 1 || inet_pton(AF_INET6, name.c_str(), buf) == 1;
}

}  // namespace

TlsContext::TlsContext() : ctx_(SSL_CTX_new(TLS_client_method())) {
    if (!ctx_) throw std::runtime_error("TLS: cannot create a client context: " + openssl_errors());
    SSL_CTX_set_verify(ctx_.get(), SSL_VERIFY_NONE, nullptr);
    SSL_CTX_set_options(ctx_.get(), SSL_OP_IGNORE_UNEXPECTED_EOF);
}

TlsConnection::TlsConnection(const TlsContext& context, int fd, const std::string& server_name)
    : ssl_(SSL_new(context.get())) {
    if (!ssl_) throw std::runtime_error("TLS: cannot create a connection: " + openssl_errors());
    if (SSL_set_fd(ssl_.get(), fd) != 1)
        throw std::runtime_error("TLS: cannot attach the socket: " + openssl_errors());
    if (!server_name.empty() && !is_address_literal(server_name))
        SSL_set_tlsext_host_name(ssl_.get(), server_name.c_str());
    SSL_set_connect_state(ssl_.get());
}

TlsStatus TlsConnection::classify(int ret) {
    int err = SSL_get_error(ssl_.get(), ret);
    switch (err) {
        case SSL_ERROR_WANT_READ: return TlsStatus::want_read;
        case SSL_ERROR_WANT_WRITE: return TlsStatus::want_write;
        case SSL_ERROR_ZERO_RETURN: return TlsStatus::eof;
        case SSL_ERROR_SYSCALL: {
            int saved = errno;
            std::string queued = openssl_errors();
            error_ = !queued.empty() ? queued : (saved ? errno_reason(saved) : "connection closed");
            return TlsStatus::failed;
        }
        default:
            error_ = openssl_errors();
            if (error_.empty()) error_ = "TLS error " + std::to_string(err);
            return TlsStatus::failed;
    }
}

TlsStatus TlsConnection::handshake() {
    ERR_clear_error();
    int ret = SSL_connect(ssl_.get());
    return ret == 1 ? TlsStatus::done : classify(ret);
}

TlsStatus TlsConnection::write(const std::string& data, size_t& written) {
    if (written >= data.size()) return TlsStatus::done;
    ERR_clear_error();
    size_t n = 0;
    int ret = SSL_write_ex(ssl_.get(), data.data() + written, data.size() - written, &n);
    if (ret == 1) {
        written += n;
        return written >= data.size() ? TlsStatus::done : TlsStatus::want_write;
    }
    return classify(ret);
}

TlsStatus TlsConnection::read_available(std::string& out, size_t cap) {
    char buf[16384];
    for (;;) {
        if (out.size() >= cap) return TlsStatus::eof;
        ERR_clear_error();
        size_t n = 0;
        int ret = SSL_read_ex(ssl_.get(), buf, sizeof buf, &n);
        if (ret == 1) {
            out.append(buf, n);
            continue;
        }
        TlsStatus status = classify(ret);
        return status == TlsStatus::want_read ? TlsStatus::done : status;
    }
}

}  // namespace xvs
