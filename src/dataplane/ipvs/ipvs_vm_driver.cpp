// ipvs_vm_driver: programs IPVS through IpvsDataplane from ldirectord.cf
// files, so the vm-test scenarios can check xvs's netlink encoding against
// the real ipvsadm before the daemon runs there. Not an operator tool: xvsd is.
//
//   ipvs_vm_driver apply BEFORE.cf AFTER.cf   adopt the model of BEFORE ("-" =
//                                             nothing) as programmed, then
//                                             apply the difference to AFTER
//   ipvs_vm_driver clear BEFORE.cf            adopt BEFORE, remove it (cleanstop)
//   ipvs_vm_driver info                       "IP Virtual Server version V (size=N)"
//   ipvs_vm_driver show FILE.cf               the model of FILE, one line per
//                                             service and real (no IPVS needed)
//
// Files are read with parse_config_file() (numeric addresses only) and turned
// into models by build_model() with every real healthy; the difference is
// model/diff's. Exit status 0 on success, 1 with the error on stderr.
#include <iostream>

#include "config/config.h"
#include "dataplane/ipvs/ipvs_dataplane.h"
#include "model/build.h"
#include "model/diff.h"

using namespace xvs;

namespace {

Model read_model(const std::string& path) {
    if (path == "-") return {};
    ParseOptions options;
    options.resolve_names = false;
    return build_model(parse_config_file(path, options));
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
        if (cmd == "show" && argc == 3) {
            for (const auto& [key, svc] : read_model(argv[2]).services) {
                std::cout << key.to_string() << " " << svc.scheduler << " persistent "
                          << svc.persistence.timeout << " prefix " << svc.persistence.prefix_len
                          << " matches " << svc.matches.size() << "\n";
                for (const auto& [rk, real] : svc.reals)
                    std::cout << "  -> " << rk.to_string() << " " << to_string(real.method) << " "
                              << real.weight << "\n";
            }
            return 0;
        }
        auto plane = IpvsDataplane::open("vmtest");
        if (cmd == "apply" && argc == 4) {
            Model before = read_model(argv[2]);
            Model after = read_model(argv[3]);
            plane->adopt(before);
            plane->apply(diff(before, after));
            return 0;
        }
        if (cmd == "clear" && argc == 3) {
            plane->adopt(read_model(argv[2]));
            plane->clear();
            return 0;
        }
        std::cerr << "usage: ipvs_vm_driver apply BEFORE AFTER | clear BEFORE | info | show FILE\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "ipvs_vm_driver: " << e.what() << "\n";
        return 1;
    }
}
