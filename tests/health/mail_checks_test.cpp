// ldirectord's smtp, pop, pops, imap, imaps, nntp and ftp checks against real
// servers: Dovecot (POP3 and IMAP, plain and TLS), vsftpd and Python's SMTP server,
// started by the test on loopback. NNTP against a scripted stand-in (Debian
// has no light NNTP server), named as such.
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "checker_support.h"
#include "health/mail_dialogues.h"
#include "local_servers.h"
#include "protocol_servers.h"

using namespace xvs;
using namespace xvs::test;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

CheckSpec mail_spec(const std::string& service, uint16_t port, const std::string& login = "",
                    const std::string& passwd = "") {
    CheckSpec spec = negotiate_spec(service, loopback(Family::v4), port);
    spec.login = login;
    spec.passwd = passwd;
    return spec;
}

// A scripted NNTP stand-in: sends `greeting` and closes.
LocalTcpServer::Handler nntp_stand_in(std::string greeting) {
    return [greeting](int fd, LocalTcpServer&) { write_all(fd, greeting); };
}

}  // namespace

TEST_CASE("pop, pops, imap and imaps checks log in to Dovecot", "[mail]") {
    DovecotServer dovecot;
    auto results = first_results({{1, mail_spec("pop", dovecot.pop3, "alice", "secret")},
                                  {2, mail_spec("pops", dovecot.pop3s, "alice", "secret")},
                                  {3, mail_spec("imap", dovecot.imap, "alice", "secret")},
                                  {4, mail_spec("imaps", dovecot.imaps, "alice", "secret")}});
    for (SubscriberId id : {1, 2, 3, 4}) INFO(id << ": " << results.at(id).reason);
    CHECK(results.at(1).up);
    CHECK(results.at(1).reason == "POP3 logged in as alice");
    CHECK(results.at(2).up);
    CHECK(results.at(2).reason == "POP3 logged in as alice");
    CHECK(results.at(3).up);
    CHECK(results.at(3).reason == "IMAP logged in as alice");
    CHECK(results.at(4).up);
    CHECK(results.at(4).reason == "IMAP logged in as alice");
}

TEST_CASE("a wrong password is down with the server's answer, never the password", "[mail]") {
    DovecotServer dovecot;
    // Dovecot answers a failed login after its auth_failure_delay (2 s).
    auto slow = [](CheckSpec spec) {
        spec.negotiate_timeout_s = 15;
        return spec;
    };
    auto results = first_results({{1, slow(mail_spec("pop", dovecot.pop3, "alice", "wrong-pw"))},
                                  {2, slow(mail_spec("imaps", dovecot.imaps, "alice", "wrong-pw"))},
                                  {3, slow(mail_spec("imap", dovecot.imap, "nobody-here", "secret"))}});
    CHECK_FALSE(results.at(1).up);
    CHECK_THAT(results.at(1).reason, StartsWith("POP3: PASS answered '-ERR"));
    CHECK_FALSE(results.at(2).up);
    CHECK_THAT(results.at(2).reason, StartsWith("IMAP: LOGIN answered '1 NO"));
    CHECK_FALSE(results.at(3).up);
    CHECK_THAT(results.at(3).reason, StartsWith("IMAP: LOGIN answered '1 NO"));
    for (SubscriberId id : {1, 2, 3}) CHECK_THAT(results.at(id).reason, !Contains("wrong-pw"));
}

TEST_CASE("without login= the greeting alone decides, as in ldirectord", "[mail]") {
    DovecotServer dovecot;
    auto results = first_results({{1, mail_spec("pop", dovecot.pop3)}, {2, mail_spec("imap", dovecot.imap)}});
    CHECK(results.at(1).up);
    CHECK(results.at(1).reason == "POP3 greeting +OK");
    CHECK(results.at(2).up);
    CHECK(results.at(2).reason == "IMAP greeting * OK");
}

TEST_CASE("a stopped Dovecot is down: connection refused", "[mail]") {
    DovecotServer dovecot;
    dovecot.stop();
    auto c = first_result(mail_spec("imap", dovecot.imap, "alice", "secret"));
    CHECK_FALSE(c.up);
    CHECK_THAT(c.reason, Contains("refused"));
}

TEST_CASE("smtp and submission checks: greeting and EHLO from Python's SMTP server", "[mail]") {
    PythonSmtpServer smtp;
    auto results = first_results({{1, mail_spec("smtp", smtp.port)}, {2, mail_spec("submission", smtp.port)}});
    CHECK(results.at(1).up);
    CHECK(results.at(1).reason == "SMTP greeting 220, EHLO 250");
    CHECK(results.at(2).up);
}

