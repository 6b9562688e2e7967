// What a log line may carry: text from outside (configuration values, xvsadm
// arguments, probe replies, system error strings) made safe to log.
//
// Contract: printable ASCII and well-formed UTF-8 (no overlong forms, no
// surrogates, nothing above U+10FFFF) pass unchanged, except the C1 controls
// U+0080..U+009F; every other byte (controls such as '\n', '\r', ESC, DEL, a
// NUL, stray or truncated UTF-8) becomes "\xNN", and a backslash becomes "\\",
// so one message is one line and the escaped text reads back unambiguously.
#pragma once

#include <string>
#include <string_view>

namespace xvs {

std::string escape_log_text(std::string_view text);

}  // namespace xvs
