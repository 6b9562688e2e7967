#include "daemon/directories.h"

#include <sys/stat.h>

#include <cerrno>
#include <system_error>

namespace xvs {
namespace {

void make_one(const std::string& path, mode_t mode) {
    if (::mkdir(path.c_str(), mode) == 0) return;
    int err = errno;
    struct stat st {};
    if (err == EEXIST && ::stat(path.c_str(), &st) == 0) {
        if (S_ISDIR(st.st_mode)) return;
        throw std::system_error(ENOTDIR, std::generic_category(), "cannot create " + path);
    }
    throw std::system_error(err, std::generic_category(), "cannot create " + path);
}

}  // namespace

void make_directories(const std::string& path, mode_t mode) {
    // Each prefix ending before a '/' is a parent; "//" and a trailing '/'
    // give empty or repeated prefixes, which mkdir reports as existing.
    for (size_t slash = path.find('/', 1); slash != std::string::npos;
         slash = path.find('/', slash + 1))
        make_one(path.substr(0, slash), 0755);
    make_one(path, mode);
}

}  // namespace xvs
