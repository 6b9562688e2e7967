// The nftables mark rules for fwmark services: the generated text, and the
// real thing in a private network namespace (nf_tables is in this kernel).
#include <nftables/libnftables.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <iostream>

#include "dataplane/dataplane.h"
#include "dataplane/ipvs/fwmark_rules.h"

using namespace xvs;

namespace {

IpAddress ip(const char* text) { return *IpAddress::parse(text); }

Model seed_model() {
    VirtualService s;
    s.key = ServiceKey::mark(100, Family::v4);
    s.matches = {{Protocol::tcp, ip("192.168.0.105"), 80}, {Protocol::tcp, ip("192.168.0.105"), 8080}};
    VirtualService v6;
    v6.key = ServiceKey::mark(7, Family::v6);
    v6.matches = {{Protocol::udp, ip("2001:db8::1"), 0}};
    VirtualService plain;
    plain.key = ServiceKey::tcp_udp(Protocol::tcp, ip("10.0.0.1"), 80);
    Model m;
    for (const auto& x : {s, v6, plain}) m.services[x.key] = x;
    return m;
}

// Runs `body` in a child process inside a new network namespace; the
// namespace (and any table in it) disappears with the child.
int in_private_netns(const std::function<int()>& body) {
    pid_t pid = fork();
    if (pid == 0) {
        if (unshare(CLONE_NEWNET) != 0) _exit(90);
        int rc = 91;
        try {
            rc = body();
        } catch (const std::exception& e) {
            std::cerr << e.what() << "\n";
        }
        _exit(rc);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 99;
}

std::string list_ruleset() {
    nft_ctx* ctx = nft_ctx_new(NFT_CTX_DEFAULT);
    nft_ctx_buffer_output(ctx);
    nft_ctx_buffer_error(ctx);
    nft_run_cmd_from_buffer(ctx, "list ruleset");
    std::string out = nft_ctx_get_output_buffer(ctx);
    nft_ctx_free(ctx);
    return out;
}

}  // namespace

TEST_CASE("each match line of a fwmark service becomes one mark rule, by family and protocol") {
    CHECK(fwmark_rule_lines(seed_model()) ==
          "ip daddr 192.168.0.105 tcp dport 80 meta mark set 100\n"
          "ip daddr 192.168.0.105 tcp dport 8080 meta mark set 100\n"
          "ip6 daddr 2001:db8::1 meta l4proto udp meta mark set 7\n");
    CHECK(fwmark_rule_lines(Model{}).empty());
}

TEST_CASE("the script replaces the instance's table in one transaction") {
    CHECK(fwmark_table_name("default") == "xvs_default");
    CHECK(fwmark_table_name("test-42.a") == "xvs_test_42_a");
    CHECK(fwmark_ruleset_script("xvs_t", seed_model()) ==
          "add table inet xvs_t\n"
          "delete table inet xvs_t\n"
          "table inet xvs_t {\n"
          "\tchain prerouting {\n"
          "\t\ttype filter hook prerouting priority mangle; policy accept;\n"
          "\t\tip daddr 192.168.0.105 tcp dport 80 meta mark set 100\n"
          "\t\tip daddr 192.168.0.105 tcp dport 8080 meta mark set 100\n"
          "\t\tip6 daddr 2001:db8::1 meta l4proto udp meta mark set 7\n"
          "\t}\n"
          "}\n");
    CHECK(fwmark_ruleset_script("xvs_t", Model{}) == "add table inet xvs_t\ndelete table inet xvs_t\n");
}

TEST_CASE("installed mark rules appear in the kernel, are replaced, and vanish when no longer needed") {
    std::string instance = "test" + std::to_string(getpid());
    int rc = in_private_netns([&] {
        NftFwmarkRules rules(instance);
        rules.install(seed_model());
        std::string listed = list_ruleset();
        if (listed.find("table inet xvs_" + instance) == std::string::npos) return 1;
        if (listed.find("ip daddr 192.168.0.105 tcp dport 8080 meta mark set 0x00000064") == std::string::npos)
            return 2;
        Model fewer = seed_model();
        fewer.services.at(ServiceKey::mark(100, Family::v4)).matches.pop_back();
        rules.install(fewer);
        listed = list_ruleset();
        if (listed.find("dport 8080") != std::string::npos) return 3;
        if (listed.find("dport 80 ") == std::string::npos) return 4;
        rules.install(Model{});
        if (list_ruleset().find("xvs_" + instance) != std::string::npos) return 5;
        return 0;
    });
    CHECK(rc == 0);
}

TEST_CASE("a rule set the kernel refuses leaves an error naming the table") {
    std::string instance = "denied" + std::to_string(getpid());
    int rc = in_private_netns([&] {
        NftFwmarkRules rules(instance);
        // Without CAP_NET_ADMIN the kernel refuses the transaction.
        if (setresuid(65534, 65534, 65534) != 0) return 3;
        try {
            rules.install(seed_model());
        } catch (const DataplaneError& e) {
            std::string what = e.what();
            return what.find("nftables table inet xvs_" + instance + ": cannot install fwmark rules: ") == 0 ? 0 : 2;
        }
        return 1;
    });
    CHECK(rc == 0);
}
