// MailSender: delivers emailalert= mails (mail_message.h) on a thread of its
// own, so that neither a slow SMTP server nor a stuck mailer stops xvsd's
// event loop.
//
// Contract:
//  - send() never blocks: the mail is queued (at most max_queued; one more
//    is dropped, counted and reported).
//  - With smtp_server set: SMTP to that host (port 25 unless given) as
//    ldirectord's Net::SMTP does: greeting, EHLO (HELO if refused), MAIL
//    FROM, RCPT TO per address (a refused one is reported, the others still
//    get the mail; all refused is a failure), DATA, QUIT. Every step is
//    bounded by step_timeout. Without: `sendmail -oi -f FROM -- ADDR...`
//    with the message on stdin (no shell), killed past step_timeout.
//  - The message: From, To, Subject, Date, Message-ID, MIME headers, a blank
//    line, the body; CR and LF in header values become spaces (no header
//    injection); SMTP gets CRLF line ends and dot-stuffing.
//  - `report` gets one line per failure or drop, from the sender's thread.
//  - flush(limit): waits until nothing is queued or being sent (stop: the
//    "stopping" alerts go out before xvsd ends). The destructor abandons what
//    is still queued.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "daemon/mail_message.h"

namespace xvs {

// gethostname(), "localhost" when it has none: the EHLO name and the
// director's name in alerts.
std::string local_host_name();

// The message as sendmail reads it (LF line ends), headers first.
std::string format_mail(const MailMessage& message, const std::string& message_id_host);

class MailSender {
   public:
    struct Options {
        std::string sendmail = "/usr/sbin/sendmail";
        std::chrono::seconds step_timeout{10};
        size_t max_queued = 256;
        std::string helo_name;  // empty: gethostname()
    };
    struct Stats {
        uint64_t sent = 0, failed = 0, dropped = 0;
    };

    MailSender(Options options, std::function<void(const std::string&)> report);
    ~MailSender();
    MailSender(const MailSender&) = delete;
    MailSender& operator=(const MailSender&) = delete;

    void send(MailMessage message);
    bool flush(std::chrono::milliseconds limit);
    Stats stats() const;

   private:
    void run();
    // An error text, or "" when delivered.
    std::string deliver(const MailMessage& message);
    std::string deliver_smtp(const MailMessage& message, const std::string& server);
    std::string deliver_sendmail(const MailMessage& message);

    Options options_;
    std::function<void(const std::string&)> report_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::condition_variable idle_;
    std::deque<MailMessage> queue_;
    bool busy_ = false;
    bool stopping_ = false;
    bool drop_reported_ = false;
    Stats stats_;
    std::thread thread_;
};

}  // namespace xvs
