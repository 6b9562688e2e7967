#include "health/ftp_probe.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdio>

#include "common/errno_text.h"
#include "health/line_dialogue.h"

namespace xvs {
namespace {

CheckResult down(std::string reason) { return {false, std::move(reason), 0}; }

// Sends what it can of `out` without blocking; false on a hard error.
bool send_some(int fd, std::string& out) {
    while (!out.empty()) {
        ssize_t n = ::send(fd, out.data(), out.size(), MSG_NOSIGNAL);
        if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
        out.erase(0, static_cast<size_t>(n));
    }
    return true;
}

// Appends what can be read now; returns 1 on EOF, 0 when it would block, -1 on error.
int read_some(int fd, std::string& in, size_t cap) {
    char buf[16384];
    for (;;) {
        if (in.size() >= cap) return 1;
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n > 0) {
            in.append(buf, static_cast<size_t>(n));
            continue;
        }
        if (n == 0) return 1;
        if (errno == EINTR) continue;
        return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
    }
}

bool connected_now(int fd, int& err) {
    socklen_t len = sizeof err;
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
    return err == 0;
}

}  // namespace

FtpProbe::FtpProbe(const CheckSpec& spec, std::shared_ptr<const ReceivePattern> receive)
    : target_(make_sockaddr(spec.address, spec.port)),
      login_(spec.login),
      passwd_(spec.passwd),
      file_(!spec.request.empty() && spec.request.front() == '/' ? spec.request.substr(1) : spec.request),
      receive_(std::move(receive)) {}

std::string FtpProbe::phase() const {
    switch (step_) {
        case Step::connecting: return "connecting";
        case Step::greeting: return "waiting for the FTP greeting";
        case Step::user: return "waiting for the USER reply";
        case Step::pass: return "waiting for the PASS reply";
        case Step::cwd: return "waiting for the CWD reply";
        case Step::type: return "waiting for the TYPE reply";
        case Step::pasv: return "waiting for the PASV reply";
        case Step::retr: return "transferring " + file_;
    }
    return "?";
}

