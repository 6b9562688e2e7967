#include "local_servers.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <system_error>

namespace xvs::test {
namespace {

[[noreturn]] void fail(const std::string& what) { throw std::system_error(errno, std::generic_category(), what); }

UniqueFd make_stop_fd() {
    UniqueFd fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!fd) fail("eventfd");
    return fd;
}

void signal_stop(const UniqueFd& fd) {
    uint64_t one = 1;
    if (::write(fd.get(), &one, sizeof one) < 0) fail("eventfd write");
}

uint16_t bound_port(int fd) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) fail("getsockname");
    if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
    return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
}

UniqueFd bind_socket(int type, const IpAddress& address) {
    UniqueFd fd(::socket(address.af(), type | SOCK_CLOEXEC, 0));
    if (!fd) fail("socket");
    int one = 1;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_storage ss{};
    socklen_t len;
    if (address.is_v6()) {
        auto* sa = reinterpret_cast<sockaddr_in6*>(&ss);
        sa->sin6_family = AF_INET6;
        std::memcpy(&sa->sin6_addr, address.bytes.data(), 16);
        len = sizeof *sa;
    } else {
        auto* sa = reinterpret_cast<sockaddr_in*>(&ss);
        sa->sin_family = AF_INET;
        std::memcpy(&sa->sin_addr, address.bytes.data(), 4);
        len = sizeof *sa;
    }
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0) fail("bind");
    if ((type & 0xf) == SOCK_STREAM && ::listen(fd.get(), 4096) != 0) fail("listen");
    return fd;
}

// poll on fd and the stop fd; true when fd is readable.
bool wait_readable(int fd, int stop_fd, int timeout_ms) {
    pollfd p[2] = {{fd, POLLIN, 0}, {stop_fd, POLLIN, 0}};
    int r = ::poll(p, 2, timeout_ms);
    return r > 0 && (p[0].revents & (POLLIN | POLLHUP | POLLERR)) && !(p[1].revents & POLLIN);
}

void put16(std::string& s, uint16_t v) {
    s.push_back(static_cast<char>(v >> 8));
    s.push_back(static_cast<char>(v & 0xff));
}

}  // namespace

IpAddress loopback(Family family) {
    return *IpAddress::parse(family == Family::v6 ? "::1" : "127.0.0.1");
}

LocalTcpServer::LocalTcpServer(Family family, Handler handler)
    : address_(loopback(family)), stop_(make_stop_fd()), handler_(std::move(handler)) {
    listener_ = bind_socket(SOCK_STREAM, address_);
    port_ = bound_port(listener_.get());
    thread_ = std::thread([this] { serve(); });
}

LocalTcpServer::~LocalTcpServer() {
    signal_stop(stop_);
    thread_.join();
}

bool LocalTcpServer::wait_for_stop(double seconds) const {
    pollfd p{stop_.get(), POLLIN, 0};
    return ::poll(&p, 1, static_cast<int>(seconds * 1000)) > 0;
}

void LocalTcpServer::serve() {
    for (;;) {
        pollfd p[2] = {{listener_.get(), POLLIN, 0}, {stop_.get(), POLLIN, 0}};
        if (::poll(p, 2, -1) < 0) continue;
        if (p[1].revents & POLLIN) return;
        UniqueFd client(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
        if (!client) continue;
        ++accepted_;
        if (handler_) handler_(client.get(), *this);
    }
}

AcceptCloseServers::AcceptCloseServers(size_t count) : stop_(make_stop_fd()) {
    IpAddress any = *IpAddress::parse("0.0.0.0");
    for (size_t i = 0; i < count; ++i) {
        listeners_.push_back(bind_socket(SOCK_STREAM | SOCK_NONBLOCK, any));
        ports_.push_back(bound_port(listeners_.back().get()));
    }
    thread_ = std::thread([this] {
        UniqueFd ep(::epoll_create1(EPOLL_CLOEXEC));
        for (size_t i = 0; i <= listeners_.size(); ++i) {
            epoll_event ev{};
            ev.events = EPOLLIN;
            ev.data.u64 = i;
            int fd = i < listeners_.size() ? listeners_[i].get() : stop_.get();
            ::epoll_ctl(ep.get(), EPOLL_CTL_ADD, fd, &ev);
        }
        epoll_event events[64];
        for (;;) {
            int n = ::epoll_wait(ep.get(), events, 64, -1);
            for (int i = 0; i < n; ++i) {
                size_t which = events[i].data.u64;
                if (which == listeners_.size()) return;
                for (;;) {
                    int c = ::accept4(listeners_[which].get(), nullptr, nullptr, SOCK_CLOEXEC);
                    if (c < 0) break;
                    ::close(c);
                    ++accepted_;
                }
            }
        }
    });
}

AcceptCloseServers::~AcceptCloseServers() {
    signal_stop(stop_);
    thread_.join();
}

std::string read_http_request(int fd) {
    std::string data;
    char buf[4096];
    while (data.find("\r\n\r\n") == std::string::npos) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 5000) <= 0) break;
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        data.append(buf, static_cast<size_t>(n));
    }
    return data;
}

void write_all(int fd, const std::string& data) {
    size_t sent = 0;
    while (sent < data.size()) {
        ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) return;  // the client went away; its problem
        sent += static_cast<size_t>(n);
    }
}

