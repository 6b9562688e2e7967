#include "daemon/logger.h"

#include <syslog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <iostream>
#include <stdexcept>

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

}  // namespace

Logger::Logger(std::string instance) : instance_(std::move(instance)) {}

Logger::~Logger() { close_sink(); }

void Logger::close_sink() {
    if (file_) std::fclose(file_);
    file_ = nullptr;
    if (syslog_facility_ >= 0) ::closelog();
    syslog_facility_ = -1;
}

void Logger::set_logfile(const std::string& logfile) {
    std::lock_guard lock(mutex_);
    if (logfile == logfile_) return;
    if (logfile.empty()) {
        close_sink();
    } else if (logfile[0] == '/') {
        std::FILE* f = std::fopen(logfile.c_str(), "ae");
        if (!f)
            throw std::runtime_error("cannot open logfile " + logfile + ": " +
                                     std::strerror(errno));
        close_sink();
        file_ = f;
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
    logfile_ = logfile;
}

void Logger::write(bool is_error, const std::string& message) {
    std::lock_guard lock(mutex_);
    std::cerr << "xvsd[" << instance_ << "]: " << message << std::endl;
    if (file_) {
        char stamp[64];
        std::time_t now = std::time(nullptr);
        std::tm tm{};
        ::localtime_r(&now, &tm);
        std::strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tm);
        std::fprintf(file_, "%s xvsd[%d] %s: %s\n", stamp, static_cast<int>(::getpid()),
                     instance_.c_str(), message.c_str());
        std::fflush(file_);
    }
    if (syslog_facility_ >= 0)
        ::syslog(is_error ? LOG_ERR : LOG_INFO, "%s: %s", instance_.c_str(), message.c_str());
}

}  // namespace xvs
