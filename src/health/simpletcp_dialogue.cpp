#include "health/simpletcp_dialogue.h"

namespace xvs {

std::string simpletcp_request_bytes(const std::string& request) {
    std::string in = request;
    if (!in.empty() && in.front() == '/') in.erase(0, 1);
    std::string out;
    for (size_t i = 0; i < in.size(); ++i) {
        if (in[i] == '\\' && i + 1 < in.size() && in[i + 1] == 'n') {
            out += '\n';
            ++i;
        } else {
            out += in[i];
        }
    }
    return out;
}

SimpleTcpDialogue::SimpleTcpDialogue(const CheckSpec& spec, std::shared_ptr<const ReceivePattern> receive)
    : request_(simpletcp_request_bytes(spec.request)), receive_(std::move(receive)) {}

std::optional<CheckResult> SimpleTcpDialogue::judge(std::string_view received, bool eof) {
    auto matches = [&](std::string_view line) {
        return receive_->search(line);
    };
    for (;;) {
        size_t nl = received.find('\n', checked_);
        if (nl == std::string_view::npos) break;
        std::string_view line = received.substr(checked_, nl + 1 - checked_);
        checked_ = nl + 1;
        if (matches(line)) return CheckResult{true, "receive matched", 0};
    }
    if (!eof) return std::nullopt;
    if (checked_ < received.size() && matches(received.substr(checked_)))
        return CheckResult{true, "receive matched", 0};
    return CheckResult{false, received.empty() ? "connection closed without a reply" : "receive did not match", 0};
}

}  // namespace xvs
