#include "health/dns_message.h"

#include <stdexcept>

#include "model/address.h"

namespace xvs {
namespace {

void put16(std::vector<uint8_t>& out, uint16_t v) {
    out.push_back(static_cast<uint8_t>(v >> 8));
    out.push_back(static_cast<uint8_t>(v));
}

class Reader {
public:
    explicit Reader(std::string_view m) : m_(m) {}
    uint8_t u8(size_t at) const {
        if (at >= m_.size()) throw std::runtime_error("truncated DNS reply");
        return static_cast<uint8_t>(m_[at]);
    }
    uint16_t u16(size_t at) const { return static_cast<uint16_t>(u8(at) << 8 | u8(at + 1)); }
    // Reads a possibly compressed name at `at`; returns the offset after it.
    size_t name(size_t at, std::string& out) const {
        size_t end = 0;
        int jumps = 0;
        for (;;) {
            uint8_t len = u8(at);
            if ((len & 0xc0) == 0xc0) {
                if (++jumps > 32) throw std::runtime_error("DNS name compression loop");
                if (end == 0) end = at + 2;
                at = static_cast<size_t>((len & 0x3f) << 8 | u8(at + 1));
                continue;
            }
            if (len & 0xc0) throw std::runtime_error("unsupported DNS label type");
            if (len == 0) return end ? end : at + 1;
            if (at + 1 + len > m_.size()) throw std::runtime_error("truncated DNS name");
            if (!out.empty()) out += '.';
            out.append(m_.substr(at + 1, len));
            at += 1 + len;
        }
    }
    size_t size() const { return m_.size(); }

private:
    std::string_view m_;
};

}  // namespace

DnsQuestion dns_question_for(const std::string& request) {
    std::string name = request;
    if (!name.empty() && name.front() == '/') name.erase(0, 1);
    auto address = IpAddress::parse(name);
    if (!address) return {name, dns_type_a};
    static const char* hex = "0123456789abcdef";
    std::string ptr;
    if (address->is_v6()) {
        for (int i = 15; i >= 0; --i) {
            ptr += hex[address->bytes[i] & 0xf];
            ptr += '.';
            ptr += hex[address->bytes[i] >> 4];
            ptr += '.';
        }
        ptr += "ip6.arpa";
    } else {
        for (int i = 3; i >= 0; --i) ptr += std::to_string(address->bytes[i]) + ".";
        ptr += "in-addr.arpa";
    }
    return {ptr, dns_type_ptr};
}

std::vector<uint8_t> build_dns_query(uint16_t id, const DnsQuestion& question) {
    std::vector<uint8_t> out;
    put16(out, id);
    put16(out, 0x0100);  // standard query, recursion desired
    put16(out, 1);       // one question
    put16(out, 0);
    put16(out, 0);
    put16(out, 0);
    std::string_view name = question.name;
    if (!name.empty() && name.back() == '.') name.remove_suffix(1);
    if (name.size() > 253) throw std::invalid_argument("DNS name too long: " + question.name);
    while (!name.empty()) {
        size_t dot = name.find('.');
        std::string_view label = name.substr(0, dot);
        if (label.empty() || label.size() > 63)
            throw std::invalid_argument("DNS name has an empty or over-long label: " + question.name);
        out.push_back(static_cast<uint8_t>(label.size()));
        out.insert(out.end(), label.begin(), label.end());
        name = dot == std::string_view::npos ? std::string_view{} : name.substr(dot + 1);
    }
    out.push_back(0);
    put16(out, question.type);
    put16(out, 1);  // class IN
    return out;
}

DnsReply parse_dns_reply(std::string_view message) {
    Reader r(message);
    if (message.size() < 12) throw std::runtime_error("truncated DNS reply");
    DnsReply reply;
    reply.id = r.u16(0);
    if (!(r.u8(2) & 0x80)) throw std::runtime_error("DNS message is not a reply");
    reply.rcode = r.u8(3) & 0x0f;
    uint16_t questions = r.u16(4), answers = r.u16(6);
    size_t at = 12;
    for (uint16_t i = 0; i < questions; ++i) {
        std::string ignored;
        at = r.name(at, ignored) + 4;
    }
    for (uint16_t i = 0; i < answers; ++i) {
        std::string owner;
        at = r.name(at, owner);
        DnsRecord record;
        record.type = r.u16(at);
        uint16_t rdlength = r.u16(at + 8);
        size_t rdata = at + 10;
        if (rdata + rdlength > r.size()) throw std::runtime_error("truncated DNS record");
        if (record.type == dns_type_a && rdlength == 4) {
            record.value = std::to_string(r.u8(rdata)) + "." + std::to_string(r.u8(rdata + 1)) + "." +
                           std::to_string(r.u8(rdata + 2)) + "." + std::to_string(r.u8(rdata + 3));
        } else if (record.type == dns_type_ptr) {
            r.name(rdata, record.value);
        }
        reply.answers.push_back(std::move(record));
        at = rdata + rdlength;
    }
    return reply;
}

CheckResult judge_dns_reply(const DnsReply& reply, const ReceivePattern& receive) {
    static const char* rcodes[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"};
    if (reply.rcode != 0)
        return {false, std::string("DNS error ") + (reply.rcode < 6 ? rcodes[reply.rcode] : std::to_string(reply.rcode)), 0};
    for (const DnsRecord& record : reply.answers) {
        if ((record.type == dns_type_a || record.type == dns_type_ptr) && receive.search(record.value))
            return {true, "DNS answer " + record.value, 0};
    }
    return {false, reply.answers.empty() ? "DNS reply without an answer" : "receive did not match the DNS answer", 0};
}

}  // namespace xvs
