// EmailAlerts: ldirectord's emailalert= policy (ld_emailalert_send and
// ld_emailalert_resend): which change mails whom, with which text, and the
// repeats of emailalertfreq=.
//
// Contract:
//  - alert(virt, subject, real, repeats) mails `subject` to the virtual's
//    emailalert= addresses (its own or the global ones, comma separated)
//    when the daemon's status is among its emailalertstatus=; the subject
//    gets "[servicename] " in front when the virtual has one. The body is
//    ldirectord's: "ldirectord host: H", "Log-Message: SUBJECT",
//    "Daemon-Status: running", then "Service name:" and "Comment:" when set.
//    The mail goes through the virtual's smtp= server, else sendmail. From:
//    emailalertfrom=, else USER@HOST, which is also the envelope sender.
//  - `repeats` true (a real went down) starts the real's repeats when
//    emailalertfreq= is not 0: every emailalertfreq seconds, resend_due()
//    mails "Inaccessible real server: REAL (VIRTUAL)" until an alert for
//    the real with `repeats` false (it came back, or was purged) ends them,
//    as ldirectord does; the status filter applies to repeats too, and a
//    repeat whose virtual is gone (a reload) is dropped.
//  - The texts are ldirectord's (real_down_subject() and the rest below) so
//    that mail filters written for ldirectord keep matching.
#pragma once

#include <ctime>
#include <functional>
#include <map>
#include <string>

#include "config/config.h"
#include "daemon/mail_message.h"

namespace xvs {

// ldirectord's get_virtual(): "10.0.0.1:80", "[2001:db8::1]:80", or the mark.
std::string alert_virtual_name(const ServiceKey& key);

// "Quiescent real server: R (V) (Weight set to 0)" / "Deleted real server: R (V)".
std::string real_down_subject(const VirtualConfig& virt, const std::string& real);
// "Restored real server: R (V) (Weight set to W)" / "Added real server: ...".
std::string real_up_subject(const VirtualConfig& virt, const std::string& real, uint32_t weight);
// "Added fallback server: F (V) (Weight set to 1)" / "Deleted fallback server: F (V)".
std::string fallback_subject(const VirtualConfig& virt, const std::string& fallback, bool on);
// "Purged real server (stop): R (V)".
std::string purged_subject(const VirtualConfig& virt, const std::string& real, const char* tag);

class EmailAlerts {
   public:
    using Send = std::function<void(MailMessage)>;
    using Lookup = std::function<const VirtualConfig*(const ServiceKey&)>;

    // host: the director's name (gethostname()), user: the daemon's user.
    EmailAlerts(Send send, std::string host, std::string user);

    void set_status(EmailAlertStatus status) { status_ = status; }
    EmailAlertStatus status() const { return status_; }
    void set_from(std::optional<std::string> emailalertfrom) { from_ = std::move(emailalertfrom); }

    // Returns whether a mail was queued.
    bool alert(const VirtualConfig& virt, const std::string& subject, const std::string& real, bool repeats,
               std::time_t now);
    void resend_due(const Lookup& lookup, std::time_t now);

    size_t repeating() const { return repeats_.size(); }

   private:
    struct Repeat {
        ServiceKey service;
        std::string real;
        std::time_t last = 0;
    };
    bool send(const VirtualConfig& virt, const std::string& subject);

    Send send_;
    std::string host_;
    std::string user_;
    std::optional<std::string> from_;
    EmailAlertStatus status_ = email_status_starting;
    std::map<std::string, Repeat> repeats_;  // "REAL (VIRTUAL)" -> its repeats
};

const char* email_status_name(EmailAlertStatus status);  // "starting", "running", ...

}  // namespace xvs
