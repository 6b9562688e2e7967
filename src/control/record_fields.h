// Text records: one record per line, fields separated by one space, free
// text percent-encoded ("~" for the empty string). The control protocol
// (protocol.h) and the daemon's stored table (daemon/table_store.h) are both
// written in it, so a service key, a service's settings and a real read the
// same in both.
//
// Fields never trusts its input: a wrong count, a number out of range, an
// address that does not parse, throws ProtocolError naming the line, as
// "WHERE" LINE ": " what (WHERE is "control message line " or "FILE:").
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "control/protocol.h"
#include "model/model.h"

namespace xvs::control {

// Free text as one field.
std::string escape(std::string_view text);

class Fields {
   public:
    Fields(std::string_view line, size_t line_no, std::string_view where = "control message line ");

    size_t size() const { return fields_.size(); }
    std::string_view operator[](size_t i) const { return fields_.at(i); }
    void expect_count(size_t n) const;
    [[noreturn]] void fail(const std::string& what) const;

    uint64_t number(size_t i, uint64_t max = std::numeric_limits<uint64_t>::max()) const;
    uint32_t u32(size_t i) const { return static_cast<uint32_t>(number(i, UINT32_MAX)); }
    uint16_t u16(size_t i) const { return static_cast<uint16_t>(number(i, UINT16_MAX)); }
    bool flag(size_t i) const { return number(i, 1) == 1; }
    std::string text(size_t i) const;  // an escape()d field
    IpAddress address(size_t i) const;
    Protocol protocol(size_t i, bool allow_fwmark) const;
    Family family(size_t i) const;
    ForwardMethod method(size_t i) const;  // gate | masq | ipip | ipip:TUNNEL
    Tunnel tunnel(size_t i) const;         // TUNNEL of "ipip:TUNNEL" (model/tunnel.h); else ipip

   private:
    std::vector<std::string_view> fields_;
    size_t line_no_;
    std::string where_;
};

// PROTO FAMILY ADDR PORT FWMARK (5 fields).
inline constexpr size_t service_key_field_count = 5;
std::string service_key_fields(const ServiceKey& k);
ServiceKey parse_service_key(const Fields& f, size_t at);

// SCHED FLAGS TIMEOUT PREFIX OPS (5 fields): what -A/-E set.
inline constexpr size_t settings_field_count = 6;
// A stored record of an older xvsd: no persistence engine field.
inline constexpr size_t settings_field_count_without_engine = 5;
std::string settings_fields(const ServiceSettings& s);
ServiceSettings parse_settings(const Fields& f, size_t at);

// A forwarding method field: "gate", "masq", "ipip", or for an ipip real
// with another tunnel than plain ipip "ipip:" and its text ("ipip:gue:6080:csum"),
// so that records written before tunnel types existed still read.
std::string method_field(ForwardMethod m, const Tunnel& t);

// ADDR PORT METHOD WEIGHT LTHR UTHR (6 fields): a real as -a/-e set it;
// configured_weight equals weight once parsed.
inline constexpr size_t dest_field_count = 6;
std::string dest_fields(const RealServer& r);
RealServer parse_dest(const Fields& f, size_t at);

// TCP TCPFIN UDP (3 fields): seconds, each at most max_connection_timeout.
inline constexpr size_t timeouts_field_count = 3;
std::string timeouts_fields(const ConnectionTimeouts& t);
ConnectionTimeouts parse_timeouts(const Fields& f, size_t at);

// The scheduler flags as one field's text ("flag-1,flag-2").
std::string join_flags(const std::vector<std::string>& flags);
std::vector<std::string> split_flags(const std::string& text);

}  // namespace xvs::control
