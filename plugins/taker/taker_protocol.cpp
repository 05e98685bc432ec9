// Incoming messages of a taker run: offers (public and private), then each chosen maker's
// answers, accepted only from that maker and only in the state that expects them.
#include "taker_plugin.hpp"
#include "taker_run.hpp"

#include <jm/protocol/line.hpp>
#include <jm/protocol/nick.hpp>
#include <jm/protocol/utxo_string.hpp>

#include <algorithm>

namespace jm::plugins::taker {

using State = MakerSession::State;

void TakerPlugin::onMessage(const jm::net::RoutedMessage& routed) {
    auto& run = *m_run;
    const auto& line = routed.message.line;
    if (line.from == run.identity->nick()) return;
    if (!routed.message.is_private) {
        auto commands = jm::protocol::splitCommands(line.body);
        // The book follows offers at every stage, for the next attempt's choice; the running
        // attempt keeps the offers it chose (sendFills).
        if (commands) run.book.onPublic(line.from, *commands);
        return;
    }
    if (line.to != run.identity->nick()) return;
    auto body = jm::protocol::parseSignedBody(line.body);
    // Every private message is signed by the sender's nick key (protocol.md 6.3).
    if (!body || !jm::protocol::verifyPrivmsg(body->text, body->pubkey_hex, body->signature_base64) ||
        !jm::protocol::nickMatchesPubkeyHex(line.from, body->pubkey_hex)) {
        JM_LOG(m_ctx.logger(), debug) << "dropped a private message from " << line.from << " with a bad signature";
        return;
    }
    const auto& command = body->first_command;
    if (jm::protocol::offerTypeFromName(command) || command == "tbond") {
        // Only a nick's first answer restarts the quiet period: a maker re-sending its offers
        // would otherwise hold the collection open until the ceiling.
        bool first = !run.book.answered(line.from);
        if (run.book.onPrivate(line.from, body->commands) && first) run.last_answer = Clock::now();
        return;
    }
    auto it = run.makers.find(line.from);
    if (it == run.makers.end()) return;
    auto& maker = it->second;
    if (command == "pubkey" && maker.state == State::Filled && run.stage == Stage::Fill) {
        auto reply = jm::protocol::parsePubkey(body->text);
        auto key = reply ? jm::protocol::parseBoxPublicKey(reply->maker_encpk)
                         : jm::sdk::Result<std::array<std::uint8_t, 32>>(reply.error());
        if (!key) return failMaker(maker, "bad !pubkey: " + key.error().message);
        maker.encpk = reply->maker_encpk;
        if (std::find(reply->features.begin(), reply->features.end(), "neutrino_compat") != reply->features.end())
            maker.neutrino_compat = true;
        // A light client cannot check a legacy maker's coins (txid:vout alone): drop it now,
        // before our commitment's opening goes to it.
        // The log line leads with NG's own refusal text, so that users of both find it.
        if (!maker.neutrino_compat && !m_backend->capabilities().any_outpoint_lookup)
            return failMaker(maker, std::string(jm::protocol::NEUTRINO_INCOMPATIBLE_ERROR) +
                                        ": it does not advertise neutrino_compat, and our light-client backend "
                                        "cannot check legacy txid:vout coins");
        maker.box.emplace(run.keys, *key);
        maker.state = State::PubkeyReceived;
        checkStage();
    } else if (command == "ioauth" && maker.state == State::AuthSent && run.stage == Stage::Auth) {
        onIoauth(maker, body->text);
    } else if (command == "sig" && maker.state == State::TxSent && run.stage == Stage::Signatures) {
        onSig(maker, body->text);
    } else if (command == "error") {
        // The maker's own words end up in the log, the failure message, the tumble plan and the
        // user's terminal: printable ASCII only, so that no escape sequence reaches a terminal.
        auto text = body->text.substr(0, 200);
        std::replace_if(
            text.begin(), text.end(), [](char c) { return c < 0x20 || c > 0x7e; }, '?');
        JM_LOG(m_ctx.logger(), info) << "!error from " << maker.nick << ": " << text;
        if (text.find("blacklist") != std::string::npos && run.stage == Stage::Fill && maker.state == State::Filled) {
            // Our commitment is burnt (NG rotates on any "blacklist" error): the next attempt uses
            // the next one, with the same makers still eligible.
            // Each commitment is fresh: a maker calling a second one burnt in the same run is
            // lying, and would otherwise void every attempt it is chosen for.
            if (++run.blacklist_claims[maker.nick] > 1)
                return failMaker(maker, "it called a second fresh commitment blacklisted");
            run.refused_commitment.insert(maker.nick);
            return checkStage();
        }
        if (maker.state != State::Failed) failMaker(maker, "!error: " + text);
    }
}

void TakerPlugin::sendTo(MakerSession& maker, std::string_view command, std::string_view text) {
    // Over the maker's direct connection when it is up (protocol.md 3.5, NG 14.2).
    auto& direct = m_run->direct;
    if (direct && direct->isUp(maker.nick)) {
        if (direct->sendPrivate(maker.nick, command, text)) {
            ++m_run->direct_sent;
            JM_LOG(m_ctx.logger(), debug) << "!" << command << " to " << maker.nick << " over its direct connection";
            return;
        }
        JM_LOG(m_ctx.logger(), info) << "direct connection to " << maker.nick << " failed: !" << command
                                     << " goes through a directory";
    }
    // Through the directory pinned for this maker (the first message pins one where it was seen).
    if (auto r = m_run->directories->sendPrivate(maker.nick, command, text); !r)
        JM_LOG(m_ctx.logger(), warning) << "!" << command << " to " << maker.nick << " not sent: " << r.error().message;
}

} // namespace jm::plugins::taker
