#include "protocol_servers.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include <catch2/catch.hpp>
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <chrono>
#include <fstream>
#include <iterator>
#include <thread>

#include "server_processes.h"

namespace xvs::test {

namespace fs = std::filesystem;

DovecotServer::DovecotServer() : TestServer("dovecot") {
    fs::create_directories(dir_ + "/run");
    fs::create_directories(dir_ + "/state");
    fs::create_directories(dir_ + "/home");
    // Mail processes run as nobody: they make the user's Maildir here.
    fs::permissions(dir_ + "/home", fs::perms::all);
    fs::permissions(dir_, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
    REQUIRE(std::system(("openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=mail.test -days 2 -keyout " + dir_ +
                         "/key.pem -out " + dir_ + "/cert.pem >/dev/null 2>&1")
                            .c_str()) == 0);
    std::ofstream(dir_ + "/users") << "alice:{PLAIN}secret\n";
    pop3 = free_loopback_port();
    pop3s = free_loopback_port();
    imap = free_loopback_port();
    imaps = free_loopback_port();
    std::ofstream conf(dir_ + "/dovecot.conf");
    conf << "base_dir = " << dir_ << "/run\nstate_dir = " << dir_ << "/state\nlog_path = " << dir_
         << "/dovecot.log\nprotocols = pop3 imap\nlisten = 127.0.0.1\nssl = yes\nssl_cert = <" << dir_
         << "/cert.pem\nssl_key = <" << dir_ << "/key.pem\ndisable_plaintext_auth = no\nauth_mechanisms = plain\n"
         << "mail_location = maildir:" << dir_ << "/home/%u/Maildir\n"
         << "passdb {\n  driver = passwd-file\n  args = scheme=PLAIN " << dir_ << "/users\n}\n"
         << "userdb {\n  driver = static\n  args = uid=nobody gid=nogroup home=" << dir_ << "/home/%u\n}\n"
         << "service pop3-login {\n  inet_listener pop3 {\n    port = " << pop3
         << "\n  }\n  inet_listener pop3s {\n    port = " << pop3s << "\n    ssl = yes\n  }\n}\n"
         << "service imap-login {\n  inet_listener imap {\n    port = " << imap
         << "\n  }\n  inet_listener imaps {\n    port = " << imaps << "\n    ssl = yes\n  }\n}\n";
    conf.close();
    pid_ = spawn({"/usr/sbin/dovecot", "-F", "-c", dir_ + "/dovecot.conf"}, dir_ + "/stdout.log");
    REQUIRE(pid_ > 0);
    INFO("dovecot in " << dir_);
    REQUIRE(all_accept({pop3, pop3s, imap, imaps}));
}

PythonSmtpServer::PythonSmtpServer() : TestServer("smtpd") {
    port = free_loopback_port();
    // Debian's python3 (its standard library still has smtpd), not one earlier in PATH.
    pid_ = spawn({"/usr/bin/python3", "-W", "ignore", "-m", "smtpd", "-n", "-c", "DebuggingServer",
                  "127.0.0.1:" + std::to_string(port)},
                 "/dev/null");
    REQUIRE(pid_ > 0);
    REQUIRE(all_accept({port}));
}


VsftpdServer::VsftpdServer() : TestServer("vsftpd") {
    fs::create_directories(dir_ + "/ftp");
    fs::create_directories(dir_ + "/empty");
    fs::permissions(dir_, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
    std::ofstream(dir_ + "/ftp/check.txt") << "FTP check OK\n";
    port = free_loopback_port();
    // Concurrent checks each need a passive data port: a range, not one port
    // (vsftpd picks within it and answers "500 OOPS: vsf_sysutil_bind" when
    // the one it picked is taken).
    const uint16_t passive = free_loopback_port();
    const uint16_t passive_last = static_cast<uint16_t>(std::min(65535, passive + 63));
    std::ofstream conf(dir_ + "/vsftpd.conf");
    conf << "listen=YES\nlisten_ipv6=NO\nlisten_address=127.0.0.1\nlisten_port=" << port
         << "\nbackground=NO\nanonymous_enable=YES\nno_anon_password=YES\nanon_root=" << dir_
         << "/ftp\nlocal_enable=NO\nwrite_enable=NO\npasv_enable=YES\npasv_address=127.0.0.1\npasv_min_port="
         << passive << "\npasv_max_port=" << passive_last << "\nseccomp_sandbox=NO\nsecure_chroot_dir=" << dir_
         << "/empty\nxferlog_enable=NO\nvsftpd_log_file=" << dir_ << "/vsftpd.log\n";
    conf.close();
    pid_ = spawn({"/usr/sbin/vsftpd", dir_ + "/vsftpd.conf"}, dir_ + "/stdout.log");
    REQUIRE(pid_ > 0);
    INFO("vsftpd in " << dir_);
    REQUIRE(all_accept({port}));
}

SlapdServer::SlapdServer() : TestServer("slapd") {
    fs::create_directories(dir_ + "/db");
    REQUIRE(std::system(("openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=ldap.test -days 2 -keyout " + dir_ +
                         "/key.pem -out " + dir_ + "/cert.pem >/dev/null 2>&1")
                            .c_str()) == 0);
    std::ofstream conf(dir_ + "/slapd.conf");
    conf << "include /etc/ldap/schema/core.schema\npidfile " << dir_ << "/slapd.pid\nmodulepath /usr/lib/ldap\n"
         << "moduleload back_mdb\nTLSCertificateFile " << dir_ << "/cert.pem\nTLSCertificateKeyFile " << dir_
         << "/key.pem\ndatabase mdb\nsuffix \"dc=example,dc=test\"\nrootdn \"cn=admin,dc=example,dc=test\"\n"
         << "rootpw secret\ndirectory " << dir_ << "/db\n";
    conf.close();
    std::ofstream(dir_ + "/base.ldif") << "dn: dc=example,dc=test\nobjectClass: dcObject\nobjectClass: organization\n"
                                          "dc: example\no: Example\n";
    REQUIRE(run({"/usr/sbin/slapadd", "-f", dir_ + "/slapd.conf", "-l", dir_ + "/base.ldif"}, dir_ + "/slapadd.log") == 0);
    ldap = free_loopback_port();
    ldaps = free_loopback_port();
    const std::string urls = "ldap://127.0.0.1:" + std::to_string(ldap) + "/ ldaps://127.0.0.1:" + std::to_string(ldaps) + "/";
    // -d 0: stays in the foreground, so the PID is slapd's own.
    pid_ = spawn({"/usr/sbin/slapd", "-d", "0", "-f", dir_ + "/slapd.conf", "-h", urls}, dir_ + "/slapd.log");
    REQUIRE(pid_ > 0);
    INFO("slapd in " << dir_);
    REQUIRE(all_accept({ldap, ldaps}));
}

FreeRadiusServer::FreeRadiusServer() : TestServer("radius") {
    fs::create_directories(dir_);
    fs::permissions(dir_, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
    const std::string raddb = dir_ + "/raddb";
    // cp -a: the server reads its files as freerad, with Debian's owners and modes.
    REQUIRE(run({"/bin/cp", "-a", "/etc/freeradius/3.0", raddb}, dir_ + "/cp.log") == 0);
    for (const auto& e : fs::directory_iterator(raddb + "/sites-enabled")) fs::remove(e.path());
    for (const auto& e : fs::directory_iterator(raddb + "/mods-enabled")) {
        const std::string name = e.path().filename().string();
        if (name != "always" && name != "attr_filter" && name != "expr" && name != "files" && name != "pap")
            fs::remove(e.path());
    }
    port = free_loopback_port();  // a TCP port free now; the UDP one of that number is almost surely too
    std::ofstream(raddb + "/sites-enabled/check")
        << "server check {\n\tlisten {\n\t\ttype = auth\n\t\tipaddr = 127.0.0.1\n\t\tport = " << port
        << "\n\t}\n\tauthorize {\n\t\tfiles\n\t\tpap\n\t}\n\tauthenticate {\n\t\tAuth-Type PAP {\n\t\t\tpap\n"
           "\t\t}\n\t}\n}\n";
    std::ofstream(raddb + "/mods-config/files/authorize") << "alice Cleartext-Password := \"secret\"\n";
    std::ofstream(raddb + "/clients.conf") << "client localhost {\n\tipaddr = 127.0.0.1\n\tsecret = testing123\n}\n";
    const std::string log = dir_ + "/radius.log";
    // -X: the foreground, one process (its PID is the server's), and the
    // "Ready to process requests" line that says it listens.
    pid_ = spawn({"/usr/sbin/freeradius", "-X", "-d", raddb, "-l", "stdout"}, log);
    REQUIRE(pid_ > 0);
    INFO("FreeRADIUS in " << dir_);
    bool ready = false;
    for (int i = 0; i < 600 && !ready; ++i) {
        std::ifstream in(log);
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        ready = text.find("Ready to process requests") != std::string::npos;
        if (!ready) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    REQUIRE(ready);
}

SippServer::SippServer(bool tcp, const std::string& status) : TestServer("sipp") {
    fs::create_directories(dir_);
    // Answers every OPTIONS (one call per request) with `status`.
    std::ofstream(dir_ + "/uas.xml") << "<?xml version=\"1.0\" encoding=\"ISO-8859-1\" ?>\n"
                                        "<scenario name=\"answer OPTIONS\">\n  <recv request=\"OPTIONS\" />\n"
                                        "  <send>\n    <![CDATA[\n\n      SIP/2.0 "
                                     << status
                                     << "\n      [last_Via:]\n      [last_From:]\n"
                                        "      [last_To:];tag=[pid]SIPpTag01[call_number]\n      [last_Call-ID:]\n"
                                        "      [last_CSeq:]\n      Content-Length: 0\n\n    ]]>\n  </send>\n"
                                        "</scenario>\n";
    port = free_loopback_port();
    pid_ = spawn({"/usr/bin/sipp", "-sf", dir_ + "/uas.xml", "-i", "127.0.0.1", "-p", std::to_string(port), "-t",
                  tcp ? "t1" : "u1", "-nostdin"},
                 dir_ + "/sipp.log");
    REQUIRE(pid_ > 0);
    INFO("SIPp in " << dir_);
    if (tcp) {
        REQUIRE(all_accept({port}));
    } else {
        // Nothing to connect to over UDP: wait until the port is taken.
        bool bound = false;
        for (int i = 0; i < 600 && !bound; ++i) {
            int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
            sockaddr_in a{};
            a.sin_family = AF_INET;
            a.sin_port = htons(port);
            a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            bound = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 && errno == EADDRINUSE;
            ::close(fd);
            if (!bound) std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        REQUIRE(bound);
    }
}

TinyproxyServer::TinyproxyServer() : TestServer("tinyproxy") {
    fs::create_directories(dir_);
    port = free_loopback_port();
    std::ofstream(dir_ + "/tinyproxy.conf") << "User tinyproxy\nGroup tinyproxy\nPort " << port
                                            << "\nListen 127.0.0.1\nTimeout 10\nAllow 127.0.0.1\nLogLevel Info\n";
    // -d: the foreground, so the PID is tinyproxy's own.
    pid_ = spawn({"/usr/bin/tinyproxy", "-d", "-c", dir_ + "/tinyproxy.conf"}, dir_ + "/tinyproxy.log");
    REQUIRE(pid_ > 0);
    INFO("tinyproxy in " << dir_);
    REQUIRE(all_accept({port}));
}

}  // namespace xvs::test
