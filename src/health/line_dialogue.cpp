#include "health/line_dialogue.h"

namespace xvs {

std::optional<CheckResult> LineDialogue::judge(std::string_view received, bool eof) {
    while (consumed_ < received.size()) {
        size_t end = received.find('\n', consumed_);
        if (end == std::string_view::npos) {
            if (received.size() - consumed_ > max_line)
                return CheckResult{false, protocol_ + ": a line of more than " + std::to_string(max_line) +
                                              " bytes while waiting for " + awaited_, 0};
            break;
        }
        std::string_view line = received.substr(consumed_, end - consumed_);
        consumed_ = end + 1;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (auto verdict = on_line(line)) return verdict;
    }
    if (eof) return CheckResult{false, protocol_ + ": connection closed while waiting for " + awaited_, 0};
    return std::nullopt;
}

std::string LineDialogue::next_request() { return std::exchange(pending_, {}); }

void LineDialogue::send(const std::string& command, std::string awaited) {
    pending_ += command + "\r\n";
    awaited_ = std::move(awaited);
}

CheckResult LineDialogue::up(const std::string& why) const { return {true, protocol_ + " " + why, 0}; }

std::string quoted_reply(std::string_view line) {
    std::string quoted(line.substr(0, 80));
    for (char& c : quoted)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    return quoted;
}

CheckResult LineDialogue::refused(const std::string& step, std::string_view line) const {
    return {false, protocol_ + ": " + step + " answered '" + quoted_reply(line) + "'", 0};
}

int reply_code(std::string_view line) {
    if (line.size() < 3) return 0;
    int code = 0;
    for (size_t i = 0; i < 3; ++i) {
        if (line[i] < '0' || line[i] > '9') return 0;
        code = code * 10 + (line[i] - '0');
    }
    if (line.size() > 3 && line[3] != ' ' && line[3] != '-') return 0;
    return code;
}

}  // namespace xvs
