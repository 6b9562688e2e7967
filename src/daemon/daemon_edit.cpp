// Daemon::edit(): xvsadm's editing commands against the running daemon.
#include "daemon/daemon.h"
#include "model/build.h"

namespace xvs {

control::Reply Daemon::edit(const control::Request& request) {
    using control::Verb;
    auto need = [&](bool present, const char* what) {
        if (!present)
            throw control::ProtocolError(std::string("'") + control::to_string(request.verb) +
                                         "' request without " + what);
    };
    Model base = build_model(config_, health_.view());
    ImperativeChanges next = imperative_;
    try {
        switch (request.verb) {
            case Verb::add_service:
            case Verb::edit_service:
                need(request.service.has_value(), "a service");
                need(request.settings.has_value(), "settings");
                if (request.verb == Verb::add_service)
                    next.add_service(base, *request.service, *request.settings);
                else
                    next.edit_service(base, *request.service, *request.settings);
                break;
            case Verb::delete_service:
                need(request.service.has_value(), "a service");
                next.delete_service(base, *request.service);
                break;
            case Verb::add_real:
            case Verb::edit_real:
            case Verb::delete_real:
                need(request.service.has_value(), "a service");
                need(request.real.has_value(), "a real server");
                if (request.verb == Verb::add_real)
                    next.add_real(base, *request.service, *request.real);
                else if (request.verb == Verb::edit_real)
                    next.edit_real(base, *request.service, *request.real);
                else
                    next.delete_real(base, *request.service, request.real->key);
                break;
            case Verb::clear: next.clear(); break;
            default:
                return control::Reply::failure(std::string("'") +
                                               control::to_string(request.verb) +
                                               "' is not an editing request");
        }
    } catch (const EditRefused& e) {
        return control::Reply::failure(e.what());
    }

    try {
        ModelDiff change = reconciler_->reconcile(next.apply(base));
        imperative_ = std::move(next);
        control::Reply reply;
        reply.message = std::string("xvsadm ") + control::to_string(request.verb) + ": " +
                        summarize(change);
        log_.info(reply.message);
        return reply;
    } catch (const std::exception& e) {
        // The reconciler kept the programmed model; forget the edit with it.
        std::string message = std::string("the ") + plane_.plane->name() +
                              " data plane refused the change: " + e.what();
        log_.error("xvsadm " + std::string(control::to_string(request.verb)) + ": " + message);
        return control::Reply::failure(message);
    }
}

}  // namespace xvs
