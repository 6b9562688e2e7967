#include "daemon/monitor_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "common/unique_fd.h"
#include "model/build.h"

namespace xvs {
namespace {

std::string check_name(const HealthCheckConfig& c) {
    switch (c.type) {
        case CheckType::negotiate:
        case CheckType::combined: return std::string(to_string(c.type)) + ":" + to_string(c.service);
        case CheckType::external:
        case CheckType::external_perl: return std::string(to_string(c.type)) + ":" + c.checkcommand;
        default: return to_string(c.type);
    }
}

// Perl's localtime() in scalar context: "Thu Dec  3 06:29:42 2026".
std::string perl_localtime(std::time_t when) {
    std::tm tm{};
    ::localtime_r(&when, &tm);
    char text[64];
    std::strftime(text, sizeof text, "%a %b %e %H:%M:%S %Y", &tm);
    return text;
}

}  // namespace

std::string monitor_real_id(const VirtualConfig& virt, const RealConfig& real) {
    const HealthCheckConfig& c = virt.check;
    std::string id = check_name(c) + ":" + to_string(virt.key.protocol) + ":" + real.key.address.to_string() +
                     ":" + std::to_string(effective_real_key(virt, real).port) + ":" +
                     c.virtualhost.value_or("") + ":" +
                     (c.checkport ? std::to_string(*c.checkport) : std::string()) + ":" +
                     std::to_string(real.weight) + ":" + to_string(real.method) + ":" +
                     check_request(virt, real) + ":" + check_receive(virt, real);
    // ldirectord: tr/:/ /s, then s/\\//g (its quotemeta'd request and
    // receive lose their backslashes again).
    std::string out;
    out.reserve(id.size());
    bool after_colon = false;
    for (char ch : id) {
        if (ch == '\\') {  // dropped after the squeeze: it still ends a run of ':'
            after_colon = false;
            continue;
        }
        if (ch == ':') {
            if (!after_colon) out += ' ';
            after_colon = true;
            continue;
        }
        after_colon = false;
        out += ch;
    }
    return out;
}

std::string monitor_line(std::time_t when, long pid, std::string_view real_id, bool up,
                         std::string_view message) {
    std::string escaped;
    if (message.empty()) escaped = "-";
    for (char ch : message) {
        if (ch == '%' || ch == '|' || ch == '\r' || ch == '\n') {
            char hex[4];
            std::snprintf(hex, sizeof hex, "%%%.2x", static_cast<unsigned char>(ch));
            escaped += hex;
        } else {
            escaped += ch;
        }
    }
    return "[" + perl_localtime(when) + "] [" + std::to_string(pid) + "] " + std::string(real_id) + " [" +
           (up ? "up" : "down") + "] " + escaped;
}

namespace {

UniqueFd open_for_append(const std::string& path) {
    return UniqueFd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644));
}

}  // namespace

std::optional<std::string> monitor_file_unusable(const std::string& path) {
    UniqueFd fd = open_for_append(path);
    if (!fd) return "unable to open monitorfile " + path + ": " + std::strerror(errno);
    return std::nullopt;
}

std::optional<std::string> MonitorFiles::append(const std::string& path, const std::string& line) {
    std::string text = line + "\n";
    UniqueFd fd = open_for_append(path);
    int error = 0;
    if (!fd) {
        error = errno;
    } else {
        // One write of one short line with O_APPEND: whole or failed.
        ssize_t n = ::write(fd.get(), text.data(), text.size());
        if (n < 0) error = errno;
        else if (static_cast<size_t>(n) != text.size()) error = ENOSPC;
    }
    if (error == 0) return std::nullopt;
    auto [it, added] = errors_.try_emplace(path, std::chrono::minutes(1));
    return it->second.report("writing to monitorfile " + path + ": " + std::strerror(error));
}

}  // namespace xvs
