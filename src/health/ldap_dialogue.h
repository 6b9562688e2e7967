// LdapDialogue: ldirectord's ldap check (check_ldap with Net::LDAP), for
// service=ldap and, inside TLS, ldaps.
//
// Contract:
//  - A simple bind (LDAPv3) as login= with passwd= when both are set, else
//    anonymous; a result other than success is down ("LDAP: bind failed:
//    <result> <message>").
//  - Then a search of request= (without its leading "/") as the base,
//    scope base, filter (objectClass=*), no attributes: up when exactly one
//    entry comes back and, when receive= is set, its DN matches receive=
//    (ldirectord's /$receive/); down otherwise, with the reason.
//  - An unbind is sent on leaving. Replies are parsed with a small BER
//    reader (ber.h); anything that is not an LDAP message is down.
#pragma once

#include <memory>
#include <string>

#include "health/check_spec.h"
#include "health/probe.h"
#include "health/receive_pattern.h"

namespace xvs {

class LdapDialogue : public StreamDialogue {
public:
    LdapDialogue(const CheckSpec& spec, std::shared_ptr<const ReceivePattern> receive);
    std::string request() const override;
    std::optional<CheckResult> judge(std::string_view received, bool eof) override;
    std::string next_request() override { return std::exchange(pending_, {}); }
    std::string farewell() const override;
    std::string awaited() const override { return searching_ ? "the search result" : "the bind result"; }

private:
    std::optional<CheckResult> on_message(uint8_t op, std::string_view body);

    std::string login_, passwd_, base_;
    std::shared_ptr<const ReceivePattern> receive_;
    bool searching_ = false;
    size_t consumed_ = 0;
    std::string pending_;
    size_t entries_ = 0;
    std::string first_dn_;
};

}  // namespace xvs
