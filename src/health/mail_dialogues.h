// The negotiate checks of ldirectord's mail and news services, as its
// check_smtp, check_pop, check_imap(s) and check_nntp judge them (the TLS
// variants pops and imaps are the same dialogues inside TLS):
//
//  smtp, submission: the greeting must be 2xx, then "EHLO
//      localhost.localdomain" (Net::SMTP's default) must be answered 2xx;
//      a 5xx to EHLO is retried as HELO. Up; QUIT is sent on leaving.
//  pop, pops: the greeting must be +OK. With login= set: USER and PASS must
//      be answered +OK, then STAT (Mail::POP3Client's login ends with it).
//      Up; QUIT on leaving. xvs logs in with USER/PASS only: a server that
//      offers APOP or CRAM-MD5 (which Mail::POP3Client would prefer) must
//      also take USER/PASS.
//  imap, imaps: the greeting must be "* OK" or "* PREAUTH". With login= set:
//      "1 LOGIN login "passwd"" (the password quoted and escaped as
//      Net::IMAP::Simple does) must be answered "1 OK". Up; LOGOUT on leaving.
//  nntp: the first line must start with 2 (ldirectord reads 64 bytes and
//      matches /^2/).
#pragma once

#include <memory>
#include <string>

#include "health/check_spec.h"
#include "health/line_dialogue.h"

namespace xvs {

// The dialogue of spec.service (smtp, submission, pop, pops, imap, imaps,
// nntp); null for any other service.
std::unique_ptr<StreamDialogue> make_mail_dialogue(const CheckSpec& spec);

// Whether the service's dialogue runs inside TLS (pops, imaps).
bool mail_service_uses_tls(const std::string& service);

}  // namespace xvs
