// monitorfile=: one line per check result of a virtual's reals, as
// ldirectord's service_set() appends them, so that scripts reading an
// ldirectord monitor file read xvsd's unchanged:
//
//   [Thu Dec  3 06:29:42 2026] [4242] negotiate http tcp 10.0.0.2 80 1 gate /index.html ok [up] HTTP status 200
//
// The real is named by ldirectord's real id (check, protocol, address, port,
// virtualhost, checkport, weight, forwarding, request, receive) with each run
// of ':' turned into one space and backslashes dropped; the message is the
// check's reason with '%', '|', CR and LF escaped as %xx. Where ldirectord
// writes "-" for most successful checks, xvsd writes what the check saw
// ("connected", "HTTP status 200").
//
// The file is opened, appended to and closed per line (logrotate may move it
// at any time). ldirectord dies when a write fails; xvsd reports the error
// (at most once a minute per file) and goes on checking.
#pragma once

#include <ctime>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/throttle.h"
#include "config/config.h"

namespace xvs {

// ldirectord's real id, as the monitor file shows it.
std::string monitor_real_id(const VirtualConfig& virt, const RealConfig& real);

// One line, without the newline.
std::string monitor_line(std::time_t when, long pid, std::string_view real_id, bool up,
                         std::string_view message);

class MonitorFiles {
   public:
    // Appends `line` + "\n" to `path`; an error message when it could not
    // (nullopt also while that file's errors are throttled).
    std::optional<std::string> append(const std::string& path, const std::string& line);

   private:
    std::map<std::string, Throttle> errors_;
};

// Whether `path` can be opened for appending (created if missing), as
// ldirectord checks when it reads the file; the error text otherwise.
std::optional<std::string> monitor_file_unusable(const std::string& path);

}  // namespace xvs
