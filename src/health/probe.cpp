#include "health/probe.h"

#include <cerrno>

#include "health/sockaddr.h"

namespace xvs {

void throw_if_out_of_fds(int err, const std::string& what) {
    if (err == EMFILE || err == ENFILE) throw OutOfFds(what + ": " + error_reason(err));
}

}  // namespace xvs
