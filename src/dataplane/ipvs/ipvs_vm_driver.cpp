// ipvs_vm_driver: programs IPVS through IpvsDataplane from a small rule file,
// so the vm-test scenarios can check xvs's netlink encoding against the real
// ipvsadm. Not an operator tool: xvsd is.
//
//   ipvs_vm_driver apply BEFORE AFTER   adopt BEFORE ("-" = nothing), apply the
//                                       difference to AFTER
//   ipvs_vm_driver clear BEFORE         adopt BEFORE, remove it (cleanstop)
//   ipvs_vm_driver info                 "IP Virtual Server version V (size=N)"
//
// Rule file, one item per line ('#' starts a comment):
//   service tcp|udp ADDR:PORT SCHED [persistent=T] [prefix=N] [ops] [flags=a,b]
//   service fwm MARK SCHED ...                 (IPv4; "fwm6" for IPv6)
//   match tcp|udp ADDR:PORT                    (for the last fwmark service)
//   real ADDR:PORT gate|masq|ipip WEIGHT        (for the last service)
// Exit status 0 on success, 1 with the error on stderr.
#include <fstream>
#include <iostream>
#include <sstream>

#include "dataplane/ipvs/ipvs_dataplane.h"

using namespace xvs;

namespace {

[[noreturn]] void die(const std::string& m) { throw std::runtime_error(m); }

std::pair<IpAddress, uint16_t> parse_endpoint(const std::string& text) {
    std::string host = text, port = "0";
    if (!text.empty() && text[0] == '[') {
        auto close = text.find(']');
        if (close == std::string::npos) die("bad endpoint " + text);
        host = text.substr(1, close - 1);
        if (close + 1 < text.size() && text[close + 1] == ':') port = text.substr(close + 2);
    } else if (auto colon = text.rfind(':'); colon != std::string::npos && text.find(':') == colon) {
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
    }
    auto addr = IpAddress::parse(host);
    if (!addr) die("bad address " + host);
    return {*addr, static_cast<uint16_t>(std::stoul(port))};
}

Model read_model(const std::string& path) {
    Model model;
    if (path == "-") return model;
    std::ifstream in(path);
    if (!in) die("cannot open " + path);
    std::string line;
    VirtualService* current = nullptr;
    while (std::getline(in, line)) {
        if (auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
        std::istringstream f(line);
        std::string word;
        if (!(f >> word)) continue;
        if (word == "service") {
            std::string proto, where, sched;
            f >> proto >> where >> sched;
            VirtualService s;
            if (proto == "fwm" || proto == "fwm6") {
                s.key = ServiceKey::mark(std::stoul(where), proto == "fwm6" ? Family::v6 : Family::v4);
            } else {
                auto [addr, port] = parse_endpoint(where);
                s.key = ServiceKey::tcp_udp(proto == "udp" ? Protocol::udp : Protocol::tcp, addr, port);
            }
            s.scheduler = sched;
            s.persistence.prefix_len = s.key.family == Family::v6 ? 128 : 32;
            std::string opt;
            while (f >> opt) {
                if (opt.rfind("persistent=", 0) == 0) s.persistence.timeout = std::stoul(opt.substr(11));
                else if (opt.rfind("prefix=", 0) == 0) s.persistence.prefix_len = std::stoul(opt.substr(7));
                else if (opt == "ops") s.one_packet = true;
                else if (opt.rfind("flags=", 0) == 0) {
                    std::istringstream names(opt.substr(6));
                    std::string n;
                    while (std::getline(names, n, ',')) s.scheduler_flags.push_back(n);
                } else die("unknown service option " + opt);
            }
            current = &(model.services[s.key] = s);
        } else if (word == "match") {
            std::string proto, where;
            f >> proto >> where;
            if (!current) die("match before service");
            auto [addr, port] = parse_endpoint(where);
            current->matches.push_back({proto == "udp" ? Protocol::udp : Protocol::tcp, addr, port});
        } else if (word == "real") {
            std::string where, method;
            uint32_t weight = 1;
            f >> where >> method >> weight;
            if (!current) die("real before service");
            RealServer r;
            auto [addr, port] = parse_endpoint(where);
            r.key = {addr, port};
            r.method = method == "masq" ? ForwardMethod::masq
                       : method == "ipip" ? ForwardMethod::ipip
                                          : ForwardMethod::gate;
            r.weight = r.configured_weight = weight;
            current->reals[r.key] = r;
        } else {
            die("unknown line: " + line);
        }
    }
    return model;
}

// What changed between two rule files, in the terms apply() takes.
ModelDiff difference(const Model& before, const Model& after) {
    ModelDiff d;
    for (const auto& [key, svc] : before.services)
        if (!after.services.count(key)) d.removed_services.push_back(svc);
    for (const auto& [key, svc] : after.services) {
        auto old = before.services.find(key);
        if (old == before.services.end()) {
            d.added_services.push_back(svc);
            continue;
        }
        if (!old->second.same_settings(svc)) d.changed_services.push_back({old->second, svc});
        for (const auto& [rk, real] : old->second.reals)
            if (!svc.reals.count(rk)) d.removed_reals.push_back({key, real});
        for (const auto& [rk, real] : svc.reals) {
            auto was = old->second.reals.find(rk);
            if (was == old->second.reals.end())
                d.added_reals.push_back({key, real});
            else if (!(was->second == real))
                d.changed_reals.push_back({key, was->second, real});
        }
    }
    return d;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        std::string cmd = argc > 1 ? argv[1] : "";
        if (cmd == "info" && argc == 2) {
            IpvsClient client;
            auto info = client.info();
            std::cout << "IP Virtual Server version " << info.version_text()
                      << " (size=" << info.connection_table_size << ")\n";
            return 0;
        }
        auto plane = IpvsDataplane::open("vmtest");
        if (cmd == "apply" && argc == 4) {
            Model before = read_model(argv[2]);
            Model after = read_model(argv[3]);
            plane->adopt(before);
            plane->apply(difference(before, after), after);
            return 0;
        }
        if (cmd == "clear" && argc == 3) {
            plane->adopt(read_model(argv[2]));
            plane->clear();
            return 0;
        }
        std::cerr << "usage: ipvs_vm_driver apply BEFORE AFTER | clear BEFORE | info\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "ipvs_vm_driver: " << e.what() << "\n";
        return 1;
    }
}
