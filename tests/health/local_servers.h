// Real servers on loopback for the health tests: TCP (plain or TLS) with a
// per-connection handler, a UDP DNS responder, helpers to collect state
// changes. Every server binds an ephemeral port and stops in its destructor.
#pragma once

#include <openssl/ssl.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/unique_fd.h"
#include "health/health_checker.h"
#include "model/address.h"

namespace xvs::test {

IpAddress loopback(Family family);

class LocalTcpServer {
public:
    // Runs on the server thread for each accepted connection, one at a time;
    // the server closes the fd afterwards.
    using Handler = std::function<void(int fd, LocalTcpServer& server)>;
    explicit LocalTcpServer(Family family = Family::v4, Handler handler = {});
    ~LocalTcpServer();

    IpAddress address() const { return address_; }
    uint16_t port() const { return port_; }
    size_t accepted() const { return accepted_; }
    // For handlers that stall: true when the server is stopping.
    bool wait_for_stop(double seconds) const;

private:
    void serve();
    IpAddress address_;
    uint16_t port_ = 0;
    UniqueFd listener_;
    UniqueFd stop_;
    Handler handler_;
    std::atomic<size_t> accepted_{0};
    std::thread thread_;
};

// Several listeners on 0.0.0.0 (so every 127.x.y.z reaches them) that accept
// and close at once, all on one thread.
class AcceptCloseServers {
public:
    explicit AcceptCloseServers(size_t count);
    ~AcceptCloseServers();
    const std::vector<uint16_t>& ports() const { return ports_; }
    size_t accepted() const { return accepted_; }

private:
    std::vector<UniqueFd> listeners_;
    std::vector<uint16_t> ports_;
    UniqueFd stop_;
    std::atomic<size_t> accepted_{0};
    std::thread thread_;
};

// Reads an HTTP request head (up to the blank line) or until EOF / 5 s.
std::string read_http_request(int fd);
void write_all(int fd, const std::string& data);

// Answers A queries for `name` with `address` and everything else with
// NXDOMAIN. Returns the reply to one query message (no TCP framing).
std::string dns_answer(const std::string& query, const std::string& name, const std::string& address);

class UdpDnsResponder {
public:
    UdpDnsResponder(std::string name, std::string address);
    ~UdpDnsResponder();
    uint16_t port() const { return port_; }
    size_t queries() const { return queries_; }

private:
    UniqueFd socket_;
    UniqueFd stop_;
    uint16_t port_ = 0;
    std::string name_, address_;
    std::atomic<size_t> queries_{0};
    std::thread thread_;
};

// A self-signed certificate and key made with the OpenSSL API.
struct SelfSignedTls {
    SelfSignedTls();
    ~SelfSignedTls();
    SSL_CTX* ctx = nullptr;
};

// Handler for LocalTcpServer: TLS handshake, then `http` answers the request.
// The SNI name the client sent is stored in *sni.
LocalTcpServer::Handler tls_http_handler(SSL_CTX* ctx, std::string response,
                                         std::shared_ptr<std::string> sni);

// Collects the checker's state changes.
class ChangeLog {
public:
    explicit ChangeLog(HealthChecker& checker) : checker_(checker) {}
    // Pulls changes until pred holds or the generous limit passes (a bound
    // against hanging, not a timing assertion).
    bool wait(const std::function<bool(const ChangeLog&)>& pred, double limit_s = 15);
    // Waits for a change of this subscriber (any, or the nth).
    std::optional<StateChange> wait_for(SubscriberId id, size_t nth = 1, double limit_s = 15);
    std::vector<StateChange> of(SubscriberId id) const;
    const std::vector<StateChange>& all() const { return all_; }

private:
    HealthChecker& checker_;
    std::vector<StateChange> all_;
};

// A directory under /tmp removed with its files on destruction.
class TempDir {
public:
    TempDir();
    ~TempDir();
    const std::string& path() const { return path_; }
    std::string write_file(const std::string& name, const std::string& content, bool executable = false) const;

private:
    std::string path_;
};

}  // namespace xvs::test
