// MailMessage: one alert mail, fully formed (email_alerts.h makes them,
// mail_sender.h delivers them).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace xvs {

struct MailMessage {
    std::string envelope_from;        // MAIL FROM / sendmail -f, e.g. "root@director1"
    std::string from_header;          // the From: header's value (emailalertfrom or envelope_from)
    std::vector<std::string> to;      // one address each
    std::string subject;
    std::string body;                 // lines separated by "\n"
    std::optional<std::string> smtp_server;  // smtp=: "host", "host:port", "[v6]", "[v6]:port"; unset: sendmail
};

}  // namespace xvs
