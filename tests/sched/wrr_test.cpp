#include <catch2/catch.hpp>

#include <map>
#include <numeric>
#include <random>
#include <stdexcept>

#include "sched/wrr.h"

using xvs::WrrSchedule;
using xvs::wrr_schedule;

namespace {

using Order = std::vector<uint32_t>;

// A line-by-line transliteration of ip_vs_wrr_schedule() (Linux 6.1) over a
// circular list whose position `dests.size()` is the list head. Used as the
// oracle the precomputed table must match.
class KernelWrr {
public:
    explicit KernelWrr(std::vector<int> weights) : weights_(std::move(weights)) {
        for (int w : weights_) {
            mw_ = std::max(mw_, w);
            if (w > 0) di_ = std::gcd(di_, w);
        }
        if (di_ == 0) di_ = 1;
        cl_ = head();
        cw_ = mw_;  // ip_vs_wrr_init_svc: cw = mw (older kernels: 0, same order)
    }
    // Returns -1 for "no available real".
    int schedule() {
        if (mw_ == 0) return -1;
        size_t dest = cl_, last = cl_;
        size_t stop = SIZE_MAX;
        bool last_pass = false, restarted = false;
        for (;;) {
            for (dest = next(dest); dest != head(); dest = next(dest)) {
                if (weights_[dest] >= cw_) {
                    cl_ = dest;
                    return static_cast<int>(dest);
                }
                if (dest == stop) return -1;
            }
            cw_ -= di_;
            if (cw_ <= 0) {
                cw_ = mw_;
                if (last_pass || last == head()) return -1;
                restarted = true;
            }
            last_pass = cw_ <= di_;
            if (last_pass && restarted && last != head()) stop = last;
        }
    }

private:
    size_t head() const { return weights_.size(); }
    size_t next(size_t i) const { return i == head() ? 0 : i + 1; }
    std::vector<int> weights_;
    int mw_ = 0, di_ = 0, cw_ = 0;
    size_t cl_ = 0;
};

Order kernel_sequence(const std::vector<uint32_t>& weights, size_t n) {
    KernelWrr k(std::vector<int>(weights.begin(), weights.end()));
    Order out;
    for (size_t i = 0; i < n; ++i) out.push_back(static_cast<uint32_t>(k.schedule()));
    return out;
}

std::map<uint32_t, size_t> counts(const Order& order) {
    std::map<uint32_t, size_t> c;
    for (uint32_t i : order) ++c[i];
    return c;
}

}  // namespace

TEST_CASE("wrr gives weights 4,3,2 the kernel's interleaved order") {
    auto s = wrr_schedule({4, 3, 2}, 1000);
    CHECK(s.order == Order{0, 0, 1, 0, 1, 2, 0, 1, 2});
    CHECK_FALSE(s.scaled);
}

TEST_CASE("wrr gives weights 2,1 the kernel's order, a rotation of B A B") {
    // The kernel starts at cw = max weight, so a fresh service answers
    // B B A B B A ...; as a cycle that is B A B from the second pick.
    auto s = wrr_schedule({2, 1}, 1000);
    CHECK(s.order == Order{0, 0, 1});
    CHECK(kernel_sequence({2, 1}, 6) == Order{0, 0, 1, 0, 0, 1});
}

TEST_CASE("wrr matches a transliteration of ip_vs_wrr_schedule for random weights") {
    std::mt19937 rng(12345);
    for (int trial = 0; trial < 200; ++trial) {
        std::vector<uint32_t> weights(1 + rng() % 8);
        for (auto& w : weights) w = rng() % 4 == 0 ? 0 : 1 + rng() % 12;
        if (trial % 3 == 0)
            for (auto& w : weights) w *= 5;  // gcd > 1
        auto s = wrr_schedule(weights, 100000);
        INFO("trial " << trial);
        bool any = std::any_of(weights.begin(), weights.end(), [](uint32_t w) { return w > 0; });
        if (!any) {
            CHECK(s.order.empty());
            continue;
        }
        // Two full cycles of the kernel equal the table repeated twice.
        Order twice = s.order;
        twice.insert(twice.end(), s.order.begin(), s.order.end());
        CHECK(kernel_sequence(weights, twice.size()) == twice);
    }
}

