// ReceivePattern: the receive= regular expression of a check, compiled once.
//
// ldirectord matches receive= with Perl (`$content =~ /$receive/`), so xvs
// uses PCRE2, Perl's syntax and semantics ((?i), \d, \A, \z, lookbehind,
// ...), on the raw bytes of the reply. Every search has a budget of
// max_steps matching steps: a pattern that backtracks without end on a large
// reply makes that check fail with a reason instead of stalling the checker
// thread, and PCRE2 backtracks on the heap, so no reply exhausts the stack
// (std::regex's recursive matcher overflows it on replies of a few tens of
// kilobytes, which is why xvs does not use it).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace xvs {

class ReceivePattern {
public:
    // Throws std::invalid_argument naming the error and its offset.
    explicit ReceivePattern(const std::string& pattern);

    // True when text contains a match; throws std::runtime_error when PCRE2
    // gives up (match or heap limit).
    bool search(std::string_view text) const;

    const std::string& pattern() const { return pattern_; }

    static constexpr uint64_t max_steps = 10'000'000;

private:
    struct Code;
    std::string pattern_;
    std::shared_ptr<const Code> code_;
};

}  // namespace xvs
