#include "daemon/logger.h"

#include <fcntl.h>
#include <syslog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <stdexcept>

#include "common/errno_text.h"
#include "daemon/log_text.h"

namespace xvs {
namespace {

struct FacilityName {
    const char* name;
    int value;
};
constexpr FacilityName facilities[] = {
    {"auth", LOG_AUTH},     {"authpriv", LOG_AUTHPRIV}, {"cron", LOG_CRON},
    {"daemon", LOG_DAEMON}, {"ftp", LOG_FTP},           {"kern", LOG_KERN},
    {"lpr", LOG_LPR},       {"mail", LOG_MAIL},         {"news", LOG_NEWS},
    {"syslog", LOG_SYSLOG}, {"user", LOG_USER},         {"uucp", LOG_UUCP},
    {"local0", LOG_LOCAL0}, {"local1", LOG_LOCAL1},     {"local2", LOG_LOCAL2},
    {"local3", LOG_LOCAL3}, {"local4", LOG_LOCAL4},     {"local5", LOG_LOCAL5},
    {"local6", LOG_LOCAL6}, {"local7", LOG_LOCAL7},
};

// All of `data`, or false as soon as a write fails (a full disk, a closed
// pipe): the caller counts the line as lost rather than retrying.
bool write_fully(int fd, std::string_view data) {
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
}

}  // namespace

Logger::Logger(std::string instance, int echo_fd)
    : instance_(std::move(instance)), echo_fd_(echo_fd) {}

Logger::~Logger() { close_sink(); }

void Logger::close_sink() {
    file_.reset();
    if (syslog_facility_ >= 0) ::closelog();
    syslog_facility_ = -1;
}

void Logger::set_logfile(const std::string& logfile) {
    std::lock_guard lock(mutex_);
    if (logfile == logfile_) return;
    if (logfile.empty()) {
        close_sink();
    } else if (logfile[0] == '/') {
        UniqueFd f(::open(logfile.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666));
        if (!f)
            throw std::runtime_error("cannot open logfile " + logfile + ": " +
                                     errno_text(errno));
        close_sink();
        file_ = std::move(f);
    } else {
        int facility = -1;
        for (const auto& fn : facilities)
            if (logfile == fn.name) facility = fn.value;
        if (facility < 0)
            throw std::runtime_error("logfile=" + logfile +
                                     " is neither a path nor a syslog facility");
        close_sink();
        ::openlog("xvsd", LOG_PID, facility);
        syslog_facility_ = facility;
    }
    // lost_ stays: lines the old file refused are reported in the new one.
    logfile_ = logfile;
}

uint64_t Logger::lines_lost() const {
    std::lock_guard lock(mutex_);
    return lost_;
}

void Logger::write_file(const std::string& text) {
    char stamp[64];
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    ::localtime_r(&now, &tm);
    std::strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tm);
    std::string prefix = std::string(stamp) + " xvsd[" + std::to_string(::getpid()) + "] " +
                         instance_ + ": ";
    if (lost_ > 0) {
        std::string notice = prefix + std::to_string(lost_) + " log lines lost\n";
        if (!write_fully(file_.get(), notice)) {
            ++lost_;
            return;
        }
        lost_ = 0;
    }
    if (!write_fully(file_.get(), prefix + text + "\n")) ++lost_;
}

void Logger::write(bool is_error, std::string_view message) {
    std::string text = escape_log_text(message);
    std::lock_guard lock(mutex_);
    // The stderr copy is best effort: a closed terminal or pipe must not
    // stop the logfile's.
    (void)write_fully(echo_fd_, "xvsd[" + instance_ + "]: " + text + "\n");
    if (file_) write_file(text);
    if (syslog_facility_ >= 0)
        ::syslog(is_error ? LOG_ERR : LOG_INFO, "%s: %s", instance_.c_str(), text.c_str());
}

}  // namespace xvs
