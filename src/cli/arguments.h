// ipvsadm's command line, parsed the way ipvsadm (popt) parses it.
//
// Short options combine ("-Ln", "-Lnc"), take their argument attached or as
// the next word ("-t10.0.0.1:80", "-t 10.0.0.1:80"); long options take
// "--opt=value" or "--opt value"; -p's timeout is optional. After parsing, the
// options are checked against the command with ipvsadm's option matrix, so the
// messages ("Illegal '%s' option with the '%s' command", ...) and exit codes
// are ipvsadm's. The whole command set is parsed (-A/-E/-D/-a/-e/-d/-C/-R/-S/
// -L/-Z); xvsadm --instance NAME selects the daemon. --status (xvs's own)
// takes no other option but --instance.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "cli/listing.h"
#include "dataplane/dataplane.h"
#include "model/model.h"

namespace xvs::cli {

enum class Command {
    none,
    add_service,
    edit_service,
    delete_service,
    clear,
    list,
    add_server,
    delete_server,
    edit_server,
    set_timeout,
    start_daemon,
    stop_daemon,
    restore,
    save,
    zero,
    help,
    version,
    dataplane_status,  // --status: xvs's own, no ipvsadm counterpart
};

// ipvsadm's option bits (its order: the index into its names and matrix).
enum Option : unsigned {
    opt_numeric = 1u << 0,
    opt_connection = 1u << 1,
    opt_service = 1u << 2,
    opt_scheduler = 1u << 3,
    opt_persistent = 1u << 4,
    opt_netmask = 1u << 5,
    opt_server = 1u << 6,
    opt_forward = 1u << 7,
    opt_weight = 1u << 8,
    opt_uthreshold = 1u << 9,
    opt_lthreshold = 1u << 10,
    opt_mcast_interface = 1u << 11,
    opt_timeout = 1u << 12,
    opt_daemon = 1u << 13,
    opt_stats = 1u << 14,
    opt_rate = 1u << 15,
    opt_thresholds = 1u << 16,
    opt_persistent_conn = 1u << 17,
    opt_nosort = 1u << 18,
    opt_syncid = 1u << 19,
    opt_exact = 1u << 20,
    opt_ops = 1u << 21,
    opt_pe = 1u << 22,
    opt_sched_flags = 1u << 23,
    opt_tun_info = 1u << 24,
    opt_tun_type = 1u << 25,
    opt_tun_port = 1u << 26,
    opt_tun_nocsum = 1u << 27,
    opt_tun_csum = 1u << 28,
    opt_tun_remcsum = 1u << 29,
};

// A command line ipvsadm would refuse: print message, exit with exit_code.
class UsageError : public std::runtime_error {
   public:
    UsageError(const std::string& message, int exit_code)
        : std::runtime_error(message), exit_code(exit_code) {}
    int exit_code;
};

struct Arguments {
    Command command = Command::none;
    unsigned options = 0;
    std::string instance = "default";
    std::optional<ServiceKey> service;
    std::string scheduler;
    std::optional<uint32_t> persistence_timeout;  // -p [T] (default 360)
    std::optional<uint32_t> netmask_prefix;       // -M
    std::optional<RealKey> real;                  // -r
    std::optional<ForwardMethod> method;          // -g | -i | -m
    std::optional<int> weight;                    // -w
    std::optional<uint32_t> upper_threshold;      // -x
    std::optional<uint32_t> lower_threshold;      // -y
    Tunnel tunnel;                                // --tun-type, --tun-port, --tun-*csum
    std::vector<std::string> scheduler_flags;     // -b
    bool one_packet = false;                      // -o
    std::string persistence_engine;               // --pe NAME
    std::optional<ConnectionTimeouts> timeouts;   // --set TCP TCPFIN UDP
    ListingFormat format;                         // --stats ... --exact --nosort
};

// `args` excludes the program name. Throws UsageError.
Arguments parse_arguments(const std::vector<std::string>& args);

// ipvsadm -h, with `program` as the name.
std::string usage_text(const std::string& program);

}  // namespace xvs::cli
