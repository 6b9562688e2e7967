// LineDialogue: the base of the negotiate checks whose protocols are lines
// of text where the server speaks first (SMTP, POP3, IMAP, NNTP).
//
// Contract:
//  - request() is empty: the probe connects (and shakes hands for the TLS
//    variants) and waits for the greeting.
//  - Each complete line the server sends (CR LF or LF, the ending removed)
//    goes to on_line() in order; it returns the verdict or nothing, and
//    queues the next command with send(). A line longer than max_line ends
//    the check down.
//  - Lines of the server are quoted in reasons cut at 80 bytes; what this side
//    sends (passwords) never is.
//  - The connection closing before a verdict is down, naming what was awaited.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "health/check_spec.h"
#include "health/probe.h"

namespace xvs {

class LineDialogue : public StreamDialogue {
public:
    static constexpr size_t max_line = 8192;

    explicit LineDialogue(std::string protocol) : protocol_(std::move(protocol)) {}

    std::string request() const override { return {}; }
    std::optional<CheckResult> judge(std::string_view received, bool eof) override;
    std::string next_request() override;
    std::string awaited() const override { return awaited_; }

protected:
    virtual std::optional<CheckResult> on_line(std::string_view line) = 0;
    // Queues `command` (CR LF added) and names the reply it waits for.
    void send(const std::string& command, std::string awaited);
    CheckResult up(const std::string& why) const;
    // "<protocol>: <step> answered '<line>'".
    CheckResult refused(const std::string& step, std::string_view line) const;

private:
    std::string protocol_;
    std::string awaited_ = "the greeting";
    std::string pending_;
    size_t consumed_ = 0;  // bytes of received lines already given to on_line
};

// A server's line as reasons quote it: at most 80 bytes, control bytes as '?'.
std::string quoted_reply(std::string_view line);

// The three-digit code of an SMTP/NNTP reply line, or 0 when there is none.
int reply_code(std::string_view line);

}  // namespace xvs
