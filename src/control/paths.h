// Where a daemon instance keeps its run-time files.
//
// xvsd and xvsadm agree on these through this header only: the run directory
// /run/xvs/INSTANCE/ holds the control socket and the pid file. The root is a
// parameter so tests can use a private directory.
#pragma once

#include <string>

namespace xvs::control {

inline constexpr const char* default_run_root = "/run/xvs";
inline constexpr const char* default_instance = "default";

inline std::string run_dir_path(const std::string& instance,
                                 const std::string& run_root = default_run_root) {
    return run_root + "/" + instance;
}
inline std::string socket_path(const std::string& instance,
                               const std::string& run_root = default_run_root) {
    return run_dir_path(instance, run_root) + "/control.sock";
}
inline std::string pid_file_path(const std::string& instance,
                                 const std::string& run_root = default_run_root) {
    return run_dir_path(instance, run_root) + "/xvsd.pid";
}

// Instance names become path components: letters, digits, '.', '_', '-' only,
// not starting with '.', at most 64 characters.
bool is_valid_instance_name(const std::string& name);

}  // namespace xvs::control
