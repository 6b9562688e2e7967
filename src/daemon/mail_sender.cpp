#include "daemon/mail_sender.h"

#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <optional>

#include "common/child_process.h"
#include "common/unique_fd.h"

namespace xvs {
namespace {

using Clock = std::chrono::steady_clock;

std::string header_value(std::string v) {
    for (char& ch : v)
        if (ch == '\r' || ch == '\n') ch = ' ';
    return v;
}

std::string joined(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& i : items) out += (out.empty() ? "" : ", ") + header_value(i);
    return out;
}

// "host", "host:port", "[v6]", "[v6]:port".
std::pair<std::string, std::string> split_server(const std::string& server) {
    if (!server.empty() && server.front() == '[') {
        size_t close = server.find(']');
        std::string host = server.substr(1, close - 1);
        if (close + 1 < server.size() && server[close + 1] == ':') return {host, server.substr(close + 2)};
        return {host, "25"};
    }
    size_t colon = server.find(':');
    if (colon == std::string::npos) return {server, "25"};
    return {server.substr(0, colon), server.substr(colon + 1)};
}

// A socket conversation bounded per step.
class SmtpConnection {
   public:
    SmtpConnection(UniqueFd fd, int timeout_ms) : fd_(std::move(fd)), timeout_ms_(timeout_ms) {}

    // The reply's code and its last line; throws on timeout, EOF or error.
    std::pair<int, std::string> reply() {
        for (;;) {
            size_t eol;
            while ((eol = buffer_.find("\r\n")) != std::string::npos) {
                std::string line = buffer_.substr(0, eol);
                buffer_.erase(0, eol + 2);
                if (line.size() < 3) throw std::runtime_error("malformed reply \"" + line + "\"");
                if (line.size() > 3 && line[3] == '-') continue;  // continuation
                int code = std::atoi(line.substr(0, 3).c_str());
                return {code, line};
            }
            if (buffer_.size() > 65536) throw std::runtime_error("reply line too long");
            wait(POLLIN, "reply");
            char chunk[4096];
            ssize_t n = ::recv(fd_.get(), chunk, sizeof chunk, 0);
            if (n == 0) throw std::runtime_error("connection closed by the server");
            if (n < 0) {
                if (errno == EINTR || errno == EAGAIN) continue;
                throw std::runtime_error(std::string("reading: ") + std::strerror(errno));
            }
            buffer_.append(chunk, static_cast<size_t>(n));
        }
    }
    void write(const std::string& text) {
        size_t done = 0;
        while (done < text.size()) {
            wait(POLLOUT, "sending");
            ssize_t n = ::send(fd_.get(), text.data() + done, text.size() - done, MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EINTR || errno == EAGAIN) continue;
                throw std::runtime_error(std::string("sending: ") + std::strerror(errno));
            }
            done += static_cast<size_t>(n);
        }
    }
    // Sends `command` and expects a reply of class `want` (2, 3).
    std::string expect(const std::string& command, int want) {
        write(command + "\r\n");
        auto [code, line] = reply();
        if (code / 100 != want) throw std::runtime_error(command.substr(0, command.find(' ')) + ": \"" + line + "\"");
        return line;
    }

   private:
    void wait(short events, const char* what) {
        pollfd p{fd_.get(), events, 0};
        int r;
        do r = ::poll(&p, 1, timeout_ms_);
        while (r < 0 && errno == EINTR);
        if (r == 0) throw std::runtime_error(std::string("timeout waiting for the ") + what);
        if (r < 0) throw std::runtime_error(std::string("poll: ") + std::strerror(errno));
    }
    UniqueFd fd_;
    int timeout_ms_;
    std::string buffer_;
};

