#include "daemon/run_dir.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <system_error>

#include "control/paths.h"
#include "common/unique_fd.h"
#include "daemon/directories.h"

namespace xvs {
namespace {

[[noreturn]] void throw_errno(const std::string& what) {
    throw std::system_error(errno, std::generic_category(), what);
}

// True when something accepts connections on the socket.
bool socket_is_live(const std::string& path) {
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) throw_errno("socket");
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path) return false;
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    return ::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
}

// The pid in the file if that process is alive and is an xvsd, else 0.
pid_t live_owner(const std::string& pid_file) {
    std::ifstream in(pid_file);
    long pid = 0;
    if (!(in >> pid) || pid <= 1 || pid == ::getpid()) return 0;
    if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) return 0;
    std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
    std::string name;
    comm >> name;
    return name == "xvsd" ? static_cast<pid_t>(pid) : 0;
}

}  // namespace

RunDir::RunDir(const std::string& instance, const std::string& run_root)
    : path_(control::run_dir_path(instance, run_root)),
      socket_path_(control::socket_path(instance, run_root)),
      pid_file_(control::pid_file_path(instance, run_root)) {
    make_directories(run_root, 0755);
    make_directories(path_, 0700);
    if (::chmod(path_.c_str(), 0700) != 0) throw_errno("chmod " + path_);

    // The lock is the real arbiter (it dies with its process, so a crashed
    // daemon never blocks a restart); socket and pid file only explain who.
    std::string lock_path = path_ + "/lock";
    lock_.reset(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (!lock_) throw_errno("open " + lock_path);
    if (::flock(lock_.get(), LOCK_EX | LOCK_NB) != 0) {
        if (errno != EWOULDBLOCK) throw_errno("flock " + lock_path);
        pid_t owner = live_owner(pid_file_);
        throw InstanceBusy("another xvsd" +
                           (owner ? " (pid " + std::to_string(owner) + ")" : std::string()) +
                           " runs instance '" + instance + "' (" + path_ + ")");
    }
    if (socket_is_live(socket_path_))
        throw InstanceBusy("another xvsd serves instance '" + instance + "' (" + socket_path_ +
                           " accepts connections)");
    if (pid_t owner = live_owner(pid_file_))
        throw InstanceBusy("another xvsd (pid " + std::to_string(owner) + ") owns instance '" +
                           instance + "' (" + pid_file_ + ")");
    // Whatever is left belongs to a daemon that died.
    if (::unlink(socket_path_.c_str()) != 0 && errno != ENOENT)
        throw_errno("removing stale " + socket_path_);

    std::string tmp = pid_file_ + ".tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << ::getpid() << "\n";
        if (!out) throw std::system_error(EIO, std::generic_category(), "writing " + tmp);
    }
    if (::rename(tmp.c_str(), pid_file_.c_str()) != 0) throw_errno("rename " + pid_file_);
}

RunDir::~RunDir() {
    ::unlink(pid_file_.c_str());
    // The lock file stays: removing it would let a newcomer lock a new inode
    // while a third process still waits on the old one.
}

}  // namespace xvs
