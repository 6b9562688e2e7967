#include "health/check_spec.h"

#include <stdexcept>

#include "health/http_dialogue.h"
#include "health/receive_pattern.h"

namespace xvs {
namespace {

[[noreturn]] void refuse(const CheckSpec& spec, const std::string& what) {
    throw std::invalid_argument("health check of " + spec.address.with_port(spec.port) + ": " + what);
}

bool negotiate_service_supported(const std::string& service) {
    for (const char* known : {"http", "https", "simpletcp", "dns", "none", "smtp", "submission", "pop", "pops",
                              "imap", "imaps", "nntp", "mysql", "pgsql", "ftp", "ldap", "ldaps", "radius", "sip", "http_proxy"})
        if (service == known) return true;
    return false;
}

}  // namespace

const char* to_string(CheckSpec::Type type) {
    switch (type) {
        case CheckSpec::Type::connect: return "connect";
        case CheckSpec::Type::negotiate: return "negotiate";
        case CheckSpec::Type::combined: return "combined";
        case CheckSpec::Type::ping: return "ping";
        case CheckSpec::Type::external: return "external";
        case CheckSpec::Type::external_perl: return "external-perl";
        case CheckSpec::Type::on: return "on";
        case CheckSpec::Type::off: return "off";
    }
    return "?";
}

void validate_check_spec(const CheckSpec& spec) {
    using Type = CheckSpec::Type;
    if (spec.type == Type::external_perl)
        refuse(spec, "checktype=external-perl is not supported (xvs does not embed Perl); "
                     "run the same script with checktype=external");
    if (spec.type == Type::on || spec.type == Type::off) return;
    if (!(spec.interval_s > 0)) refuse(spec, "checkinterval must be positive");
    if (!(spec.timeout_s > 0)) refuse(spec, "checktimeout/connecttimeout must be positive");
    bool negotiates = spec.type == Type::negotiate || spec.type == Type::combined;
    if (negotiates) {
        if (!(spec.negotiate_timeout_s > 0)) refuse(spec, "negotiatetimeout must be positive");
        if (spec.service == "oracle")
            refuse(spec, "service=oracle cannot be checked by xvs: Debian ships no free Oracle client; run "
                         "your own check script with checktype=external");
        if (!negotiate_service_supported(spec.service))
            refuse(spec, "service=" + spec.service +
                             " has no negotiate check in xvs (supported: http, https, simpletcp, "
                             "dns, ftp, smtp, submission, pop, pops, imap, imaps, nntp, ldap, ldaps, mysql, pgsql, "
                             "radius, sip, http_proxy, none); use "
                             "checktype=connect or checktype=external");
        if (spec.type == Type::combined && spec.connect_then_negotiate_every == 0)
            refuse(spec, "checktype=N needs N >= 1");
        if (spec.service == "http_proxy" && http_proxy_url(spec.request).rfind("http://", 0) != 0)
            refuse(spec, "service=http_proxy needs request= to be the http:// URL to fetch through the proxy");
        if ((spec.service == "http" || spec.service == "https" || spec.service == "http_proxy") &&
            spec.httpmethod != "GET" &&
            spec.httpmethod != "HEAD")
            refuse(spec, "httpmethod=" + spec.httpmethod + " is not GET or HEAD");
        if (spec.service == "dns") {
            std::string name = spec.request;
            if (!name.empty() && name.front() == '/') name.erase(0, 1);
            if (name.empty()) refuse(spec, "service=dns needs request= naming the record to look up");
            // ldirectord never matches an empty receive for dns: the check could not pass.
            if (spec.receive.empty()) refuse(spec, "service=dns needs receive= (an address or name)");
        }
        if (spec.service == "mysql" || spec.service == "pgsql") {
            std::string statement = spec.request;
            if (!statement.empty() && statement.front() == '/') statement.erase(0, 1);
            // ldirectord keeps such a real down for ever ("Must specify a login and request string").
            if (spec.login.empty() || statement.empty())
                refuse(spec, "service=" + spec.service + " needs login= and request= (the statement to run)");
        }
        if (spec.service == "radius" && spec.secret.empty())
            refuse(spec, "service=radius needs secret= (the secret shared with the RADIUS server)");
        if (spec.service == "simpletcp" && spec.receive.empty())
            refuse(spec, "service=simpletcp needs receive=");
        try {
            ReceivePattern check(spec.receive);
        } catch (const std::invalid_argument& e) {
            refuse(spec, e.what());
        }
    }
    if (spec.type == Type::external && spec.checkcommand.empty())
        refuse(spec, "checktype=external needs checkcommand=");
}

std::string check_key(const CheckSpec& spec) {
    // Length-prefixed fields: no two different specs can serialise alike.
    std::string key;
    auto add = [&key](const std::string& field) {
        key += std::to_string(field.size());
        key += ':';
        key += field;
    };
    add(to_string(spec.type));
    add(std::to_string(spec.connect_then_negotiate_every));
    add(spec.service);
    add(spec.address.to_string());
    add(std::to_string(spec.port));
    add(to_string(spec.l4));
    add(spec.request);
    add(spec.receive);
    add(spec.httpmethod);
    add(spec.virtualhost);
    add(spec.login);
    add(spec.passwd);
    add(spec.database);
    add(spec.secret);
    add(spec.checkcommand);
    add(spec.virtual_host_arg);
    add(spec.virtual_port_arg);
    add(std::to_string(spec.timeout_s));
    add(std::to_string(spec.negotiate_timeout_s));
    add(std::to_string(spec.interval_s));
    return key;
}

}  // namespace xvs
