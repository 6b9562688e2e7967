#include "daemon/log_text.h"

#include <cstdint>

namespace xvs {
namespace {

// Length of the well-formed, non-control UTF-8 sequence starting text[i]
// (0 when the byte there does not start one).
size_t utf8_sequence(std::string_view text, size_t i) {
    auto byte = [&](size_t k) { return static_cast<uint8_t>(text[k]); };
    uint8_t b0 = byte(i);
    size_t n = b0 >= 0xf0 ? 4 : b0 >= 0xe0 ? 3 : b0 >= 0xc0 ? 2 : 0;
    if (n == 0 || b0 > 0xf4 || i + n > text.size()) return 0;
    uint32_t cp = b0 & (0x7f >> n);
    for (size_t k = 1; k < n; ++k) {
        if ((byte(i + k) & 0xc0) != 0x80) return 0;
        cp = (cp << 6) | (byte(i + k) & 0x3f);
    }
    static constexpr uint32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < smallest[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    if (cp <= 0x9f) return 0;  // C1 controls
    return n;
}

}  // namespace

std::string escape_log_text(std::string_view text) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size();) {
        auto b = static_cast<uint8_t>(text[i]);
        if (b == '\\') {
            out += "\\\\";
            ++i;
        } else if (b >= 0x20 && b < 0x7f) {
            out += static_cast<char>(b);
            ++i;
        } else if (size_t n = b >= 0x80 ? utf8_sequence(text, i) : 0; n > 0) {
            out.append(text.substr(i, n));
            i += n;
        } else {
            out += "\\x";
            out += hex[b >> 4];
            out += hex[b & 0xf];
            ++i;
        }
    }
    return out;
}

}  // namespace xvs
