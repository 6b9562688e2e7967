#include "health/probe.h"

#include <cerrno>

#include "common/errno_text.h"
#include "health/sockaddr.h"

namespace xvs {

void throw_if_out_of_fds(int err, const std::string& what) {
    if (err == EMFILE || err == ENFILE) throw OutOfFds(what + ": " + errno_reason(err));
}

}  // namespace xvs
