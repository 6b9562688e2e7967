// DNS wire format for the dns check: one query out, the answer section in.
//
// Contract (ldirectord's check_dns with Net::DNS): request= names an A
// record, or is an address whose PTR record is asked for (in-addr.arpa /
// ip6.arpa); recursion desired. Up when some A record's dotted address or
// some PTR record's name contains a match of receive=.
#pragma once

#include <cstdint>
#include <optional>
#include "health/receive_pattern.h"
#include <string>
#include <string_view>
#include <vector>

#include "health/check_spec.h"

namespace xvs {

inline constexpr uint16_t dns_type_a = 1;
inline constexpr uint16_t dns_type_ptr = 12;

struct DnsQuestion {
    std::string name;  // "www.example.com" or "4.3.2.1.in-addr.arpa"
    uint16_t type = dns_type_a;
};

// request= -> question (a leading "/" is dropped, as ldirectord does).
DnsQuestion dns_question_for(const std::string& request);

// Throws std::invalid_argument for a name that cannot be encoded.
std::vector<uint8_t> build_dns_query(uint16_t id, const DnsQuestion& question);

struct DnsRecord {
    uint16_t type = 0;
    std::string value;  // A: "192.0.2.1"; PTR: "host.example.com"; others empty
};

struct DnsReply {
    uint16_t id = 0;
    uint8_t rcode = 0;
    std::vector<DnsRecord> answers;
};

// Throws std::runtime_error for a malformed message.
DnsReply parse_dns_reply(std::string_view message);

CheckResult judge_dns_reply(const DnsReply& reply, const ReceivePattern& receive);

}  // namespace xvs
