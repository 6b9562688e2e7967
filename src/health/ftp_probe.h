// FtpProbe: ldirectord's ftp check (check_ftp: Net::FTP's login, cwd "/",
// binary, pasv, get request=, then receive= matched against the file).
//
// Contract:
//  - On the control connection: the greeting must be 2xx; USER login=, then
//    PASS passwd= when asked (331); CWD /, TYPE I, PASV must each be answered
//    2xx; then RETR request= (without its leading "/") over a data
//    connection to the address and port of the 227 reply, as Net::FTP
//    does. A reply of 4xx/5xx at any step is down, quoting the server.
//  - When the data connection ends, the file (up to max_file bytes) decides:
//    up when receive= matches it (PCRE2, as ldirectord's Perl match); with
//    receive= empty, up once the file came. QUIT is sent on leaving.
//  - ldirectord ignores a failed step and judges whatever came; here a failed
//    step is down at once, which is the same verdict whenever receive= is set.
//  - Two sockets, both non-blocking on the checker's loop; the data socket
//    is only opened after PASV.
#pragma once

#include <memory>
#include <string>

#include "common/unique_fd.h"
#include "health/check_spec.h"
#include "health/probe.h"
#include "health/receive_pattern.h"
#include "health/sockaddr.h"

namespace xvs {

class FtpProbe : public Probe {
public:
    static constexpr size_t max_file = 1 << 20;

    FtpProbe(const CheckSpec& spec, std::shared_ptr<const ReceivePattern> receive);

    std::optional<CheckResult> start(ProbeIo& io) override;
    std::optional<CheckResult> on_io(ProbeIo& io, uint32_t events) override;
    std::string phase() const override;

private:
    enum class Step { connecting, greeting, user, pass, cwd, type, pasv, retr };

    std::optional<CheckResult> on_control(ProbeIo& io);
    std::optional<CheckResult> on_reply(ProbeIo& io, int code, const std::string& line);
    std::optional<CheckResult> command(ProbeIo& io, const std::string& text, Step next);
    std::optional<CheckResult> open_data(ProbeIo& io, const std::string& reply);
    std::optional<CheckResult> on_data(ProbeIo& io);
    std::optional<CheckResult> judge_file();
    CheckResult refused(const std::string& step, const std::string& line) const;
    void farewell();

    SockAddr target_;
    std::string login_, passwd_, file_;
    std::shared_ptr<const ReceivePattern> receive_;
    UniqueFd control_, data_;
    Step step_ = Step::connecting;
    bool data_connecting_ = false, retr_sent_ = false;
    std::string control_in_, control_out_, file_in_;
};

}  // namespace xvs
