// IpvsCommands: the IPVS operations the data plane needs; IpvsClient: the
// kernel implementation over a generic-netlink socket (family "IPVS").
//
// IpvsClient owns one libnl socket (closed with the object), resolves the
// family on construction (IpvsError when the kernel has no IPVS) and sends
// exactly what ipvs_messages.h builds. Every kernel error comes back as an
// IpvsError naming the object, in ipvsadm's words:
//   "TCP 10.0.0.1:80: Service already exists"
//   "10.0.0.2:80 in TCP 10.0.0.1:80: No such destination"
// The interface exists so that IpvsDataplane's ordering and rollback can be
// tested against a recording fake.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/dataplane.h"
#include "dataplane/ipvs/ipvs_error.h"
#include "dataplane/ipvs/ipvs_messages.h"
#include "model/model.h"

struct nl_sock;

namespace xvs {

class IpvsCommands {
   public:
    virtual ~IpvsCommands() = default;
    IpvsCommands() = default;
    IpvsCommands(const IpvsCommands&) = delete;
    IpvsCommands& operator=(const IpvsCommands&) = delete;

    // Service settings come from the VirtualService; its reals are ignored.
    virtual void add_service(const VirtualService& service) = 0;
    virtual void edit_service(const VirtualService& service) = 0;
    virtual void delete_service(const ServiceKey& service) = 0;
    virtual void add_destination(const ServiceKey& service, const RealServer& real) = 0;
    virtual void edit_destination(const ServiceKey& service, const RealServer& real) = 0;
    virtual void delete_destination(const ServiceKey& service, const RealKey& real) = 0;
    // Every service IPVS has (reals left empty), with counters.
    virtual std::vector<ServiceStatus> services() = 0;
    virtual std::vector<RealStatus> destinations(const ServiceKey& service) = 0;
    // Zeroes one service's counters and its destinations'.
    virtual void zero(const ServiceKey& service) = 0;
    // ipvsadm --set (0 keeps a value) and --timeout.
    virtual void set_timeouts(const ConnectionTimeouts& change) = 0;
    virtual ConnectionTimeouts timeouts() = 0;
};

// "TCP 10.0.0.1:80", "UDP [2001:db8::1]:53", "FWM 100", "FWM 100 IPv6": how
// error messages name a service.
std::string ipvs_service_label(const ServiceKey& key);

class IpvsClient final : public IpvsCommands {
   public:
    // Opens the socket in the caller's network namespace.
    IpvsClient();
    ~IpvsClient() override;

    IpvsInfo info();
    // Removes every service of this network namespace, including ones xvs did
    // not create: for tests and ipvsadm -C, never called by IpvsDataplane.
    void flush();
    void zero_all();

    void add_service(const VirtualService& service) override;
    void edit_service(const VirtualService& service) override;
    void delete_service(const ServiceKey& service) override;
    void add_destination(const ServiceKey& service, const RealServer& real) override;
    void edit_destination(const ServiceKey& service, const RealServer& real) override;
    void delete_destination(const ServiceKey& service, const RealKey& real) override;
    std::vector<ServiceStatus> services() override;
    std::vector<RealStatus> destinations(const ServiceKey& service) override;
    void zero(const ServiceKey& service) override;
    void set_timeouts(const ConnectionTimeouts& change) override;
    ConnectionTimeouts timeouts() override;

   private:
    struct SockFree {
        void operator()(nl_sock* s) const;
    };
    // Sends `request` and handles every reply message with `on_reply` until
    // the ack (or end of dump). Throws IpvsError "<object>: <ipvsadm text>".
    void transact(NlMsgPtr request, IpvsOperation op, const std::string& object,
                  const std::function<void(nlmsghdr*)>& on_reply = {});

    std::unique_ptr<nl_sock, SockFree> sock_;
    int family_id_ = 0;
};

}  // namespace xvs