TEST_CASE("an SMTP server refusing EHLO is asked HELO, refusing both is down", "[mail]") {
    auto scripted = [](bool helo_ok) {
        return [helo_ok](int fd, LocalTcpServer&) {
            write_all(fd, "220-mail.test scripted\r\n220 ready\r\n");
            std::string got;
            char buf[512];
            auto read_line = [&] {
                while (got.find("\r\n") == std::string::npos) {
                    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
                    if (n <= 0) return std::string();
                    got.append(buf, size_t(n));
                }
                auto line = got.substr(0, got.find("\r\n"));
                got.erase(0, line.size() + 2);
                return line;
            };
            if (read_line() != "EHLO localhost.localdomain") return;
            write_all(fd, "502 EHLO not implemented\r\n");
            if (read_line() != "HELO localhost.localdomain") return;
            write_all(fd, helo_ok ? "250 mail.test\r\n" : "550 go away\r\n");
        };
    };
    LocalTcpServer helo_only(Family::v4, scripted(true)), refusing(Family::v4, scripted(false));
    auto results = first_results({{1, mail_spec("smtp", helo_only.port())}, {2, mail_spec("smtp", refusing.port())}});
    CHECK(results.at(1).up);
    CHECK(results.at(1).reason == "SMTP greeting 220, HELO 250");
    CHECK_FALSE(results.at(2).up);
    CHECK(results.at(2).reason == "SMTP: HELO answered '550 go away'");
}

TEST_CASE("a mail server that never greets times out waiting for the greeting", "[mail]") {
    LocalTcpServer silent(Family::v4, [](int, LocalTcpServer& server) { server.wait_for_stop(30); });
    auto spec = mail_spec("pop", silent.port());
    spec.negotiate_timeout_s = 0.5;
    auto c = first_result(spec);
    CHECK_FALSE(c.up);
    CHECK_THAT(c.reason, StartsWith("timeout after 0.5s while waiting for the greeting"));
}

TEST_CASE("nntp: a greeting starting with 2 is up, any other is down (scripted stand-in)", "[mail]") {
    LocalTcpServer ready(Family::v4, nntp_stand_in("200 news.test NNTP stand-in ready\r\n"));
    LocalTcpServer refusing(Family::v4, nntp_stand_in("502 no permission\r\n"));
    auto results = first_results({{1, mail_spec("nntp", ready.port())}, {2, mail_spec("nntp", refusing.port())}});
    CHECK(results.at(1).up);
    CHECK(results.at(1).reason == "NNTP greeting 200");
    CHECK_FALSE(results.at(2).up);
    CHECK(results.at(2).reason == "NNTP: the greeting answered '502 no permission'");
}

namespace {

CheckSpec ftp_spec(uint16_t port, const std::string& file, const std::string& receive,
                   const std::string& login = "anonymous") {
    CheckSpec spec = mail_spec("ftp", port, login, "ldirectord@test");
    spec.request = "/" + file;  // as the daemon hands it over
    spec.receive = receive;
    return spec;
}

}  // namespace

TEST_CASE("ftp check logs in to vsftpd, fetches request= in passive mode and matches receive=", "[ftp]") {
    VsftpdServer ftp;
    auto c = first_result(ftp_spec(ftp.port, "check.txt", "check OK"));
    CHECK(c.up);
    CHECK(c.reason == "FTP: check.txt matches receive");
}

TEST_CASE("ftp: no match, a missing file, a refused login and a stopped server are down", "[ftp]") {
    VsftpdServer ftp;
    auto results = first_results({{1, ftp_spec(ftp.port, "check.txt", "not in the file")},
                                  {2, ftp_spec(ftp.port, "missing.txt", "check OK")},
                                  {3, ftp_spec(ftp.port, "check.txt", "check OK", "alice")}});
    CHECK_FALSE(results.at(1).up);
    CHECK(results.at(1).reason == "receive did not match");
    CHECK_FALSE(results.at(2).up);
    CHECK_THAT(results.at(2).reason, StartsWith("FTP: RETR missing.txt answered '550"));
    CHECK_FALSE(results.at(3).up);
    CHECK_THAT(results.at(3).reason, StartsWith("FTP: USER answered '530"));
    ftp.stop();
    auto stopped = first_result(ftp_spec(ftp.port, "check.txt", "check OK"));
    CHECK_FALSE(stopped.up);
    CHECK_THAT(stopped.reason, Contains("refused"));
}