std::string dns_answer(const std::string& query, const std::string& name, const std::string& address) {
    if (query.size() < 12) return {};
    // Question name, in dotted form, and where the question ends.
    std::string qname;
    size_t at = 12;
    while (at < query.size() && query[at] != 0) {
        size_t len = static_cast<uint8_t>(query[at]);
        if (!qname.empty()) qname += '.';
        qname += query.substr(at + 1, len);
        at += 1 + len;
    }
    size_t question_end = at + 5;
    if (question_end > query.size()) return {};
    uint16_t qtype = static_cast<uint16_t>(static_cast<uint8_t>(query[at + 1]) << 8 | static_cast<uint8_t>(query[at + 2]));
    bool found = qname == name && qtype == 1;
    std::string reply = query.substr(0, question_end);
    reply[2] = static_cast<char>(0x81);                // QR, RD
    reply[3] = static_cast<char>(found ? 0x80 : 0x83);  // RA, NOERROR / NXDOMAIN
    reply[6] = 0;
    reply[7] = found ? 1 : 0;
    reply[8] = reply[9] = reply[10] = reply[11] = 0;
    if (found) {
        put16(reply, 0xc00c);  // the name of the question
        put16(reply, 1);
        put16(reply, 1);
        put16(reply, 0);
        put16(reply, 60);
        put16(reply, 4);
        in_addr a{};
        inet_pton(AF_INET, address.c_str(), &a);
        reply.append(reinterpret_cast<const char*>(&a), 4);
    }
    return reply;
}

UdpDnsResponder::UdpDnsResponder(std::string name, std::string address)
    : stop_(make_stop_fd()), name_(std::move(name)), address_(std::move(address)) {
    socket_ = bind_socket(SOCK_DGRAM, loopback(Family::v4));
    port_ = bound_port(socket_.get());
    thread_ = std::thread([this] {
        char buf[1500];
        for (;;) {
            if (!wait_readable(socket_.get(), stop_.get(), -1)) return;
            sockaddr_storage from{};
            socklen_t len = sizeof from;
            ssize_t n = ::recvfrom(socket_.get(), buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
            if (n <= 0) continue;
            ++queries_;
            std::string reply = dns_answer(std::string(buf, static_cast<size_t>(n)), name_, address_);
            ::sendto(socket_.get(), reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&from), len);
        }
    });
}

UdpDnsResponder::~UdpDnsResponder() {
    signal_stop(stop_);
    thread_.join();
}

SelfSignedTls::SelfSignedTls() {
    EVP_PKEY* key = EVP_EC_gen("P-256");
    X509* cert = X509_new();
    if (!key || !cert) throw std::runtime_error("cannot generate a test key");
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("xvs-test"), -1, -1, 0);
    X509_set_issuer_name(cert, name);
    X509_sign(cert, key, EVP_sha256());
    ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx || SSL_CTX_use_certificate(ctx, cert) != 1 || SSL_CTX_use_PrivateKey(ctx, key) != 1)
        throw std::runtime_error("cannot set up the test TLS server");
    X509_free(cert);
    EVP_PKEY_free(key);
}

SelfSignedTls::~SelfSignedTls() { SSL_CTX_free(ctx); }

LocalTcpServer::Handler tls_http_handler(SSL_CTX* ctx, std::string response, std::shared_ptr<std::string> sni) {
    return [ctx, response, sni](int fd, LocalTcpServer&) {
        timeval tv{5, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        SSL* ssl = SSL_new(ctx);
        SSL_set_fd(ssl, fd);
        if (SSL_accept(ssl) == 1) {
            if (const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name)) *sni = name;
            std::string request;
            char buf[4096];
            while (request.find("\r\n\r\n") == std::string::npos) {
                int n = SSL_read(ssl, buf, sizeof buf);
                if (n <= 0) break;
                request.append(buf, static_cast<size_t>(n));
            }
            SSL_write(ssl, response.data(), static_cast<int>(response.size()));
            SSL_shutdown(ssl);
        }
        SSL_free(ssl);
    };
}

bool ChangeLog::wait(const std::function<bool(const ChangeLog&)>& pred, double limit_s) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(limit_s);
    for (;;) {
        for (auto& c : checker_.take_changes()) all_.push_back(std::move(c));
        if (pred(*this)) return true;
        double left = std::chrono::duration<double>(deadline - std::chrono::steady_clock::now()).count();
        if (left <= 0) return false;
        // Short slices: a predicate may also watch state outside the log.
        checker_.wait_for_changes(std::min(left, 0.05));
    }
}

std::optional<StateChange> ChangeLog::wait_for(SubscriberId id, size_t nth, double limit_s) {
    if (!wait([&](const ChangeLog& log) { return log.of(id).size() >= nth; }, limit_s)) return std::nullopt;
    return of(id)[nth - 1];
}

std::vector<StateChange> ChangeLog::of(SubscriberId id) const {
    std::vector<StateChange> out;
    for (const auto& c : all_)
        if (c.subscriber == id) out.push_back(c);
    return out;
}

TempDir::TempDir() {
    std::string pattern = "/tmp/xvs-health-test-" + std::to_string(::getpid()) + "-XXXXXX";
    if (!::mkdtemp(pattern.data())) fail("mkdtemp");
    path_ = pattern;
}

TempDir::~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

std::string TempDir::write_file(const std::string& name, const std::string& content, bool executable) const {
    std::string path = path_ + "/" + name;
    {
        std::ofstream out(path);
        out << content;
    }
    if (executable) ::chmod(path.c_str(), 0755);
    return path;
}

}  // namespace xvs::test
