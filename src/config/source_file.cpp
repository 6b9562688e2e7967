#include "config/source_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/errno_text.h"
#include "common/unique_fd.h"
#include "config/config.h"

namespace xvs {
namespace {

[[noreturn]] void refuse(const std::string& path, const std::string& what) {
    throw ConfigError({path + ": " + what});
}

[[noreturn]] void refuse_errno(const std::string& path, const char* doing) {
    refuse(path, std::string(doing) + ": " + errno_text(errno));
}

const char* kind_of(mode_t mode) {
    if (S_ISDIR(mode)) return "a directory";
    if (S_ISFIFO(mode)) return "a FIFO";
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    if (S_ISSOCK(mode)) return "a socket";
    return "not a regular file";
}

// "PATH: is a FIFO, not a regular file", naming a symbolic link's target.
[[noreturn]] void refuse_kind(const std::string& path, mode_t mode) {
    std::string what = std::string("is ") + kind_of(mode) + ", not a regular file";
    struct stat link{};
    if (::lstat(path.c_str(), &link) == 0 && S_ISLNK(link.st_mode)) {
        char target[4096];
        ssize_t n = ::readlink(path.c_str(), target, sizeof target - 1);
        if (n > 0) what += " (a symbolic link to " + std::string(target, static_cast<size_t>(n)) + ")";
    }
    refuse(path, what);
}

// `size` is what stat said, or "more than M" for a file that grew while read.
[[noreturn]] void refuse_size(const std::string& path, const std::string& size, size_t max_bytes) {
    refuse(path, size + " bytes, the limit is " + std::to_string(max_bytes));
}

}  // namespace

std::string read_config_source(const std::string& path, size_t max_bytes) {
    // stat first: opening a FIFO for reading would wait for a writer, and
    // opening a device can have effects of its own.
    struct stat st{};
    if (::stat(path.c_str(), &st) != 0) refuse_errno(path, "cannot open");
    if (!S_ISREG(st.st_mode)) refuse_kind(path, st.st_mode);
    if (static_cast<unsigned long long>(st.st_size) > max_bytes)
        refuse_size(path, std::to_string(st.st_size), max_bytes);

    // O_NONBLOCK: should the path have been replaced by a FIFO since, the
    // open returns at once and the fstat below refuses it.
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
    if (!fd) refuse_errno(path, "cannot open");
    if (::fstat(fd.get(), &st) != 0) refuse_errno(path, "cannot stat");
    if (!S_ISREG(st.st_mode)) refuse_kind(path, st.st_mode);

    // Read at most one byte past the limit: a file still growing is refused
    // without reading the rest of it.
    std::string content;
    content.resize(std::min<size_t>(static_cast<size_t>(st.st_size), max_bytes) + 1);
    size_t used = 0;
    for (;;) {
        if (used == content.size()) {
            if (used > max_bytes) refuse_size(path, "more than " + std::to_string(max_bytes), max_bytes);
            content.resize(std::min(content.size() * 2, max_bytes + 1));
        }
        ssize_t n = ::read(fd.get(), content.data() + used, content.size() - used);
        if (n < 0) {
            if (errno == EINTR) continue;
            refuse_errno(path, "read error");
        }
        if (n == 0) break;
        used += static_cast<size_t>(n);
    }
    content.resize(used);
    return content;
}

}  // namespace xvs
