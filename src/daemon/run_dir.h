// RunDir: the run directory of one daemon instance (/run/xvs/INSTANCE/), owned
// for the daemon's lifetime.
//
// Claiming it: creates the directory (0700), refuses when another live daemon
// owns the instance (its control socket accepts connections, or its pid file
// names a live xvsd), removes what a dead daemon left behind (stale socket,
// pid file), and writes our pid file. An flock on RUN_DIR/lock, held while
// the RunDir lives, makes two daemons starting at once see each other. Destruction removes the pid file; the
// control socket is the ControlServer's to remove.
#pragma once

#include <stdexcept>
#include <string>

#include "common/unique_fd.h"

namespace xvs {

class InstanceBusy : public std::runtime_error {
   public:
    using std::runtime_error::runtime_error;
};

class RunDir {
   public:
    // Throws InstanceBusy when another daemon runs the instance, and
    // std::system_error (with the path) when the directory cannot be set up.
    RunDir(const std::string& instance, const std::string& run_root);
    ~RunDir();
    RunDir(const RunDir&) = delete;
    RunDir& operator=(const RunDir&) = delete;

    const std::string& path() const { return path_; }
    const std::string& socket_path() const { return socket_path_; }
    const std::string& pid_file() const { return pid_file_; }

   private:
    std::string path_;
    std::string socket_path_;
    std::string pid_file_;
    UniqueFd lock_;  // flock()ed for the daemon's lifetime
};

}  // namespace xvs
