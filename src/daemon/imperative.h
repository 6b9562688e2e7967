// ImperativeChanges: the operator's xvsadm edits (-A/-E/-D/-a/-e/-d/-C) to the
// running daemon, kept on top of what the configuration says.
//
// The desired model is apply(base), base being build_model(config, health);
// one service of it is apply_service(), which costs only that service: an
// edit and the health results of a service look at nothing else.
// Edits are checked against that desired service with IPVS's rules and refused
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
//
// Durability: every change is made of EditRecords (one primitive assignment
// each) and the records of the changes since take_journal() are kept, so the
// daemon stores exactly what changed (daemon/table_store.h); replaying a
// table's records on empty edits gives the same edits back. -C's "the file's
// services stay out" is not a record: it lasts until the file is next read
// (file_reread(), a reload or a restart).
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

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

// One primitive change of the edits of one service (or of all: clear).
struct EditRecord {
    enum class Kind {
        service_defined,  // the service is xvsadm's, with `settings` (-A)
        service_edited,   // the file's service with xvsadm's `settings` (-E)
        service_deleted,  // the service is not served (-D)
        service_unset,    // no service edit: the file's service as it is
        reals_unset,      // no real edit of the service
        real_set,         // `real` as xvsadm set it (-a, -e), `follows_base`
        real_deleted,     // `real.key` is not served (-d)
        real_unset,       // no edit of `real.key`
        clear,            // no service or real edit at all (-C)
        timeouts,         // ipvsadm --set: `timeouts` in force
    };
    Kind kind = Kind::clear;
    ServiceKey service;
    control::ServiceSettings settings;  // service_defined, service_edited
    RealServer real;                    // real_*: the key; real_set: all of it
    bool follows_base = false;          // real_set
    ConnectionTimeouts timeouts;        // timeouts
    bool operator==(const EditRecord&) const = default;
};

class ImperativeChanges {
   public:
    // Each edit checks itself against apply_service(key, base) and throws
    // EditRefused; `base` is the base's service of that key (null: none).
    void add_service(const VirtualService* base, const ServiceKey& key, const control::ServiceSettings& s);
    void edit_service(const VirtualService* base, const ServiceKey& key, const control::ServiceSettings& s);
    void delete_service(const VirtualService* base, const ServiceKey& key);
    void add_real(const VirtualService* base, const ServiceKey& service, const RealServer& real);
    void edit_real(const VirtualService* base, const ServiceKey& service, const RealServer& real);
    void delete_real(const VirtualService* base, const ServiceKey& service, const RealKey& real);
    // The same against a whole base model (the service of the key in it).
    void add_service(const Model& base, const ServiceKey& key, const control::ServiceSettings& s);
    void edit_service(const Model& base, const ServiceKey& key, const control::ServiceSettings& s);
    void delete_service(const Model& base, const ServiceKey& key);
    void add_real(const Model& base, const ServiceKey& service, const RealServer& real);
    void edit_real(const Model& base, const ServiceKey& service, const RealServer& real);
    void delete_real(const Model& base, const ServiceKey& service, const RealKey& real);
    void clear();  // -C: timeouts stay, as IPVS keeps them
    // ipvsadm --set: the values now in force (the data plane's after it).
    void set_timeouts(const ConnectionTimeouts& in_force);
    const std::optional<ConnectionTimeouts>& timeouts() const { return timeouts_; }
    // Drops an -d of `real` of `service`, so that the base's real is served
    // again: what ldirectord's re-add does to a real removed by hand when its
    // state changes (readdquiescent=). True when there was such an -d.
    bool readd(const ServiceKey& service, const RealKey& real);

    // The file was read again (a reload): -C no longer keeps its services out.
    void file_reread() { cleared_ = false; }
    // Drops the edits of services that neither `base_has` (the file) has nor
    // an -A defines (they would edit nothing, unseen and unremovable); returns
    // the keys dropped.
    std::vector<ServiceKey> prune(const std::function<bool(const ServiceKey&)>& base_has);

    // The records of every change since the last call (in order), and drops
    // them; drop_journal() only drops them (a change that was undone).
    std::vector<EditRecord> take_journal() { return std::exchange(journal_, {}); }
    void drop_journal() { journal_.clear(); }
    // Records that rebuild these edits on empty ones (the stored table).
    std::vector<EditRecord> snapshot() const;
    // Applies one record (loading the stored table); not journaled.
    void replay(const EditRecord& record);

    bool empty() const { return !cleared_ && services_.empty() && reals_.empty() && !timeouts_; }
    bool cleared() const { return cleared_; }

    Model apply(const Model& base) const;
    // The service `key` of apply(base) given only the base's service of that
    // key (null: none); nullopt when apply() has no such service.
    std::optional<VirtualService> apply_service(const ServiceKey& key, const VirtualService* base) const;
    // The same, taking the base's service (moved through when no edit
    // concerns it: the common case costs no copy).
    std::optional<VirtualService> apply_service(const ServiceKey& key, std::optional<VirtualService> base) const;
    // The services the edits define or delete (those apply() may hold or drop
    // although the base does not / does).
    std::vector<ServiceKey> edited_services() const;

    // The edits of one service, to put back when the data plane refuses what
    // an edit of it led to (an edit touches only its own service's entries).
    class Saved;
    Saved save(const ServiceKey& key) const;
    void restore(const Saved& saved);

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

    void record(EditRecord r);  // replay() and journal it

    bool cleared_ = false;
    std::optional<ConnectionTimeouts> timeouts_;
    std::vector<EditRecord> journal_;
    std::map<ServiceKey, ServiceOverride> services_;
    std::map<ServiceKey, std::map<RealKey, RealOverride>> reals_;

   public:
    class Saved {
        friend class ImperativeChanges;
        ServiceKey key_;
        std::optional<ServiceOverride> service_;
        std::optional<std::map<RealKey, RealOverride>> reals_;
    };
};

}  // namespace xvs
