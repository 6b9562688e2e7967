#include "health/receive_pattern.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <stdexcept>

namespace xvs {
namespace {

std::string pcre2_message(int code) {
    PCRE2_UCHAR buf[256];
    if (pcre2_get_error_message(code, buf, sizeof buf) < 0) return "PCRE2 error " + std::to_string(code);
    return reinterpret_cast<const char*>(buf);
}

}  // namespace

struct ReceivePattern::Code {
    pcre2_code* code = nullptr;
    ~Code() { pcre2_code_free(code); }
};

ReceivePattern::ReceivePattern(const std::string& pattern) : pattern_(pattern) {
    int error = 0;
    PCRE2_SIZE offset = 0;
    auto code = std::make_shared<Code>();
    // Auto callouts let search() count every step and give up; match_limit
    // alone does not bound a greedy .* retried from each start position.
    code->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), PCRE2_AUTO_CALLOUT,
                               &error, &offset, nullptr);
    if (!code->code)
        throw std::invalid_argument("receive=\"" + pattern + "\" is not a valid regular expression: " +
                                    pcre2_message(error) + " at offset " + std::to_string(offset));
    code_ = std::move(code);
}

namespace {

constexpr int budget_spent = -1001;  // a callout's "abort with this code"

int count_step(pcre2_callout_block*, void* steps_left) {
    auto& left = *static_cast<uint64_t*>(steps_left);
    return left-- == 0 ? budget_spent : 0;
}

}  // namespace

bool ReceivePattern::search(std::string_view text) const {
    std::unique_ptr<pcre2_match_data, void (*)(pcre2_match_data*)> data(
        pcre2_match_data_create_from_pattern(code_->code, nullptr), pcre2_match_data_free);
    std::unique_ptr<pcre2_match_context, void (*)(pcre2_match_context*)> context(pcre2_match_context_create(nullptr),
                                                                                 pcre2_match_context_free);
    if (!data || !context) throw std::runtime_error("receive regex: out of memory");
    uint64_t steps_left = max_steps;
    pcre2_set_callout(context.get(), count_step, &steps_left);
    int rc = pcre2_match(code_->code, reinterpret_cast<PCRE2_SPTR>(text.data()), text.size(), 0, 0, data.get(),
                         context.get());
    if (rc >= 0) return true;
    if (rc == PCRE2_ERROR_NOMATCH) return false;
    if (rc == budget_spent)
        throw std::runtime_error("receive regex gave up after " + std::to_string(max_steps) + " steps");
    throw std::runtime_error("receive regex gave up: " + pcre2_message(rc));
}

}  // namespace xvs
