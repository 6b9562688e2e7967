// The text of an errno value, the one way every message in xvs spells it.
#pragma once

#include <cctype>
#include <cstring>
#include <string>

namespace xvs {

// strerror(err); a negative err (libbpf's and netlink's -errno) reads as -err.
inline std::string errno_text(int err) { return std::strerror(err < 0 ? -err : err); }

// errno_text(err) with a lower-case first letter, for check reasons:
// "connection refused", "no route to host".
inline std::string errno_reason(int err) {
    std::string text = errno_text(err);
    if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
    return text;
}

}  // namespace xvs
