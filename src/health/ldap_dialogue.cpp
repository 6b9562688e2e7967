#include "health/ldap_dialogue.h"

#include <stdexcept>

#include "health/ber.h"

namespace xvs {
namespace {

// Universal and LDAP application tags (RFC 4511).
constexpr uint8_t tag_integer = 0x02, tag_octets = 0x04, tag_boolean = 0x01, tag_enumerated = 0x0a,
                  tag_sequence = 0x30;
constexpr uint8_t op_bind_request = 0x60, op_bind_response = 0x61, op_unbind = 0x42, op_search_request = 0x63,
                  op_search_entry = 0x64, op_search_done = 0x65, op_search_reference = 0x73;
constexpr int bind_id = 1, search_id = 2, unbind_id = 3;

std::string message(int id, const std::string& op) { return ber_tlv(tag_sequence, ber_integer(tag_integer, id) + op); }

CheckResult down(std::string reason) { return {false, std::move(reason), 0}; }

// The resultCode and diagnosticMessage of an LDAPResult body.
std::pair<int64_t, std::string> ldap_result(std::string_view body) {
    BerReader r(body);
    auto code = r.next(), matched = r.next(), diagnostic = r.next();
    if (!code || code->tag != tag_enumerated || !matched || !diagnostic)
        throw std::invalid_argument("an LDAP result without its code");
    return {ber_integer_value(code->content), std::string(diagnostic->content.substr(0, 80))};
}

std::string result_text(const std::pair<int64_t, std::string>& r) {
    return "result " + std::to_string(r.first) + (r.second.empty() ? "" : " (" + r.second + ")");
}

}  // namespace

LdapDialogue::LdapDialogue(const CheckSpec& spec, std::shared_ptr<const ReceivePattern> receive)
    : receive_(std::move(receive)) {
    if (!spec.login.empty() && !spec.passwd.empty()) {
        login_ = spec.login;
        passwd_ = spec.passwd;
    }
    base_ = !spec.request.empty() && spec.request.front() == '/' ? spec.request.substr(1) : spec.request;
}

std::string LdapDialogue::request() const {
    const std::string bind = ber_integer(tag_integer, 3) + ber_octets(tag_octets, login_) + ber_octets(0x80, passwd_);
    return message(bind_id, ber_tlv(op_bind_request, bind));
}

std::string LdapDialogue::farewell() const { return message(unbind_id, ber_tlv(op_unbind, "")); }

std::optional<CheckResult> LdapDialogue::judge(std::string_view received, bool eof) {
    try {
        BerReader reader(received.substr(consumed_));
        while (auto msg = reader.next()) {
            consumed_ += msg->size;
            if (msg->tag != tag_sequence) return down("LDAP: the server sent something that is not an LDAP message");
            BerReader parts(msg->content);
            auto id = parts.next(), op = parts.next();
            if (!id || id->tag != tag_integer || !op) return down("LDAP: a message without its operation");
            if (auto verdict = on_message(op->tag, op->content)) return verdict;
        }
    } catch (const std::invalid_argument& e) {
        return down(std::string("LDAP: ") + e.what());
    }
    if (eof) return down("LDAP: connection closed while waiting for " + awaited());
    return std::nullopt;
}

std::optional<CheckResult> LdapDialogue::on_message(uint8_t op, std::string_view body) {
    if (!searching_) {
        if (op != op_bind_response) return down("LDAP: the server answered the bind with operation " + std::to_string(op));
        auto result = ldap_result(body);
        if (result.first != 0) return down("LDAP: bind failed: " + result_text(result));
        searching_ = true;
        const std::string filter = ber_octets(0x87, "objectClass");  // present (objectClass=*)
        const std::string search = ber_octets(tag_octets, base_) + ber_integer(tag_enumerated, 0) +
                                   ber_integer(tag_enumerated, 0) + ber_integer(tag_integer, 0) +
                                   ber_integer(tag_integer, 0) + ber_tlv(tag_boolean, std::string(1, '\0')) +
                                   filter + ber_tlv(tag_sequence, "");
        pending_ = message(search_id, ber_tlv(op_search_request, search));
        return std::nullopt;
    }
    if (op == op_search_entry) {
        BerReader r(body);
        auto dn = r.next();
        if (!dn || dn->tag != tag_octets) return down("LDAP: a search entry without its DN");
        if (entries_++ == 0) first_dn_ = std::string(dn->content);
        return std::nullopt;
    }
    if (op == op_search_reference) return std::nullopt;
    if (op != op_search_done) return down("LDAP: the server answered the search with operation " + std::to_string(op));
    auto result = ldap_result(body);
    if (result.first != 0 && entries_ == 0) return down("LDAP: search of " + base_ + " failed: " + result_text(result));
    if (entries_ != 1) return down("LDAP: search of " + base_ + " found " + std::to_string(entries_) + " entries");
    if (receive_ && !receive_->search(first_dn_)) return down("LDAP: " + first_dn_ + " does not match receive");
    return CheckResult{true, "LDAP: found " + first_dn_, 0};
}

}  // namespace xvs
