// What the ldirectord.cf reader holds while it reads one file: the globals
// so far, the virtual sections read (resolved only when the file ends), and
// the diagnostics. The line reader (parser.cpp) and the directive handlers
// (directives.cpp) share it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "config/diagnostics.h"
#include "config/resolve.h"

namespace xvs::config_detail {

// Far above any real director (the benchmark target is 1,000 x 100), low
// enough that a runaway range cannot exhaust memory.
inline constexpr size_t max_reals_per_file = 1000000;
// A virtual section costs a few KB while the file is read: without a cap, a
// file within the size limit of only virtual= lines took gigabytes.
inline constexpr size_t max_virtuals_per_file = 65536;

// A directive's value kept as written, to be read once the file ends.
struct PendingLine {
    std::string value;
    int line;
};

// Per-virtual values that override a global one; resolved when the file
// ends. Each has the name and value type of its GlobalConfig field, so one
// handler writes either (DirectiveContext::shared).
struct VirtualOverrides {
    std::optional<uint32_t> checktimeout, negotiatetimeout, checkinterval, checkcount, failurecount;
    int checkinterval_line = 0;
    std::optional<bool> quiescent, cleanstop;
    std::optional<std::string> emailalert, smtp, fallbackcommand;
    std::optional<uint32_t> emailalertfreq;
    std::optional<uint8_t> emailalertstatus;
};

// One virtual section as read, before the globals apply to it.
struct PendingVirtual {
    VirtualConfig v;
    bool header_ok = false;
    bool is_fwmark = false;
    Family family = Family::v4;
    std::string host_text, port_text;
    std::optional<Protocol> protocol_directive;
    std::vector<PendingLine> reals;
    std::optional<PendingLine> fallback;
    VirtualOverrides o;
    bool service_set = false;
    int netmask_line = 0;
    int ops_line = 0;
    int pe_line = 0;
};

struct ParseState {
    ParseState(std::string source, const ParseOptions& options) : diag(source), resolver(options) {
        config.source = std::move(source);
    }

    Diagnostics diag;
    Resolver resolver;
    Config config;
    std::vector<PendingVirtual> virtuals;
    bool in_virtual = false;        // the last column-1 line began a virtual section
    bool skipping_virtual = false;  // a section past max_virtuals_per_file
    bool virtuals_cap_reported = false;
    std::optional<PendingLine> global_fallback, global_fallback6;
    std::map<std::string, int> interface_lines;
};

}  // namespace xvs::config_detail
