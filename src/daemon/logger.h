// Logger: xvsd's one-line messages.
//
// Every message goes to stderr ("xvsd[INSTANCE]: message") and, when the
// configuration says so, to ldirectord's `logfile=`: a value starting with '/'
// is a file appended to (with a timestamp), anything else a syslog facility
// name ("local0", "daemon", ...). Safe to call from several threads.
#pragma once

#include <cstdio>
#include <memory>
#include <mutex>
#include <string>

namespace xvs {

class Logger {
   public:
    explicit Logger(std::string instance);
    ~Logger();
    Logger(const Logger&) = delete;
    Logger& operator=(const Logger&) = delete;

    // Switches the second sink; "" = stderr only. Throws std::runtime_error when
    // the file cannot be opened or the facility is unknown (the old sink stays).
    void set_logfile(const std::string& logfile);
    const std::string& logfile() const { return logfile_; }

    void info(const std::string& message) { write(false, message); }
    void error(const std::string& message) { write(true, message); }

   private:
    void write(bool is_error, const std::string& message);
    void close_sink();

    std::mutex mutex_;
    std::string instance_;
    std::string logfile_;
    std::FILE* file_ = nullptr;  // owned; closed by close_sink()
    int syslog_facility_ = -1;   // >= 0 when syslog is the sink
};

}  // namespace xvs
