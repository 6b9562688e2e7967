// IpvsError: a failed IPVS operation, worded the way ipvsadm words it.
//
// The kernel answers IPVS commands with a bare errno whose meaning depends on
// the command (ESRCH is "No such service" for a service command but "Service
// not defined" for a destination command). ipvs_error_text() holds ipvsadm's
// table so that xvs reports exactly what an LVS operator already knows, and
// every message names the object: "10.0.0.2:80 in TCP 10.0.0.1:80: No such
// destination".
#pragma once

#include <string>

#include "dataplane/dataplane.h"

namespace xvs {

enum class IpvsOperation {
    add_service,
    edit_service,
    delete_service,
    add_destination,
    edit_destination,
    delete_destination,
    zero,
    list_services,
    list_destinations,
    get_info,
    flush,
    set_timeouts,
    get_timeouts,
};

// ipvsadm's text for `error_number` returned by `op` (strerror() when ipvsadm
// has no specific text).
std::string ipvs_error_text(IpvsOperation op, int error_number);

class IpvsError : public DataplaneError {
   public:
    // error_number 0: not a kernel error (e.g. a malformed reply).
    IpvsError(const std::string& message, int error_number = 0)
        : DataplaneError(message), error_number_(error_number) {}
    int error_number() const { return error_number_; }

   private:
    int error_number_;
};

}  // namespace xvs
