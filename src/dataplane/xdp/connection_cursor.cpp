#include "dataplane/xdp/connection_cursor.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <fcntl.h>
#include <netinet/in.h>

#include <cerrno>

#include "common/errno_text.h"
#include "dataplane/xdp/connection_census.h"
#include "dataplane/xdp/xdp_maps_io.h"

namespace xvs {

namespace {

UniqueFd duplicate(int fd, const char* name) {
    UniqueFd copy(::fcntl(fd, F_DUPFD_CLOEXEC, 0));
    if (!copy) throw DataplaneError(std::string("duplicating the fd of ") + name + ": " + errno_text(errno));
    return copy;
}

uint32_t seconds_left(uint64_t timeout, uint64_t age) {
    return static_cast<uint32_t>((timeout - age) / XVS_NS_PER_SEC);
}

}  // namespace

const char* conn_state_name(uint8_t state) {
    switch (state) {
        case XVS_CONN_TCP_SYN: return "SYN_RECV";
        case XVS_CONN_TCP_ESTABLISHED: return "ESTABLISHED";
        case XVS_CONN_TCP_FIN: return "FIN_WAIT";
        case XVS_CONN_TCP_CLOSE: return "CLOSE";
        case XVS_CONN_UDP: return "UDP";
        default: return "NONE";
    }
}

XdpConnectionCursor::XdpConnectionCursor(int conns_fd, int persist_fd, Names names)
    : conns_fd_(duplicate(conns_fd, "xvs_conns")),
      persist_fd_(duplicate(persist_fd, "xvs_persist")),
      names_(std::move(names)) {
    conns_ = std::make_unique<BatchReader<xvs_conn_key, xvs_conn>>(
        conns_fd_.get(), "xvs_conns", map_info(conns_fd_.get(), "xvs_conns").max_entries, census_chunk);
    persist_ = std::make_unique<BatchReader<xvs_persist_key, xvs_persist>>(
        persist_fd_.get(), "xvs_persist", map_info(persist_fd_.get(), "xvs_persist").max_entries, census_chunk);
}

const RealKey* XdpConnectionCursor::real(uint32_t id, uint32_t generation) const {
    auto it = names_.reals.find(id);
    return it != names_.reals.end() && it->second.generation == generation ? &it->second.key : nullptr;
}

std::optional<ConnectionEntry> XdpConnectionCursor::flow(const xvs_conn_key& k, const xvs_conn& c,
                                                         uint64_t now) const {
    const uint64_t timeout = xvs_conn_timeout_ns(c.state, &names_.config);
    const uint64_t age = stamp_age_ns(now, c.last_seen_ns);
    const RealKey* r = real(c.real_id, c.real_generation);
    if (!r || age > timeout) return std::nullopt;
    ConnectionEntry e;
    e.protocol = k.proto == IPPROTO_UDP ? Protocol::udp : Protocol::tcp;
    e.client = address_from(k.src, k.family);
    e.client_port = ntohs(k.sport);
    e.virtual_address = address_from(k.dst, k.family);
    e.virtual_port = ntohs(k.dport);
    e.real = r->address;
    e.real_port = r->port ? r->port : e.virtual_port;
    e.state = conn_state_name(c.state);
    e.expires_in_seconds = seconds_left(timeout, age);
    return e;
}

std::optional<ConnectionEntry> XdpConnectionCursor::template_of(const xvs_persist_key& k,
                                                                const xvs_persist& t, uint64_t now) const {
    auto svc = names_.services.find(k.service_id);
    const RealKey* r = real(t.real_id, t.real_generation);
    if (svc == names_.services.end() || !r) return std::nullopt;
    const uint64_t timeout = svc->second.persist_timeout_ns;
    const uint64_t age = stamp_age_ns(now, t.last_seen_ns);
    if (age > timeout) return std::nullopt;
    const ServiceKey& skey = svc->second.key;
    ConnectionEntry e;
    e.protocol = skey.protocol == Protocol::udp ? Protocol::udp : Protocol::tcp;
    e.client = address_from(k.client, k.family);
    e.virtual_address = skey.address;
    e.virtual_port = skey.port;
    e.real = r->address;
    e.real_port = r->port;
    e.state = "NONE";
    e.expires_in_seconds = seconds_left(timeout, age);
    e.is_template = true;
    return e;
}

bool XdpConnectionCursor::next(std::vector<ConnectionEntry>& out, size_t max) {
    const uint64_t now = monotonic_ns();
    while (max > 0) {
        if (chunk_given_ == chunk_size_) {
            chunk_given_ = 0;
            chunk_size_ = in_templates_ ? persist_->next() : conns_->next();
            if (chunk_size_ == 0) {
                if (in_templates_) return false;
                in_templates_ = true;
                continue;
            }
        }
        for (; chunk_given_ < chunk_size_ && max > 0; ++chunk_given_) {
            auto e = in_templates_ ? template_of(persist_->key(chunk_given_), persist_->value(chunk_given_), now)
                                   : flow(conns_->key(chunk_given_), conns_->value(chunk_given_), now);
            if (!e) continue;
            out.push_back(std::move(*e));
            --max;
        }
    }
    return true;
}

}  // namespace xvs
