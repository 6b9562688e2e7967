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

namespace xvs::test {

class DovecotServer {
public:
    DovecotServer();   // returns once every port accepts connections (REQUIREs it)
    ~DovecotServer();  // SIGTERM, reap, remove the directory
    DovecotServer(const DovecotServer&) = delete;
    DovecotServer& operator=(const DovecotServer&) = delete;

    uint16_t pop3 = 0, pop3s = 0, imap = 0, imaps = 0;
    void stop();  // before the destructor: stop serving now

private:
    std::string dir_;
    pid_t pid_ = -1;
};

class PythonSmtpServer {
public:
    PythonSmtpServer();
    ~PythonSmtpServer();
    PythonSmtpServer(const PythonSmtpServer&) = delete;
    PythonSmtpServer& operator=(const PythonSmtpServer&) = delete;

    uint16_t port = 0;

private:
    pid_t pid_ = -1;
};

}  // namespace xvs::test

namespace xvs::test {

// vsftpd serving anonymous FTP from a private directory that holds
// check.txt ("FTP check OK"), passive mode on 127.0.0.1.
class VsftpdServer {
public:
    VsftpdServer();
    ~VsftpdServer();
    VsftpdServer(const VsftpdServer&) = delete;
    VsftpdServer& operator=(const VsftpdServer&) = delete;
    uint16_t port = 0;
    void stop();

private:
    std::string dir_;
    pid_t pid_ = -1;
};

}  // namespace xvs::test

namespace xvs::test {

class SlapdServer {
public:
    SlapdServer();
    ~SlapdServer();
    SlapdServer(const SlapdServer&) = delete;
    SlapdServer& operator=(const SlapdServer&) = delete;
    uint16_t ldap = 0, ldaps = 0;

private:
    std::string dir_;
    pid_t pid_ = -1;
};

}  // namespace xvs::test

namespace xvs::test {

class FreeRadiusServer {
public:
    FreeRadiusServer();
    ~FreeRadiusServer();
    FreeRadiusServer(const FreeRadiusServer&) = delete;
    FreeRadiusServer& operator=(const FreeRadiusServer&) = delete;
    uint16_t port = 0;

private:
    std::string dir_;
    pid_t pid_ = -1;
};

}  // namespace xvs::test

namespace xvs::test {

class SippServer {
public:
    SippServer(bool tcp, const std::string& status = "200 OK");
    ~SippServer();
    SippServer(const SippServer&) = delete;
    SippServer& operator=(const SippServer&) = delete;
    uint16_t port = 0;

private:
    std::string dir_;
    pid_t pid_ = -1;
};

}  // namespace xvs::test

namespace xvs::test {

class TinyproxyServer {
public:
    TinyproxyServer();
    ~TinyproxyServer();
    TinyproxyServer(const TinyproxyServer&) = delete;
    TinyproxyServer& operator=(const TinyproxyServer&) = delete;
    uint16_t port = 0;

private:
    std::string dir_;
    pid_t pid_ = -1;
};

}  // namespace xvs::test
