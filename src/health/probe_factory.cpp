#include "health/probe_factory.h"

#include "health/dns_probe.h"
#include "health/external_probe.h"
#include "health/ftp_probe.h"
#include "health/http_dialogue.h"
#include "health/ldap_dialogue.h"
#include "health/mail_dialogues.h"
#include "health/sql_probes.h"
#include "health/ping_probe.h"
#include "health/radius_probe.h"
#include "health/sip_probe.h"
#include "health/simpletcp_dialogue.h"
#include "health/stream_probe.h"

namespace xvs {
namespace {

bool is_negotiate_round(const CheckSpec& spec, bool negotiate) {
    using Type = CheckSpec::Type;
    return spec.type == Type::negotiate || (spec.type == Type::combined && negotiate);
}

}  // namespace

std::optional<CheckResult> static_result(const CheckSpec& spec) {
    using Type = CheckSpec::Type;
    if (spec.type == Type::on) return CheckResult{true, "checktype=on", 0};
    if (spec.type == Type::off) return CheckResult{false, "checktype=off", 0};
    if (spec.type == Type::negotiate && spec.service == "none") return CheckResult{true, "service=none", 0};
    return std::nullopt;
}

std::shared_ptr<const ReceivePattern> compile_receive(const CheckSpec& spec) {
    if (spec.receive.empty()) return nullptr;
    return std::make_shared<const ReceivePattern>(spec.receive);
}

double probe_timeout_s(const CheckSpec& spec, bool negotiate) {
    return is_negotiate_round(spec, negotiate) ? spec.negotiate_timeout_s : spec.timeout_s;
}

std::unique_ptr<Probe> make_probe(const CheckSpec& spec, bool negotiate,
                                  const std::shared_ptr<const ReceivePattern>& receive, const TlsContext& tls) {
    using Type = CheckSpec::Type;
    SockAddr target = make_sockaddr(spec.address, spec.port);
    if (is_negotiate_round(spec, negotiate)) {
        if (spec.service == "http" || spec.service == "http_proxy")
            return std::make_unique<StreamProbe>(target, std::make_unique<HttpDialogue>(spec, receive));
        if (spec.service == "https") {
            std::string sni = spec.virtualhost;
            return std::make_unique<StreamProbe>(target, std::make_unique<HttpDialogue>(spec, receive), &tls, sni);
        }
        if (spec.service == "simpletcp")
            return std::make_unique<StreamProbe>(target, std::make_unique<SimpleTcpDialogue>(spec, receive));
        if (spec.service == "dns") {
            if (spec.l4 == Protocol::udp) return std::make_unique<DnsUdpProbe>(target, spec, receive);
            return std::make_unique<StreamProbe>(target, std::make_unique<DnsTcpDialogue>(spec, receive));
        }
        if (auto sql = make_sql_probe(spec)) return sql;
        if (spec.service == "ftp") return std::make_unique<FtpProbe>(spec, receive);
        if (spec.service == "radius") return std::make_unique<RadiusProbe>(spec);
        if (spec.service == "sip") return make_sip_probe(spec);
        if (spec.service == "ldap")
            return std::make_unique<StreamProbe>(target, std::make_unique<LdapDialogue>(spec, receive));
        if (spec.service == "ldaps")
            return std::make_unique<StreamProbe>(target, std::make_unique<LdapDialogue>(spec, receive), &tls,
                                                 spec.virtualhost);
        if (auto dialogue = make_mail_dialogue(spec)) {
            if (!mail_service_uses_tls(spec.service)) return std::make_unique<StreamProbe>(target, std::move(dialogue));
            return std::make_unique<StreamProbe>(target, std::move(dialogue), &tls, spec.virtualhost);
        }
        // service=none: combined checks reach here on their negotiate round.
        return nullptr;
    }
    switch (spec.type) {
        case Type::ping:
            return std::make_unique<PingProbe>(target);
        case Type::external:
            return std::make_unique<ExternalProbe>(external_check_argv(spec));
        case Type::connect:
        case Type::combined:
            if (spec.l4 == Protocol::udp) return std::make_unique<PingProbe>(target);
            return std::make_unique<StreamProbe>(target, nullptr);
        default:
            return nullptr;
    }
}

}  // namespace xvs
