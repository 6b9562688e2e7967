// ipvsadm's listings, byte for byte, as pure functions from status data to text.
//
// The formats are ipvsadm 1.31's printf formats (`ipvsadm -L -n` and friends).
// Differences, on purpose:
//  - addresses and ports are always numeric: -n is accepted and implied
//    (ipvsadm without -n resolves host and service names);
//  - the version line always reads "IP Virtual Server version 1.2.1 (size=4096)",
//    the values of a stock kernel, whichever data plane serves;
//  - rates are the daemon's (see daemon/rate_estimator.h).
// Sorting replicates ipvsadm's comparators and its use of qsort, including their
// wrap-around on addresses that differ by 2^31 or more, so the order is the one
// ipvsadm would print for the same entries.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "control/protocol.h"
#include "dataplane/dataplane.h"

namespace xvs::cli {

enum class ListingColumns { standard, stats, rate, thresholds, persistent_conn, tunnel_info };

struct ListingFormat {
    ListingColumns columns = ListingColumns::standard;
    bool exact = false;  // --exact: no K/M/G/T scaling
    bool sort = true;    // --nosort clears it
};

// `ipvsadm -Ln [--stats|--rate|--thresholds|--persistent-conn]`: version line,
// column titles, every service with its reals.
std::string format_table(const std::vector<control::ServiceReport>& services,
                         const ListingFormat& format);
// `ipvsadm -Ln -t VIP:PORT`: column titles and the one service (no version line).
std::string format_one_service(const control::ServiceReport& service, const ListingFormat& format);
// `ipvsadm -Lnc`: the connection table in the given order. A persistence
// template of a firewall-mark service (protocol fwmark) prints as protocol "IP",
// as IPVS does; its virtual address is whatever the data plane reports (IPVS
// shows the mark as an address, e.g. 0.0.0.100:0).
// `with_pe` adds ipvsadm's "pe name" and "pe_data" columns (--persistent-conn).
std::string format_connections(const std::vector<ConnectionEntry>& connections, bool with_pe);
// The same in parts, for a table that arrives in parts: the title once, then
// the rows of each part.
std::string format_connection_title(bool with_pe);
std::string format_connection_rows(const std::vector<ConnectionEntry>& connections, bool with_pe);
// `ipvsadm -Sn`: the rules as ipvsadm commands.
std::string format_rules(const std::vector<control::ServiceReport>& services, bool sort);

// ipvsadm's print_largenum: 9 columns, scaled to K/M/G/T unless exact.
std::string format_large_number(uint64_t value, bool exact);

}  // namespace xvs::cli
