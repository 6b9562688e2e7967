#include "cli/dataplane_status.h"

#include <cstdio>

namespace xvs::cli {

std::string format_dataplane_status(const control::Reply& reply) {
    std::string out = "Data plane: " + reply.dataplane + "\n";
    char line[256];
    if (reply.interfaces.empty()) {
        out += "Interfaces: none attached (no XDP plane serves; IPVS does not use interface=)\n";
    } else {
        std::snprintf(line, sizeof line, "%-16s %-9s %-9s %-8s %s\n", "Interface", "State",
                      "Mode", "Ifindex", "Reattached");
        out += line;
        for (const auto& i : reply.interfaces) {
            std::string index = i.attached ? std::to_string(i.ifindex) : "-";
            std::snprintf(line, sizeof line, "%-16s %-9s %-9s %-8s %llu\n", i.name.c_str(),
                          i.attached ? "attached" : "MISSING", i.mode.c_str(), index.c_str(),
                          static_cast<unsigned long long>(i.reattachments));
            out += line;
            if (!i.attached) out += "  " + i.problem + "\n";
        }
    }
    if (reply.placements.empty()) {
        out += "Services: none\n";
        return out;
    }
    std::snprintf(line, sizeof line, "%-48s %s\n", "Service", "Plane");
    out += line;
    for (const auto& p : reply.placements) {
        std::snprintf(line, sizeof line, "%-48s %s\n", p.service.to_string().c_str(),
                      p.plane.c_str());
        out += line;
    }
    return out;
}

std::vector<std::string> missing_interfaces(const std::vector<InterfaceState>& interfaces) {
    std::vector<std::string> out;
    for (const auto& i : interfaces)
        if (!i.attached) out.push_back("interface " + i.name + " is missing: " + i.problem);
    return out;
}

}  // namespace xvs::cli