std::optional<CheckResult> FtpProbe::start(ProbeIo& io) {
    control_.reset(::socket(target_.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!control_) {
        throw_if_out_of_fds(errno, "cannot create a socket");
        return down("cannot create a socket: " + errno_reason(errno));
    }
    if (::connect(control_.get(), target_.get(), target_.length) != 0 && errno != EINPROGRESS)
        return down(errno_reason(errno));
    io.watch(control_.get(), EPOLLOUT);
    return std::nullopt;
}

std::optional<CheckResult> FtpProbe::on_io(ProbeIo& io, uint32_t) {
    // Which socket is ready is not said: both are tried, neither blocks.
    if (step_ == Step::connecting) {
        int err = 0;
        if (!connected_now(control_.get(), err)) {
            if (err == EINPROGRESS || err == EALREADY) return std::nullopt;
            return down(errno_reason(err));
        }
        step_ = Step::greeting;
        io.watch(control_.get(), EPOLLIN);
    }
    if (auto verdict = on_control(io)) return verdict;
    if (data_) return on_data(io);
    return std::nullopt;
}

std::optional<CheckResult> FtpProbe::on_control(ProbeIo& io) {
    if (!send_some(control_.get(), control_out_)) return down("FTP: sending failed: " + errno_reason(errno));
    int got = read_some(control_.get(), control_in_, LineDialogue::max_line * 4);
    if (got < 0) return down("FTP: reading failed: " + errno_reason(errno));
    for (size_t end; (end = control_in_.find('\n')) != std::string::npos;) {
        std::string line = control_in_.substr(0, end);
        control_in_.erase(0, end + 1);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        int code = reply_code(line);
        if (code && line.size() > 3 && line[3] == '-') continue;  // a reply of several lines goes on
        if (!code) continue;                                       // the text lines within one
        if (auto verdict = on_reply(io, code, line)) return verdict;
    }
    if (got > 0) return down("FTP: the control connection closed while " + phase());
    io.watch(control_.get(), control_out_.empty() ? EPOLLIN : EPOLLIN | EPOLLOUT);
    return std::nullopt;
}

std::optional<CheckResult> FtpProbe::command(ProbeIo& io, const std::string& text, Step next) {
    control_out_ += text + "\r\n";
    step_ = next;
    if (!send_some(control_.get(), control_out_)) return down("FTP: sending failed: " + errno_reason(errno));
    io.watch(control_.get(), control_out_.empty() ? EPOLLIN : EPOLLIN | EPOLLOUT);
    return std::nullopt;
}

std::optional<CheckResult> FtpProbe::on_reply(ProbeIo& io, int code, const std::string& line) {
    const bool ok = code / 100 == 2;
    switch (step_) {
        case Step::connecting:
        case Step::greeting:
            if (!ok) return refused("the greeting", line);
            return command(io, "USER " + login_, Step::user);
        case Step::user:
            if (code == 331) return command(io, "PASS " + passwd_, Step::pass);
            if (!ok) return refused("USER", line);
            return command(io, "CWD /", Step::cwd);
        case Step::pass:
            if (!ok) return refused("PASS", line);
            return command(io, "CWD /", Step::cwd);
        case Step::cwd:
            if (!ok) return refused("CWD /", line);
            return command(io, "TYPE I", Step::type);
        case Step::type:
            if (!ok) return refused("TYPE I", line);
            return command(io, "PASV", Step::pasv);
        case Step::pasv:
            if (code != 227) return refused("PASV", line);
            return open_data(io, line);
        case Step::retr:
            if (code / 100 == 1 || ok) return std::nullopt;  // 150 opening, 226 done: the data decides
            return refused("RETR " + file_, line);
    }
    return std::nullopt;
}

std::optional<CheckResult> FtpProbe::open_data(ProbeIo& io, const std::string& reply) {
    // 227 Entering Passive Mode (h1,h2,h3,h4,p1,p2): the numbers after the code.
    unsigned h[4], p[2];
    size_t open = reply.find_first_of("0123456789", 4);
    if (open == std::string::npos ||
        std::sscanf(reply.c_str() + open, "%u,%u,%u,%u,%u,%u", &h[0], &h[1], &h[2], &h[3], &p[0], &p[1]) != 6 ||
        h[0] > 255 || h[1] > 255 || h[2] > 255 || h[3] > 255 || p[0] > 255 || p[1] > 255)
        return refused("PASV", reply);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(p[0] << 8 | p[1]));
    addr.sin_addr.s_addr = htonl(h[0] << 24 | h[1] << 16 | h[2] << 8 | h[3]);
    data_.reset(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!data_) {
        throw_if_out_of_fds(errno, "cannot create a socket");
        return down("cannot create a socket: " + errno_reason(errno));
    }
    if (::connect(data_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 && errno != EINPROGRESS)
        return down("FTP: the data connection failed: " + errno_reason(errno));
    data_connecting_ = true;
    io.watch(data_.get(), EPOLLOUT);
    step_ = Step::retr;
    return std::nullopt;
}

std::optional<CheckResult> FtpProbe::on_data(ProbeIo& io) {
    if (data_connecting_) {
        int err = 0;
        if (!connected_now(data_.get(), err)) {
            if (err == EINPROGRESS || err == EALREADY) return std::nullopt;
            return down("FTP: the data connection failed: " + errno_reason(err));
        }
        data_connecting_ = false;
        io.watch(data_.get(), EPOLLIN);
    }
    if (!retr_sent_) {
        retr_sent_ = true;
        if (auto verdict = command(io, "RETR " + file_, Step::retr)) return verdict;
    }
    int got = read_some(data_.get(), file_in_, max_file);
    if (got < 0) return down("FTP: reading " + file_ + " failed: " + errno_reason(errno));
    if (got == 0) return std::nullopt;
    return judge_file();
}

std::optional<CheckResult> FtpProbe::judge_file() {
    bool match = !receive_ || receive_->search(file_in_);
    if (match) farewell();
    if (!receive_) return CheckResult{true, "FTP: got " + file_ + " (" + std::to_string(file_in_.size()) + " bytes)", 0};
    return CheckResult{match, match ? "FTP: " + file_ + " matches receive" : "receive did not match", 0};
}

CheckResult FtpProbe::refused(const std::string& step, const std::string& line) const {
    return down("FTP: " + step + " answered '" + quoted_reply(line) + "'");
}

void FtpProbe::farewell() {
    // Best effort: the verdict is in and the sockets close right after.
    (void)::send(control_.get(), "QUIT\r\n", 6, MSG_NOSIGNAL | MSG_DONTWAIT);
}

}  // namespace xvs
