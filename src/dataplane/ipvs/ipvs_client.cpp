#include "dataplane/ipvs/ipvs_client.h"

#include <linux/ip_vs.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include <cerrno>
#include <exception>

namespace xvs {

namespace {

struct CbFree {
    void operator()(nl_cb* cb) const { nl_cb_put(cb); }
};

// State shared with libnl's C callbacks; they must not throw through C
// frames, so a parse failure is stored and rethrown after the exchange.
struct Exchange {
    const std::function<void(nlmsghdr*)>* on_reply = nullptr;
    int kernel_error = 0;
    bool done = false;
    std::exception_ptr reply_failure;
};

int on_valid(nl_msg* msg, void* arg) {
    auto* x = static_cast<Exchange*>(arg);
    // Keep reading after a failure so the rest of a dump is drained and the
    // next request does not see stale messages.
    if (x->reply_failure || !x->on_reply || !*x->on_reply) return NL_OK;
    try {
        (*x->on_reply)(nlmsg_hdr(msg));
    } catch (...) {
        x->reply_failure = std::current_exception();
    }
    return NL_OK;
}

int on_finish(nl_msg*, void* arg) {
    static_cast<Exchange*>(arg)->done = true;
    return NL_STOP;
}

int on_error(sockaddr_nl*, nlmsgerr* err, void* arg) {
    auto* x = static_cast<Exchange*>(arg);
    x->kernel_error = -err->error;
    x->done = true;
    return NL_STOP;
}

std::string dest_label(const RealKey& real, const ServiceKey& service) {
    return real.to_string() + " in " + ipvs_service_label(service);
}

}  // namespace

std::string ipvs_service_label(const ServiceKey& key) {
    switch (key.protocol) {
        case Protocol::tcp: return "TCP " + key.address.with_port(key.port);
        case Protocol::udp: return "UDP " + key.address.with_port(key.port);
        case Protocol::fwmark:
            return "FWM " + std::to_string(key.fwmark) + (key.family == Family::v6 ? " IPv6" : "");
    }
    return "?";
}

void IpvsClient::SockFree::operator()(nl_sock* s) const { nl_socket_free(s); }

IpvsClient::IpvsClient() : sock_(nl_socket_alloc()) {
    if (!sock_) throw IpvsError("IPVS: cannot allocate a netlink socket: Memory allocation problem", ENOMEM);
    if (int rc = genl_connect(sock_.get()); rc < 0)
        throw IpvsError(std::string("IPVS: cannot open a generic netlink socket: ") + nl_geterror(rc));
    // Dump replies may exceed a page; let libnl size its buffer per message.
    nl_socket_enable_msg_peek(sock_.get());
    family_id_ = genl_ctrl_resolve(sock_.get(), IPVS_GENL_NAME);
    if (family_id_ < 0)
        throw IpvsError(
            "IPVS is not available in this kernel (no generic netlink family \"IPVS\"; "
            "load the ip_vs module: modprobe ip_vs)",
            ENOENT);
}

IpvsClient::~IpvsClient() = default;

void IpvsClient::transact(NlMsgPtr request, IpvsOperation op, const std::string& object,
                          const std::function<void(nlmsghdr*)>& on_reply) {
    auto fail = [&](int error_number) -> IpvsError {
        std::string text = ipvs_error_text(op, error_number);
        return IpvsError(object.empty() ? text : object + ": " + text, error_number);
    };
    if (int rc = nl_send_auto(sock_.get(), request.get()); rc < 0)
        throw IpvsError((object.empty() ? "" : object + ": ") + "cannot send IPVS request: " + nl_geterror(rc));
    std::unique_ptr<nl_cb, CbFree> cb(nl_cb_alloc(NL_CB_DEFAULT));
    if (!cb) throw fail(ENOMEM);
    Exchange x;
    x.on_reply = &on_reply;
    nl_cb_set(cb.get(), NL_CB_VALID, NL_CB_CUSTOM, on_valid, &x);
    nl_cb_set(cb.get(), NL_CB_FINISH, NL_CB_CUSTOM, on_finish, &x);
    nl_cb_set(cb.get(), NL_CB_ACK, NL_CB_CUSTOM, on_finish, &x);
    nl_cb_err(cb.get(), NL_CB_CUSTOM, on_error, &x);
    while (!x.done) {
        // A kernel error stops the exchange through on_error, and libnl then
        // also returns it (as its own code): the errno recorded there wins.
        if (int rc = nl_recvmsgs(sock_.get(), cb.get()); rc < 0 && x.kernel_error == 0)
            throw IpvsError((object.empty() ? "" : object + ": ") + "IPVS netlink receive failed: " +
                            nl_geterror(rc));
    }
    if (x.kernel_error != 0) throw fail(x.kernel_error);
    if (x.reply_failure) std::rethrow_exception(x.reply_failure);
}

IpvsInfo IpvsClient::info() {
    IpvsInfo info;
    bool seen = false;
    transact(build_info_request(family_id_), IpvsOperation::get_info, "IPVS info", [&](nlmsghdr* h) {
        info = parse_info_reply(h);
        seen = true;
    });
    if (!seen) throw IpvsError("IPVS info: the kernel sent no reply", EBADMSG);
    return info;
}

void IpvsClient::set_timeouts(const ConnectionTimeouts& change) {
    transact(build_set_timeouts_request(family_id_, change), IpvsOperation::set_timeouts, "IPVS timeouts");
}

ConnectionTimeouts IpvsClient::timeouts() {
    std::optional<ConnectionTimeouts> out;
    transact(build_get_timeouts_request(family_id_), IpvsOperation::get_timeouts, "IPVS timeouts",
             [&](nlmsghdr* h) { out = parse_timeouts_reply(h); });
    if (!out) throw IpvsError("IPVS timeouts: the kernel sent no reply", EBADMSG);
    return *out;
}

void IpvsClient::flush() { transact(build_flush_request(family_id_), IpvsOperation::flush, "IPVS flush"); }

void IpvsClient::zero_all() {
    transact(build_zero_request(family_id_, nullptr), IpvsOperation::zero, "IPVS zero");
}

void IpvsClient::add_service(const VirtualService& s) {
    transact(build_service_message(family_id_, IpvsCommand::new_service, s), IpvsOperation::add_service,
             ipvs_service_label(s.key));
}

void IpvsClient::edit_service(const VirtualService& s) {
    transact(build_service_message(family_id_, IpvsCommand::set_service, s), IpvsOperation::edit_service,
             ipvs_service_label(s.key));
}

void IpvsClient::delete_service(const ServiceKey& key) {
    VirtualService s;
    s.key = key;
    transact(build_service_message(family_id_, IpvsCommand::del_service, s),
             IpvsOperation::delete_service, ipvs_service_label(key));
}

void IpvsClient::add_destination(const ServiceKey& service, const RealServer& real) {
    transact(build_dest_message(family_id_, IpvsCommand::new_dest, service, real),
             IpvsOperation::add_destination, dest_label(real.key, service));
}

void IpvsClient::edit_destination(const ServiceKey& service, const RealServer& real) {
    transact(build_dest_message(family_id_, IpvsCommand::set_dest, service, real),
             IpvsOperation::edit_destination, dest_label(real.key, service));
}

void IpvsClient::delete_destination(const ServiceKey& service, const RealKey& key) {
    RealServer real;
    real.key = key;
    transact(build_dest_message(family_id_, IpvsCommand::del_dest, service, real),
             IpvsOperation::delete_destination, dest_label(key, service));
}

std::vector<ServiceStatus> IpvsClient::services() {
    std::vector<ServiceStatus> out;
    transact(build_service_dump_request(family_id_), IpvsOperation::list_services, "IPVS services",
             [&](nlmsghdr* h) { out.push_back(parse_service_reply(h)); });
    return out;
}

std::vector<RealStatus> IpvsClient::destinations(const ServiceKey& service) {
    std::vector<RealStatus> out;
    transact(build_dest_dump_request(family_id_, service), IpvsOperation::list_destinations,
             ipvs_service_label(service), [&](nlmsghdr* h) { out.push_back(parse_dest_reply(h)); });
    return out;
}

void IpvsClient::zero(const ServiceKey& service) {
    transact(build_zero_request(family_id_, &service), IpvsOperation::zero, ipvs_service_label(service));
}

}  // namespace xvs
