// Logger: xvsd's one-line messages.
//
// Every message goes to stderr ("xvsd[INSTANCE]: message") and, when the
// configuration says so, to ldirectord's `logfile=`: a value starting with '/'
// is a file appended to (with a timestamp), anything else a syslog facility
// name ("local0", "daemon", ...). Safe to call from several threads.
//
// Messages are length-delimited (an embedded NUL does not cut one short) and
// escaped with escape_log_text() (log_text.h) on their way out, so text that
// came from input can neither forge log lines nor reach a terminal raw.
// A line the logfile refuses (a full disk, an I/O error) is counted; the next
// line that can be written is preceded by "N log lines lost" (in the new file
// when set_logfile() switched files meanwhile). A closed or
// broken stderr costs nothing but those copies (SIGPIPE is the daemon's to
// ignore, see Daemon::run).
#pragma once

#include <unistd.h>

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include "common/unique_fd.h"

namespace xvs {

class Logger {
   public:
    // `echo_fd`: where the stderr copy goes (not owned).
    explicit Logger(std::string instance, int echo_fd = STDERR_FILENO);
    ~Logger();
    Logger(const Logger&) = delete;
    Logger& operator=(const Logger&) = delete;

    // Switches the second sink; "" = stderr only. Throws std::runtime_error when
    // the file cannot be opened or the facility is unknown (the old sink stays).
    void set_logfile(const std::string& logfile);
    const std::string& logfile() const { return logfile_; }

    void info(std::string_view message) { write(false, message); }
    void error(std::string_view message) { write(true, message); }

    // Lines the logfile refused since it last accepted one.
    uint64_t lines_lost() const;

   private:
    void write(bool is_error, std::string_view message);
    void write_file(const std::string& text);
    void close_sink();

    mutable std::mutex mutex_;
    std::string instance_;
    int echo_fd_;
    std::string logfile_;
    UniqueFd file_;
    int syslog_facility_ = -1;  // >= 0 when syslog is the sink
    uint64_t lost_ = 0;
};

}  // namespace xvs
