#include "health/mail_dialogues.h"

namespace xvs {
namespace {

bool starts_with(std::string_view line, std::string_view prefix) { return line.substr(0, prefix.size()) == prefix; }

class SmtpDialogue : public LineDialogue {
public:
    SmtpDialogue() : LineDialogue("SMTP") {}
    std::string farewell() const override { return "QUIT\r\n"; }

protected:
    std::optional<CheckResult> on_line(std::string_view line) override {
        // A reply of several lines: "250-..." lines, then "250 ...".
        if (line.size() > 3 && line[3] == '-' && reply_code(line)) return std::nullopt;
        const int code = reply_code(line);
        switch (step_) {
            case Step::greeting:
                if (code / 100 != 2) return refused("the greeting", line);
                greeting_ = code;
                step_ = Step::ehlo;
                send("EHLO localhost.localdomain", "the EHLO reply");
                return std::nullopt;
            case Step::ehlo:
                if (code / 100 == 2) return up("greeting " + std::to_string(greeting_) + ", EHLO " + std::to_string(code));
                if (code / 100 != 5) return refused("EHLO", line);
                step_ = Step::helo;
                send("HELO localhost.localdomain", "the HELO reply");
                return std::nullopt;
            case Step::helo:
                if (code / 100 == 2) return up("greeting " + std::to_string(greeting_) + ", HELO " + std::to_string(code));
                return refused("HELO", line);
        }
        return std::nullopt;
    }

private:
    enum class Step { greeting, ehlo, helo } step_ = Step::greeting;
    int greeting_ = 0;
};

class PopDialogue : public LineDialogue {
public:
    PopDialogue(std::string login, std::string passwd)
        : LineDialogue("POP3"), login_(std::move(login)), passwd_(std::move(passwd)) {}
    std::string farewell() const override { return "QUIT\r\n"; }

protected:
    std::optional<CheckResult> on_line(std::string_view line) override {
        const bool ok = starts_with(line, "+OK");
        switch (step_) {
            case Step::greeting:
                if (!ok) return refused("the greeting", line);
                if (login_.empty()) return up("greeting +OK");
                step_ = Step::user;
                send("USER " + login_, "the USER reply");
                return std::nullopt;
            case Step::user:
                // Mail::POP3Client takes any "+" here.
                if (!starts_with(line, "+")) return refused("USER", line);
                step_ = Step::pass;
                send("PASS " + passwd_, "the PASS reply");
                return std::nullopt;
            case Step::pass:
                if (!ok) return refused("PASS", line);
                step_ = Step::stat;
                send("STAT", "the STAT reply");
                return std::nullopt;
            case Step::stat:
                if (!ok) return refused("STAT", line);
                return up("logged in as " + login_);
        }
        return std::nullopt;
    }

private:
    enum class Step { greeting, user, pass, stat } step_ = Step::greeting;
    std::string login_, passwd_;
};

// Net::IMAP::Simple's _escape: backslashes and quotes escaped, then quoted.
std::string imap_quoted(const std::string& text) {
    std::string out = "\"";
    for (char c : text) {
        if (c == '\\' || c == '"') out += '\\';
        out += c;
    }
    return out + "\"";
}

class ImapDialogue : public LineDialogue {
public:
    ImapDialogue(std::string login, std::string passwd)
        : LineDialogue("IMAP"), login_(std::move(login)), passwd_(std::move(passwd)) {}
    std::string farewell() const override { return "2 LOGOUT\r\n"; }

protected:
    std::optional<CheckResult> on_line(std::string_view line) override {
        if (!logging_in_) {
            if (!starts_with(line, "* OK") && !starts_with(line, "* PREAUTH")) return refused("the greeting", line);
            if (login_.empty()) return up("greeting " + std::string(line.substr(0, 4)));
            logging_in_ = true;
            send("1 LOGIN " + login_ + " " + imap_quoted(passwd_), "the LOGIN reply");
            return std::nullopt;
        }
        if (starts_with(line, "* ")) return std::nullopt;  // untagged data before the answer
        if (starts_with(line, "1 OK")) return up("logged in as " + login_);
        return refused("LOGIN", line);
    }

private:
    std::string login_, passwd_;
    bool logging_in_ = false;
};

class NntpDialogue : public LineDialogue {
public:
    NntpDialogue() : LineDialogue("NNTP") {}
    std::string farewell() const override { return "QUIT\r\n"; }

protected:
    std::optional<CheckResult> on_line(std::string_view line) override {
        if (!starts_with(line, "2")) return refused("the greeting", line);
        return up("greeting " + std::string(line.substr(0, 3)));
    }
};

}  // namespace

bool mail_service_uses_tls(const std::string& service) { return service == "pops" || service == "imaps"; }

std::unique_ptr<StreamDialogue> make_mail_dialogue(const CheckSpec& spec) {
    const std::string& s = spec.service;
    if (s == "smtp" || s == "submission") return std::make_unique<SmtpDialogue>();
    if (s == "pop" || s == "pops") return std::make_unique<PopDialogue>(spec.login, spec.passwd);
    if (s == "imap" || s == "imaps") return std::make_unique<ImapDialogue>(spec.login, spec.passwd);
    if (s == "nntp") return std::make_unique<NntpDialogue>();
    return nullptr;
}

}  // namespace xvs
