// SimpleTcpDialogue: ldirectord's simpletcp negotiate check.
//
// Sends request= (a leading "/" dropped and each two-character "\n" turned
// into a newline, as ldirectord does), shuts down the sending side, then
// reads line by line: up as soon as one line contains a match of receive=;
// down ("receive did not match") when the peer closes without one.
#pragma once

#include <memory>
#include "health/receive_pattern.h"
#include <string>

#include "health/check_spec.h"
#include "health/probe.h"

namespace xvs {

// request= as ldirectord sends it.
std::string simpletcp_request_bytes(const std::string& request);

class SimpleTcpDialogue : public StreamDialogue {
public:
    SimpleTcpDialogue(const CheckSpec& spec, std::shared_ptr<const ReceivePattern> receive);
    std::string request() const override { return request_; }
    bool half_close_after_request() const override { return true; }
    std::optional<CheckResult> judge(std::string_view received, bool eof) override;

private:
    std::string request_;
    std::shared_ptr<const ReceivePattern> receive_;
    size_t checked_ = 0;  // bytes of complete lines already tested
};

}  // namespace xvs