UniqueFd connect_bounded(const std::string& host, const std::string& port, int timeout_ms) {
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0)
        throw std::runtime_error("cannot resolve " + host + ": " + ::gai_strerror(rc));
    std::string last = "no address";
    for (addrinfo* a = found; a; a = a->ai_next) {
        UniqueFd fd(::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol));
        if (!fd) {
            last = std::strerror(errno);
            continue;
        }
        if (::connect(fd.get(), a->ai_addr, a->ai_addrlen) != 0 && errno != EINPROGRESS) {
            last = std::strerror(errno);
            continue;
        }
        pollfd p{fd.get(), POLLOUT, 0};
        int r = ::poll(&p, 1, timeout_ms);
        int err = 0;
        socklen_t len = sizeof err;
        if (r == 0) {
            last = "connect timed out";
            continue;
        }
        ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
        if (r < 0 || err != 0) {
            last = std::strerror(r < 0 ? errno : err);
            continue;
        }
        ::freeaddrinfo(found);
        return fd;
    }
    ::freeaddrinfo(found);
    throw std::runtime_error("cannot connect: " + last);
}

}  // namespace

std::string local_host_name() {
    char name[256] = {};
    if (::gethostname(name, sizeof name - 1) != 0 || !name[0]) return "localhost";
    return name;
}

std::string format_mail(const MailMessage& m, const std::string& message_id_host) {
    char date[64];
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    ::localtime_r(&now, &tm);
    std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S %z", &tm);
    static std::atomic<uint64_t> serial{0};
    std::string text = "From: " + header_value(m.from_header) + "\nTo: " + joined(m.to) +
                       "\nSubject: " + header_value(m.subject) + "\nDate: " + date + "\nMessage-ID: <" +
                       std::to_string(now) + "." + std::to_string(::getpid()) + "." + std::to_string(++serial) +
                       "@" + header_value(message_id_host) +
                       ">\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n" + m.body;
    if (!text.ends_with("\n")) text += "\n";
    return text;
}

MailSender::MailSender(Options options, std::function<void(const std::string&)> report)
    : options_(std::move(options)), report_(std::move(report)) {
    if (options_.helo_name.empty()) options_.helo_name = local_host_name();
    thread_ = std::thread([this] { run(); });
}

MailSender::~MailSender() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
}

void MailSender::send(MailMessage message) {
    {
        std::lock_guard lock(mutex_);
        if (queue_.size() >= options_.max_queued) {
            ++stats_.dropped;
            if (!drop_reported_) {
                drop_reported_ = true;
                report_("emailalert: " + std::to_string(options_.max_queued) +
                        " mails wait already; dropping \"" + message.subject + "\" and the next ones until they go");
            }
            return;
        }
        queue_.push_back(std::move(message));
    }
    wake_.notify_one();
}

bool MailSender::flush(std::chrono::milliseconds limit) {
    std::unique_lock lock(mutex_);
    return idle_.wait_for(lock, limit, [this] { return queue_.empty() && !busy_; });
}

MailSender::Stats MailSender::stats() const {
    std::lock_guard lock(mutex_);
    return stats_;
}

void MailSender::run() {
    std::unique_lock lock(mutex_);
    for (;;) {
        wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (stopping_) return;
        MailMessage m = std::move(queue_.front());
        queue_.pop_front();
        busy_ = true;
        lock.unlock();
        std::string error = deliver(m);
        if (!error.empty())
            report_("emailalert: mail to " + joined(m.to) + " via " + m.smtp_server.value_or(options_.sendmail) +
                    " failed: " + error + " (subject: " + header_value(m.subject) + ")");
        lock.lock();
        (error.empty() ? stats_.sent : stats_.failed)++;
        busy_ = false;
        if (queue_.empty()) drop_reported_ = false;
        idle_.notify_all();
    }
}

std::string MailSender::deliver(const MailMessage& m) {
    try {
        return m.smtp_server ? deliver_smtp(m, *m.smtp_server) : deliver_sendmail(m);
    } catch (const std::exception& e) {
        return e.what();
    }
}

