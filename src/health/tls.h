// TLS client side of https checks, on non-blocking sockets.
//
// Contract (as ldirectord's LWP with verify_hostname => 0): no certificate
// or host name verification; SNI is sent when virtualhost names a host (not
// an address literal). A peer that closes without close_notify counts as an
// ordinary end of stream, as most HTTP servers do exactly that.
#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <string>

namespace xvs {

class TlsContext {
public:
    TlsContext();  // throws std::runtime_error with OpenSSL's reason
    SSL_CTX* get() const { return ctx_.get(); }

private:
    struct Free {
        void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
    };
    std::unique_ptr<SSL_CTX, Free> ctx_;
};

enum class TlsStatus { done, want_read, want_write, eof, failed };

// One client connection over an already connected fd (the fd stays owned by
// the caller and must outlive this object).
class TlsConnection {
public:
    TlsConnection(const TlsContext& context, int fd, const std::string& server_name);

    TlsStatus handshake();
    // Writes all of data (OpenSSL retries with the same buffer); sets
    // `written` to data.size() when done.
    TlsStatus write(const std::string& data, size_t& written);
    // Appends what can be read now to out; done = would block now.
    TlsStatus read_available(std::string& out, size_t cap);
    // OpenSSL's description of the last failure.
    const std::string& error() const { return error_; }

private:
    TlsStatus classify(int ret);
    struct Free {
        void operator()(SSL* s) const { SSL_free(s); }
    };
    std::unique_ptr<SSL, Free> ssl_;
    std::string error_;
};

}  // namespace xvs
