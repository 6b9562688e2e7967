// ImperativeChanges: the operator's xvsadm edits (-A/-E/-D/-a/-e/-d/-C) to the
// running daemon, kept on top of what the configuration says.
//
// The desired model is apply(base), base being build_model(config, health).
// Edits are checked against that desired model with IPVS's rules and refused
// with ipvsadm's own texts (EditRefused), so ipvsadm users and scripts such as
// ldirectord see what IPVS would have told them. The changes last until the
// daemon forgets them: a configuration reload or -C.
//
// Rules of apply():
// - after clear() (-C) the base contributes nothing: the table is empty until
//   the operator adds services or a reload brings the configuration back;
// - -A defines a service with no reals (a fwmark service keeps the base's
//   match= lines, the XDP counterpart of the iptables marks that outlive
//   ipvsadm -D/-A); -E replaces the settings and keeps the reals; -D removes
//   the service and every edit of its reals;
// - -a and -e set a real as written; an -e of a real that the base itself
//   holds keeps following health results: it is present only while the base
//   has it, and quiesced (weight 0) while the base quiesces it.
#pragma once

#include <map>
#include <optional>
#include <stdexcept>

#include "control/protocol.h"
#include "model/model.h"

namespace xvs {

// An edit IPVS would refuse; what() is ipvsadm's message ("Service already
// exists", "No such service", "Service not defined", "Destination already
// exists", "No such destination").
class EditRefused : public std::runtime_error {
   public:
    using std::runtime_error::runtime_error;
};

class ImperativeChanges {
   public:
    // Each edit checks itself against apply(base) and throws EditRefused.
    void add_service(const Model& base, const ServiceKey& key, const control::ServiceSettings& s);
    void edit_service(const Model& base, const ServiceKey& key, const control::ServiceSettings& s);
    void delete_service(const Model& base, const ServiceKey& key);
    void add_real(const Model& base, const ServiceKey& service, const RealServer& real);
    void edit_real(const Model& base, const ServiceKey& service, const RealServer& real);
    void delete_real(const Model& base, const ServiceKey& service, const RealKey& real);
    void clear();

    // Drops every change (a reload): apply() returns its base again.
    void forget() { *this = ImperativeChanges{}; }
    bool empty() const { return !cleared_ && services_.empty() && reals_.empty(); }

    Model apply(const Model& base) const;

   private:
    enum class ServiceEdit { deleted, defined, edited };
    struct ServiceOverride {
        ServiceEdit kind = ServiceEdit::defined;
        control::ServiceSettings settings;
    };
    struct RealOverride {
        std::optional<RealServer> real;  // nullopt: deleted
        bool follows_base = false;       // an -e of a real the base holds
    };
    const VirtualService& existing_service(const Model& current, const ServiceKey& key,
                                           const char* missing) const;

    bool cleared_ = false;
    std::map<ServiceKey, ServiceOverride> services_;
    std::map<ServiceKey, std::map<RealKey, RealOverride>> reals_;
};

}  // namespace xvs
