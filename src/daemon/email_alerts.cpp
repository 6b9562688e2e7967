#include "daemon/email_alerts.h"

namespace xvs {
namespace {

std::string trimmed(std::string s) {
    size_t b = s.find_first_not_of(" \t");
    size_t e = s.find_last_not_of(" \t");
    return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

std::vector<std::string> addresses(const std::string& list) {
    std::vector<std::string> out;
    size_t at = 0;
    while (at <= list.size()) {
        size_t comma = list.find(',', at);
        if (comma == std::string::npos) comma = list.size();
        std::string one = trimmed(list.substr(at, comma - at));
        if (!one.empty()) out.push_back(std::move(one));
        at = comma + 1;
    }
    return out;
}

std::string about(const VirtualConfig& virt, const std::string& real) {
    return real + " (" + alert_virtual_name(virt.key) + ")";
}

}  // namespace

const char* email_status_name(EmailAlertStatus status) {
    switch (status) {
        case email_status_starting: return "starting";
        case email_status_running: return "running";
        case email_status_stopping: return "stopping";
        case email_status_reloading: return "reloading";
        default: return "UNKNOWN";
    }
}

std::string alert_virtual_name(const ServiceKey& key) {
    if (key.protocol == Protocol::fwmark) return std::to_string(key.fwmark);
    return key.address.with_port(key.port);
}

std::string real_down_subject(const VirtualConfig& virt, const std::string& real) {
    if (virt.check.quiescent) return "Quiescent real server: " + about(virt, real) + " (Weight set to 0)";
    return "Deleted real server: " + about(virt, real);
}

std::string real_up_subject(const VirtualConfig& virt, const std::string& real, uint32_t weight) {
    // A quiescent real stayed in the table at weight 0: ldirectord restores
    // it; otherwise it adds it again.
    return std::string(virt.check.quiescent ? "Restored" : "Added") + " real server: " + about(virt, real) +
           " (Weight set to " + std::to_string(weight) + ")";
}

std::string fallback_subject(const VirtualConfig& virt, const std::string& fallback, bool on) {
    if (on) return "Added fallback server: " + about(virt, fallback) + " (Weight set to 1)";
    return "Deleted fallback server: " + about(virt, fallback);
}

std::string purged_subject(const VirtualConfig& virt, const std::string& real, const char* tag) {
    return std::string("Purged real server (") + tag + "): " + about(virt, real);
}

EmailAlerts::EmailAlerts(Send send, std::string host, std::string user)
    : send_(std::move(send)), host_(std::move(host)), user_(std::move(user)) {}

bool EmailAlerts::alert(const VirtualConfig& virt, const std::string& subject, const std::string& real,
                        bool repeats, std::time_t now) {
    std::string id = about(virt, real);
    if (!repeats || virt.emailalertfreq == 0)
        repeats_.erase(id);
    else
        repeats_[id] = Repeat{virt.key, real, now};
    return send(virt, subject);
}

void EmailAlerts::resend_due(const Lookup& lookup, std::time_t now) {
    for (auto it = repeats_.begin(); it != repeats_.end();) {
        const VirtualConfig* virt = lookup(it->second.service);
        if (!virt || virt->emailalertfreq == 0) {
            it = repeats_.erase(it);
            continue;
        }
        if (now - it->second.last >= static_cast<std::time_t>(virt->emailalertfreq)) {
            it->second.last = now;
            send(*virt, "Inaccessible real server: " + it->first);
        }
        ++it;
    }
}

bool EmailAlerts::send(const VirtualConfig& virt, const std::string& subject) {
    if ((status_ & virt.emailalertstatus) == 0) return false;
    std::vector<std::string> to = addresses(virt.emailalert);
    if (to.empty()) return false;
    MailMessage m;
    m.envelope_from = user_ + "@" + host_;
    m.from_header = from_.value_or(m.envelope_from);
    m.to = std::move(to);
    m.subject = virt.servicename ? "[" + *virt.servicename + "] " + subject : subject;
    m.body = "ldirectord host: " + host_ + "\nLog-Message: " + subject + "\nDaemon-Status: " +
             email_status_name(status_) + "\n";
    std::string details;
    if (virt.servicename) details += "Service name: " + *virt.servicename + "\n";
    if (virt.comment) details += "Comment: " + *virt.comment + "\n";
    if (!details.empty()) m.body += "\n" + details;
    m.smtp_server = virt.smtp;
    send_(std::move(m));
    return true;
}

}  // namespace xvs
