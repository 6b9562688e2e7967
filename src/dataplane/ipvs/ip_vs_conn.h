// The IPVS connection table as the kernel publishes it in /proc/net/ip_vs_conn
// (ipvsadm -Lnc reads the same file; there is no netlink dump of connections).
//
// Format, one header line then one line per entry:
//   Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData
//   TCP C0A80064 A1B2 C0A80069 0050 C0A8EF81 0050 ESTABLISHED     899
// IPv4 addresses are 8 hex digits (host order), IPv6 ones are full
// colon-separated groups, ports 4 hex digits, Expires in seconds.
// Persistence templates have client port 0 and state NONE or ASSURED; a
// fwmark service's template has protocol "IP" (listed here as
// Protocol::fwmark) and the mark as its virtual address (0.0.0.100 for mark
// 100) with port 0. Protocols other than TCP, UDP and IP (SCTP...) are skipped.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "dataplane/dataplane.h"

namespace xvs {

// Throws DataplaneError naming the line on a malformed entry.
std::vector<ConnectionEntry> parse_ip_vs_conn(std::string_view text);
// Reads and parses the file; a missing file (no IPVS) is an empty table.
std::vector<ConnectionEntry> read_ip_vs_conn(const std::string& path = "/proc/net/ip_vs_conn");

}  // namespace xvs