TEST_CASE("wrr cycle is sum of weights over their gcd") {
    auto s = wrr_schedule({6, 4, 2}, 1000);
    CHECK(s.order == Order{0, 0, 1, 0, 1, 2});
    auto c = counts(s.order);
    CHECK(c[0] == 3);
    CHECK(c[1] == 2);
    CHECK(c[2] == 1);
}

TEST_CASE("wrr with equal weights is round robin in list order") {
    CHECK(wrr_schedule({5, 5, 5}, 100).order == Order{0, 1, 2});
}

TEST_CASE("wrr never picks reals of weight 0") {
    CHECK(wrr_schedule({0, 2, 0, 1}, 100).order == Order{1, 1, 3});
    CHECK(wrr_schedule({0, 0}, 100).order.empty());
    CHECK(wrr_schedule({}, 100).order.empty());
}

TEST_CASE("wrr with a single real is that real") {
    CHECK(wrr_schedule({7}, 100).order == Order{0});
}

TEST_CASE("wrr scales huge weights to fit and keeps ratios within the documented bound") {
    std::vector<uint32_t> weights{1000000, 999999, 500000, 3, 1, 65535, 12345};
    const uint32_t max_len = 4096;
    auto s = wrr_schedule(weights, max_len);
    CHECK(s.scaled);
    REQUIRE(s.order.size() <= max_len);
    REQUIRE_FALSE(s.order.empty());
    double sum = std::accumulate(weights.begin(), weights.end(), 0.0);
    double bound = xvs::wrr_share_error_bound(weights.size(), s.order.size());
    auto c = counts(s.order);
    for (size_t i = 0; i < weights.size(); ++i) {
        double share = static_cast<double>(c[i]) / s.order.size();
        double exact = weights[i] / sum;
        INFO("real " << i << " share " << share << " exact " << exact << " bound " << bound);
        CHECK(c[i] >= 1);  // every non-zero real stays in
        CHECK(std::abs(share - exact) <= bound);
    }
    // The scaled table is still the kernel's order for the weights it holds.
    std::vector<uint32_t> held(weights.size());
    for (auto [i, n] : c) held[i] = static_cast<uint32_t>(n);
    CHECK(kernel_sequence(held, s.order.size()) == s.order);
}

TEST_CASE("wrr keeps a large weighted set within 1 percent of exact shares") {
    std::mt19937 rng(7);
    std::vector<uint32_t> weights(100);
    for (auto& w : weights) w = 1000 + rng() % 100000;
    auto s = wrr_schedule(weights, 65536);
    CHECK(s.scaled);
    REQUIRE(s.order.size() <= 65536);
    double sum = std::accumulate(weights.begin(), weights.end(), 0.0);
    auto c = counts(s.order);
    double worst = 0;
    for (size_t i = 0; i < weights.size(); ++i)
        worst = std::max(worst, std::abs(double(c[i]) / s.order.size() - weights[i] / sum));
    WARN("largest share error " << worst * 100 << " percentage points over " << s.order.size()
                                << " entries");
    CHECK(worst <= xvs::wrr_share_error_bound(weights.size(), s.order.size()));
    CHECK(worst < 0.01);
}

TEST_CASE("wrr refuses a table too small to hold every real") {
    CHECK_THROWS_AS(wrr_schedule({1, 1, 1}, 2), std::invalid_argument);
}

TEST_CASE("rr lists every real of non-zero weight once in list order") {
    CHECK(xvs::rr_schedule({3, 0, 1, 9}).order == Order{0, 2, 3});
    CHECK(xvs::rr_schedule({0}).order.empty());
}
