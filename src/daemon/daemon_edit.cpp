// Daemon::edit(): xvsadm's editing commands against the running daemon.
//
// An edit concerns one service: it is checked against that service as it
// must be served now, and only that service is rebuilt and its change
// applied. -C concerns every service and goes through a whole-model diff.
#include "daemon/daemon.h"

#include <functional>

#include "model/build.h"

namespace xvs {

control::Reply Daemon::edit(const control::Request& request) {
    using control::Verb;
    auto need = [&](bool present, const char* what) {
        if (!present)
            throw control::ProtocolError(std::string("'") + control::to_string(request.verb) +
                                         "' request without " + what);
    };
    auto reply_for = [&](const ModelDiff& change) {
        control::Reply reply;
        reply.message = std::string("xvsadm ") + control::to_string(request.verb) + ": " +
                        summarize(change);
        log_.info(reply.message);
        return reply;
    };
    auto refused = [&](const std::exception& e) {
        std::string message = std::string("the ") + plane_.plane->name() +
                              " data plane refused the change: " + e.what();
        log_.error("xvsadm " + std::string(control::to_string(request.verb)) + ": " + message);
        return control::Reply::failure(message);
    };

    // An applied change is stored before it is answered; when the disk
    // refuses, the change is undone on the plane too and refused.
    auto not_stored = [&](const std::string& error, const std::function<void()>& undo) {
        std::string message = error + "; the change is undone";
        try {
            undo();
        } catch (const std::exception& e) {
            message = error + "; undoing the change on the " + plane_.plane->name() + " data plane failed too: " +
                      e.what();
        }
        log_.error("xvsadm " + std::string(control::to_string(request.verb)) + ": " + message);
        return control::Reply::failure(message);
    };

    ImperativeChanges& edits = desired_.edits();
    if (request.verb == Verb::clear) {
        ImperativeChanges before = edits;
        edits.clear();
        ModelDiff change;
        try {
            change = reconciler_->reconcile(desired_.model(health_.view()));
        } catch (const std::exception& e) {
            edits = std::move(before);  // the reconciler kept the programmed model
            edits.drop_journal();
            return refused(e);
        }
        if (auto error = store_edits()) {
            edits = std::move(before);
            edits.drop_journal();
            return not_stored(*error, [&] { reconciler_->reconcile(desired_.model(health_.view())); });
        }
        return reply_for(change);
    }

    if (request.verb == Verb::set_timeouts) {
        need(request.timeouts.has_value(), "timeouts");
        ConnectionTimeouts before = plane_.plane->timeouts();
        try {
            plane_.plane->set_timeouts(*request.timeouts);
        } catch (const std::exception& e) {
            return refused(e);
        }
        ConnectionTimeouts now = plane_.plane->timeouts();
        ImperativeChanges before_edits = edits;  // --set is rare: a copy is cheap enough
        edits.set_timeouts(now);
        if (auto error = store_edits()) {
            edits = std::move(before_edits);
            edits.drop_journal();
            return not_stored(*error, [&] { plane_.plane->set_timeouts(before); });
        }
        control::Reply reply;
        reply.message = "xvsadm --set: timeouts (tcp tcpfin udp) " + std::to_string(now.tcp) + " " +
                        std::to_string(now.tcp_fin) + " " + std::to_string(now.udp);
        log_.info(reply.message);
        return reply;
    }

    switch (request.verb) {
        case Verb::add_service:
        case Verb::edit_service:
        case Verb::delete_service:
        case Verb::add_real:
        case Verb::edit_real:
        case Verb::delete_real: break;
        default:
            return control::Reply::failure(std::string("'") + control::to_string(request.verb) +
                                           "' is not an editing request");
    }
    need(request.service.has_value(), "a service");
    const ServiceKey& key = *request.service;
    std::optional<VirtualService> configured = desired_.configured(key, health_.view());
    const VirtualService* base = configured ? &*configured : nullptr;
    ImperativeChanges::Saved saved = edits.save(key);
    try {
        switch (request.verb) {
            case Verb::add_service:
            case Verb::edit_service:
                need(request.settings.has_value(), "settings");
                if (request.verb == Verb::add_service)
                    edits.add_service(base, key, *request.settings);
                else
                    edits.edit_service(base, key, *request.settings);
                break;
            case Verb::delete_service: edits.delete_service(base, key); break;
            default:
                need(request.real.has_value(), "a real server");
                if (request.verb == Verb::add_real)
                    edits.add_real(base, key, *request.real);
                else if (request.verb == Verb::edit_real)
                    edits.edit_real(base, key, *request.real);
                else
                    edits.delete_real(base, key, request.real->key);
        }
    } catch (const EditRefused& e) {
        return control::Reply::failure(e.what());
    }

    ModelDiff change;
    try {
        change = desired_.change_for({key}, health_.view(), *reconciler_);
        reconciler_->apply(change);
    } catch (const std::exception& e) {
        // The reconciler kept the programmed model; forget the edit with it.
        edits.restore(saved);
        edits.drop_journal();
        return refused(e);
    }
    if (auto error = store_edits()) {
        edits.restore(saved);
        edits.drop_journal();
        return not_stored(*error,
                          [&] { reconciler_->apply(desired_.change_for({key}, health_.view(), *reconciler_)); });
    }
    return reply_for(change);
}

}  // namespace xvs