std::string MailSender::deliver_smtp(const MailMessage& m, const std::string& server) {
    int timeout_ms = static_cast<int>(std::chrono::milliseconds(options_.step_timeout).count());
    auto [host, port] = split_server(server);
    SmtpConnection smtp(connect_bounded(host, port, timeout_ms), timeout_ms);
    auto [code, greeting] = smtp.reply();
    if (code != 220) throw std::runtime_error("greeting: \"" + greeting + "\"");
    try {
        smtp.expect("EHLO " + options_.helo_name, 2);
    } catch (const std::runtime_error&) {
        smtp.expect("HELO " + options_.helo_name, 2);
    }
    smtp.expect("MAIL FROM:<" + header_value(m.envelope_from) + ">", 2);
    std::vector<std::string> refused;
    for (const auto& to : m.to) {
        try {
            smtp.expect("RCPT TO:<" + header_value(to) + ">", 2);
        } catch (const std::runtime_error& e) {
            refused.push_back(to + ": " + e.what());
        }
    }
    if (refused.size() == m.to.size()) {
        std::string all;
        for (const auto& r : refused) all += (all.empty() ? "" : "; ") + r;
        throw std::runtime_error("every recipient refused: " + all);
    }
    smtp.expect("DATA", 3);
    std::string text = format_mail(m, options_.helo_name), wire;
    size_t at = 0;
    while (at < text.size()) {
        size_t eol = text.find('\n', at);
        std::string line = text.substr(at, eol - at);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (!line.empty() && line.front() == '.') wire += '.';
        wire += line + "\r\n";
        at = eol == std::string::npos ? text.size() : eol + 1;
    }
    smtp.write(wire);
    smtp.expect(".", 2);
    try {
        smtp.expect("QUIT", 2);
    } catch (const std::runtime_error&) {
        // Delivered already; a server that hangs up at QUIT changes nothing.
    }
    for (const auto& r : refused) report_("emailalert: recipient refused by " + server + ": " + r);
    return "";
}

std::string MailSender::deliver_sendmail(const MailMessage& m) {
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return std::string("pipe: ") + std::strerror(errno);
    UniqueFd read_end(pipe_fds[0]), write_end(pipe_fds[1]);
    std::vector<std::string> argv{options_.sendmail, "-oi", "-f", m.envelope_from, "--"};
    argv.insert(argv.end(), m.to.begin(), m.to.end());
    pid_t pid = -1;
    ChildSettings settings;
    settings.stdin_fd = read_end.get();
    if (int err = spawn_child(argv, settings, &pid); err != 0)
        return "cannot run " + options_.sendmail + ": " + std::strerror(err);
    read_end.reset();
    UniqueFd pidfd(open_pidfd(pid));
    auto deadline = Clock::now() + options_.step_timeout;
    auto remaining_ms = [&] {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        return static_cast<int>(std::max<long long>(0, left));
    };
    std::string text = format_mail(m, options_.helo_name);
    size_t done = 0;
    bool timed_out = false;
    ::fcntl(write_end.get(), F_SETFL, O_NONBLOCK);
    while (done < text.size()) {
        pollfd p{write_end.get(), POLLOUT, 0};
        int r = ::poll(&p, 1, remaining_ms());
        if (r == 0) {
            timed_out = true;
            break;
        }
        ssize_t n = ::write(write_end.get(), text.data() + done, text.size() - done);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            break;  // it closed its stdin: its exit status says the rest
        }
        done += static_cast<size_t>(n);
    }
    write_end.reset();
    if (!timed_out && pidfd) {
        pollfd p{pidfd.get(), POLLIN, 0};
        timed_out = ::poll(&p, 1, remaining_ms()) == 0;
    }
    if (timed_out) ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (timed_out)
        return options_.sendmail + " did not finish within " + std::to_string(options_.step_timeout.count()) +
               " s; killed";
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return options_.sendmail + " " + describe_wait_status(status);
    return "";
}

}  // namespace xvs
