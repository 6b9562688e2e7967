#include "dataplane/xdp/bpffs.h"

#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/statfs.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "common/errno_text.h"
#include "dataplane/dataplane.h"

namespace xvs {

void ensure_bpffs_mounted(const std::string& mount_point) {
    struct statfs fs {};
    if (statfs(mount_point.c_str(), &fs) == 0 && fs.f_type == BPF_FS_MAGIC) return;
    std::error_code ec;
    std::filesystem::create_directories(mount_point, ec);
    if (mount("bpf", mount_point.c_str(), "bpf", 0, "mode=0700") != 0)
        throw DataplaneError("mounting bpffs at " + mount_point + ": " + errno_text(errno) +
                             " (mount it by hand: mount -t bpf bpf " + mount_point + ")");
}

void make_pin_directory(const std::string& path) {
    std::error_code ec;
    std::filesystem::create_directories(path, ec);
    if (ec) throw DataplaneError("creating pin directory " + path + ": " + ec.message());
}

}  // namespace xvs
