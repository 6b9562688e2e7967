// Debian's own mail, file and directory servers for the health tests, started
// by the test on loopback with free ports and stopped (by PID) in their
// destructors:
//  - DovecotServer: Dovecot with POP3, POP3S, IMAP and IMAPS, one user
//    (alice / secret) from a passwd-file, a self-signed certificate made by
//    openssl(1), everything under a private directory;
//  - PythonSmtpServer: the SMTP server of Python's standard library
//    (python3 -m smtpd, Debian's python3);
//  - VsftpdServer: vsftpd, anonymous, passive mode;
//  - SlapdServer: OpenLDAP's slapd, ldap:// and ldaps://, suffix
//    dc=example,dc=test, rootdn cn=admin,dc=example,dc=test / secret;
//  - FreeRadiusServer: FreeRADIUS with Debian's configuration trimmed to PAP
//    from a users file (alice / secret), client 127.0.0.1 with secret
//    testing123;
//  - SippServer: SIPp (Debian's sip-tester) answering OPTIONS with
//    `status` (200 OK by default), over UDP or TCP;
//  - TinyproxyServer: tinyproxy, an HTTP proxy for 127.0.0.1.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "server_processes.h"

namespace xvs::test {

class DovecotServer : public TestServer {
public:
    DovecotServer();   // returns once every port accepts connections (REQUIREs it)

    uint16_t pop3 = 0, pop3s = 0, imap = 0, imaps = 0;
};

class PythonSmtpServer : public TestServer {
public:
    PythonSmtpServer();

    uint16_t port = 0;
};

// vsftpd serving anonymous FTP from a private directory that holds
// check.txt ("FTP check OK"), passive mode on 127.0.0.1.
class VsftpdServer : public TestServer {
public:
    VsftpdServer();
    uint16_t port = 0;
};

class SlapdServer : public TestServer {
public:
    SlapdServer();
    uint16_t ldap = 0, ldaps = 0;
};

class FreeRadiusServer : public TestServer {
public:
    FreeRadiusServer();
    uint16_t port = 0;
};

class SippServer : public TestServer {
public:
    SippServer(bool tcp, const std::string& status = "200 OK");
    uint16_t port = 0;
};

class TinyproxyServer : public TestServer {
public:
    TinyproxyServer();
    uint16_t port = 0;
};

}  // namespace xvs::test
