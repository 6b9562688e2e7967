// The database checks of ldirectord's check_sql (service=mysql, pgsql): log
// in to `database` as `login` with `passwd`, run `request`, and be up when it
// returns at least one row. Down on a failed login, a failed statement, or
// a statement that returns no rows, with the server's own words.
//
// Both run on the checker's loop through the client libraries' own
// non-blocking interfaces: MariaDB Connector/C's *_start/*_cont calls
// (libmariadb) and libpq's PQconnectStart/PQconnectPoll and PQsendQuery.
// The libraries speak the protocols (authentication plugins, SCRAM, TLS
// negotiation), which is why they are used instead of hand-written code.
//
// validate_check_spec() refuses these services without login= and request=
// (ldirectord logs "Must specify a login and request string" and keeps the
// real down for ever).
#pragma once

#include <memory>

#include "health/check_spec.h"
#include "health/probe.h"

namespace xvs {

// service=mysql or pgsql; null for any other.
std::unique_ptr<Probe> make_sql_probe(const CheckSpec& spec);

}  // namespace xvs
