#include "health/maintenance.h"

#include <dirent.h>
#include <sys/stat.h>

#include <memory>

#include <cctype>

namespace xvs {
namespace {

// ldirectord: $servername =~ /^([a-z][a-z0-9\-]+)\./
std::string short_name(const std::string& hostname) {
    if (hostname.empty() || !std::islower(static_cast<unsigned char>(hostname[0]))) return {};
    size_t i = 1;
    while (i < hostname.size() && (std::islower(static_cast<unsigned char>(hostname[i])) ||
                                   std::isdigit(static_cast<unsigned char>(hostname[i])) || hostname[i] == '-'))
        ++i;
    if (i < 2 || i >= hostname.size() || hostname[i] != '.') return {};
    return hostname.substr(0, i);
}

}  // namespace

std::vector<std::string> maintenance_file_names(const IpAddress& address, uint16_t port,
                                                const std::string& hostname) {
    std::string server = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
    std::string p = ":" + std::to_string(port);
    std::vector<std::string> names{server + p, server};
    if (!hostname.empty()) {
        names.push_back(hostname + p);
        names.push_back(hostname);
        if (std::string s = short_name(hostname); !s.empty()) {
            names.push_back(s + p);
            names.push_back(s);
        }
    }
    return names;
}

bool in_maintenance(const std::string& dir, const IpAddress& address, uint16_t port,
                    const std::string& hostname_if_any) {
    if (dir.empty()) return false;
    for (const std::string& name : maintenance_file_names(address, port, hostname_if_any)) {
        struct stat st;
        if (::stat((dir + "/" + name).c_str(), &st) == 0) return true;
    }
    return false;
}

std::set<std::string> maintenance_files(const std::string& dir) {
    std::set<std::string> names;
    if (dir.empty()) return names;
    std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), ::closedir);
    if (!d) return names;
    while (const dirent* e = ::readdir(d.get())) {
        std::string name = e->d_name;
        if (name != "." && name != "..") names.insert(std::move(name));
    }
    return names;
}

}  // namespace xvs
