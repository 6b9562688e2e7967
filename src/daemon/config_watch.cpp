#include "daemon/config_watch.h"

#include <sys/inotify.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace xvs {

ConfigWatch::ConfigWatch(const std::string& config_path) {
    std::filesystem::path path(config_path);
    file_name_ = path.filename().string();
    std::string dir = path.has_parent_path() ? path.parent_path().string() : ".";
    fd_.reset(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
    if (!fd_) throw std::system_error(errno, std::generic_category(), "inotify_init1");
    // IN_CLOSE_WRITE rather than IN_MODIFY: a file written in several steps is
    // read once it is complete.
    uint32_t mask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_DELETE | IN_ATTRIB;
    if (::inotify_add_watch(fd_.get(), dir.c_str(), mask) < 0)
        throw std::system_error(errno, std::generic_category(), "inotify_add_watch " + dir);
}

bool ConfigWatch::changed() {
    bool ours = false;
    alignas(inotify_event) char buf[4096];
    for (;;) {
        ssize_t n = ::read(fd_.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;  // EAGAIN: drained
        for (char* p = buf; p < buf + n;) {
            auto* ev = reinterpret_cast<inotify_event*>(p);
            if (ev->len > 0 && file_name_ == ev->name) ours = true;
            if (ev->mask & IN_Q_OVERFLOW) ours = true;
            p += sizeof(inotify_event) + ev->len;
        }
    }
    return ours;
}

}  // namespace xvs
