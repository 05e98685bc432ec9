// The CoinJoin protocol as the maker runs it, in the order of a session (taker_session.hpp has
// the state table): !orderbook, !fill -> !pubkey, !auth -> (the taker's coin) -> !ioauth,
// !tx -> !sig, !push; plus !hp2 and the session bookkeeping.
#include "coin_selection.hpp"
#include "maker_plugin.hpp"

#include <jm/bitcoin/encoding.hpp>
#include <jm/bitcoin/sighash.hpp>
#include <jm/maker/events.hpp>
#include <jm/maker/offer_rules.hpp>
#include <jm/protocol/coinjoin_messages.hpp>
#include <jm/protocol/fees.hpp>
#include <jm/protocol/line.hpp>
#include <jm/protocol/nick.hpp>
#include <jm/protocol/utxo_string.hpp>

#include <algorithm>
#include <limits>

namespace jm::plugins::maker {

using jm::protocol::Command;
using jm::sdk::errc;
using jm::sdk::fail;

namespace {

using Clock = std::chrono::steady_clock;

// The flood limits are kept per directory and nick: directories do not prove that a nick is
// its owner's, so anyone can flood under a taker's nick through another directory, and that
// must not use up what the taker itself may send through its own.
std::string limiterKey(std::size_t directory, const std::string& nick) {
    return (directory == DIRECT_CHANNEL ? std::string("direct") : std::to_string(directory)) + "/" + nick;
}

std::int64_t unixNow() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// The largest !tx payload accepted: far above any real CoinJoin, far below a line limit attack.
constexpr std::size_t MAX_TX_BYTES = 400'000;

} // namespace

std::string_view toString(SessionState s) noexcept {
    switch (s) {
    case SessionState::AwaitingAuth:
        return "awaiting_auth";
    case SessionState::CheckingTakerCoin:
        return "checking_taker_coin";
    case SessionState::AwaitingTx:
        return "awaiting_tx";
    case SessionState::Signed:
        return "signed";
    }
    return "unknown";
}

// ---------------------------------------------------------------------------------------------
// Incoming messages: public commands, then signed private ones dispatched by session state.

void MakerPlugin::onMessage(const jm::net::RoutedMessage& routed) {
    const auto& line = routed.message.line;
    if (line.from == nick()) return;
    auto key = limiterKey(routed.directory, line.from);
    if (!m_limiter.allowMessage(key)) {
        ++m_counters.ignored;
        return;
    }
    if (!routed.message.is_private) {
        auto commands = jm::protocol::splitCommands(line.body);
        if (!commands) return;
        // REF drops a public message asking for the orderbook more than once (a DoS rule).
        if (std::count_if(commands->begin(), commands->end(), [](const auto& c) { return c.name == "orderbook"; }) > 1)
            return;
        for (std::size_t i = 0; i < commands->size(); ++i) {
            // Each command beyond the first costs as much as a message of its own: one line can
            // carry hundreds of !hp2, each a write to the store.
            if (i > 0 && !m_limiter.allowMessage(key)) {
                ++m_counters.ignored;
                return;
            }
            onPublicCommand(line.from, routed.directory, (*commands)[i]);
        }
        return;
    }
    if (line.to != nick()) return;
    if (routed.directory == DIRECT_CHANNEL) ++m_counters.direct_received;
    onPrivateMessage(routed);
}

void MakerPlugin::onPublicCommand(const std::string& from, std::size_t directory, const Command& command) {
    if (command.name == "orderbook") {
        onOrderbook(from, directory); // answered through the directory it came from
    } else if (command.name == "hp2") {
        // Another maker saw this commitment used: refuse it from now on.
        if (auto c = jm::protocol::parseHp2(command.args)) onCommitmentSeen(*c, false);
    }
    // Other makers' offers and cancels are none of a maker's business.
}

void MakerPlugin::onPrivateMessage(const jm::net::RoutedMessage& routed) {
    const auto& from = routed.message.line.from;
    auto body = jm::protocol::parseSignedBody(routed.message.line.body);
    // Every private message is signed by the sender's nick key (protocol.md 6.3); anything else
    // is dropped without an answer.
    if (!body || !jm::protocol::verifyPrivmsg(body->text, body->pubkey_hex, body->signature_base64) ||
        !jm::protocol::nickMatchesPubkeyHex(from, body->pubkey_hex)) {
        ++m_counters.ignored;
        JM_LOG(m_ctx.logger(), debug) << "dropped a private message from " << from << " with a bad signature";
        return;
    }
    const auto& command = body->first_command;
    auto session = m_sessions.find(from);
    auto in_state = [&](SessionState s) { return session != m_sessions.end() && session->second.state == s; };

    if (command == "orderbook") {
        onOrderbook(from, routed.directory);
    } else if (command == "fill") {
        onFill(from, routed.directory, body->commands.front().args);
    } else if (command == "auth" && in_state(SessionState::AwaitingAuth)) {
        onAuth(session->second, routed.directory, body->text);
    } else if (command == "tx" && in_state(SessionState::AwaitingTx)) {
        onTx(session->second, routed.directory, body->text);
    } else if (command == "push") {
        onPush(from, body->text);
    } else if (command == "hp2") {
        // REF makers ask one other maker to announce a commitment for them.
        if (auto c = jm::protocol::parseHp2(body->commands.front().args)) onCommitmentSeen(*c, true);
    } else if (command == "error") {
        JM_LOG(m_ctx.logger(), info) << "error from " << from << ": " << body->text.substr(0, 200);
    } else {
        // A message out of order (!tx before !auth, a second !tx, ...) or not for a maker.
        ++m_counters.ignored;
        JM_LOG(m_ctx.logger(), debug) << "ignored !" << command << " from " << from
                                      << (session == m_sessions.end()
                                              ? std::string(" (no session)")
                                              : " (session " + std::string(toString(session->second.state)) + ")");
    }
}

// ---------------------------------------------------------------------------------------------
// !orderbook: our offers, privately, with the bond proof signed for this taker.

void MakerPlugin::onOrderbook(const std::string& taker, std::size_t directory) {
    if (m_offers.empty() || !m_limiter.allowOrderbook(limiterKey(directory, taker))) return;
    sendOfferList(taker, directory);
}

// ---------------------------------------------------------------------------------------------
// !fill <oid> <amount> <taker encryption key> P<commitment>  ->  !pubkey <our key>

void MakerPlugin::onFill(const std::string& taker, std::size_t directory, std::string_view args) {
    if (m_ownTakerNicks.count(taker)) {
        JM_LOG(m_ctx.logger(), info) << "ignored !fill from " << taker << ": this node's own taker";
        return;
    }
    auto refuse = [&](const std::string& reason, std::optional<std::string> error_text) {
        if (error_text) sendError(taker, directory, *error_text);
        ++m_counters.refused;
        JM_LOG(m_ctx.logger(), info) << "refused !fill from " << taker << ": " << reason;
        m_ctx.bus().publish(jm::maker::events::SessionFailed{std::string(m_ctx.instanceName()), taker, "fill", reason});
    };
    auto fill = jm::protocol::parseFill(args);
    if (!fill) {
        // REF answers these two; anything else malformed is dropped silently.
        const auto& m = fill.error().message;
        bool answer = m.starts_with("Unsupported commitment type") || m.starts_with("Invalid nacl pubkey");
        return refuse(m, answer ? std::optional<std::string>(m) : std::nullopt);
    }
    auto used = m_store.isBlacklisted(fill->commitment);
    if (!used) return refuse("cannot read the commitment blacklist: " + used.error().message, std::nullopt);
    if (*used) return refuse("commitment already used", "Commitment is blacklisted: " + fill->commitment);
    for (const auto& [nick, s] : m_sessions)
        if (s.commitment == fill->commitment && nick != taker)
            return refuse("commitment in use by another session", std::nullopt);
    auto offer = std::find_if(m_offers.begin(), m_offers.end(), [&](const auto& o) { return o.oid == fill->oid; });
    if (offer == m_offers.end()) return refuse("unknown oid " + std::to_string(fill->oid), "oid not found");
    if (fill->amount < offer->minsize || fill->amount > offer->maxsize)
        return refuse("amount " + std::to_string(fill->amount) + " outside the offer", "amount out of range");
    auto taker_key = jm::protocol::parseBoxPublicKey(fill->taker_encpk);
    if (!taker_key) return refuse("bad encryption key", "Invalid nacl pubkey: " + fill->taker_encpk);
    if (!m_sessions.count(taker) && static_cast<int>(m_sessions.size()) >= m_settings.max_sessions) {
        // Full: the oldest session still waiting for its !auth makes room (a !fill costs nothing,
        // so a flood of nicks must not lock honest takers out); sessions holding coins stay.
        auto oldest = m_sessions.end();
        for (auto it = m_sessions.begin(); it != m_sessions.end(); ++it)
            if (it->second.state == SessionState::AwaitingAuth &&
                (oldest == m_sessions.end() || it->second.started < oldest->second.started))
                oldest = it;
        if (oldest == m_sessions.end())
            return refuse("too many sessions (max_sessions " + std::to_string(m_settings.max_sessions) + ")",
                          std::nullopt);
        failSession(oldest->first, "fill", "evicted by newer sessions (max_sessions)");
    }

    // A new !fill from the same taker restarts its session (REF).
    if (m_sessions.count(taker)) endSession(taker);
    auto now = Clock::now();
    TakerSession session;
    session.id = m_nextSessionId++;
    session.taker = taker;
    session.directory = directory;
    session.started = now;
    session.deadline = now + m_settings.session_timeout;
    session.offer = *offer;
    session.amount = fill->amount;
    session.commitment = fill->commitment;
    session.keys = jm::protocol::BoxKeyPair::generate(); // a fresh key per !fill
    session.box.emplace(session.keys, *taker_key);
    auto& s = m_sessions.emplace(taker, std::move(session)).first->second;
    ++m_counters.fills;
    JM_LOG(m_ctx.logger(), info) << "!fill from " << taker << ": offer " << s.offer.oid << ", " << s.amount << " sat";
    m_ctx.bus().publish(
        jm::maker::events::SessionStarted{std::string(m_ctx.instanceName()), taker, s.offer.oid, s.amount});
    send(s, "pubkey", jm::protocol::formatPubkeyArgs({s.keys.publicKeyHex(), {"neutrino_compat"}}));
    scheduleStatus();
}

// ---------------------------------------------------------------------------------------------
// !auth ENC(<utxo>|P|P2|s|e): the taker proves it owns a coin without revealing which one to
// anyone who has not seen the commitment. No coin of ours is revealed before this verifies.

void MakerPlugin::onAuth(TakerSession& session, std::size_t directory, std::string_view payload) {
    auto b64 = jm::protocol::parseBase64Payload(payload, 4096);
    if (!b64) return ignoreUndecryptable(session, "!auth is not base64");
    auto plain = session.box->decrypt(*b64);
    if (!plain) return ignoreUndecryptable(session, "!auth does not decrypt: " + plain.error().message);
    session.directory = directory; // only the taker itself can box for this session
    auto proof = jm::protocol::parseRevelation(*plain);
    if (!proof) return failSession(session.taker, "auth", "bad commitment opening: " + proof.error().message);
    auto index = jm::protocol::verifyPodle(*proof, session.commitment, m_settings.podle.retries);
    if (!index) return failSession(session.taker, "auth", "PoDLE does not verify: " + index.error().message);
    auto utxo = jm::protocol::parseUtxoString(proof->utxo);
    if (!utxo) return failSession(session.taker, "auth", "bad utxo in the opening: " + utxo.error().message);
    // A light client finds the taker's coin only through the block the taker names (protocol.md
    // 14.1): a legacy txid:vout gets NG's refusal, so that the taker picks a full-node maker.
    bool light = !m_backend->capabilities().any_outpoint_lookup;
    if (light && !utxo->extended()) {
        sendError(session.taker, session.directory, std::string(jm::protocol::NEUTRINO_INCOMPATIBLE_ERROR));
        return failSession(session.taker, "auth", "a light-client backend cannot check a legacy txid:vout utxo");
    }
    std::optional<jm::chain::OutPointHint> hint;
    if (utxo->extended()) {
        if (!utxo->height || *utxo->height < 0 || *utxo->height > std::numeric_limits<std::int32_t>::max())
            return failSession(session.taker, "auth", "the extended utxo has no valid block height");
        hint = jm::chain::OutPointHint{*utxo->script_pubkey, static_cast<std::int32_t>(*utxo->height)};
        session.claimed_script = utxo->script_pubkey;
    }
    session.proof = std::move(*proof);
    session.extended_utxos = utxo->extended() || light;
    session.state = SessionState::CheckingTakerCoin;
    // A full node ignores the hint (a lying one changes nothing); a light client checks it.
    m_backend->getTxOutHinted(utxo->outpoint, std::move(hint), m_ctx.executor(),
                              guarded([this, taker = session.taker, id = session.id](auto coin) {
                                  onTakerCoin(taker, id, std::move(coin));
                              }));
}

void MakerPlugin::onTakerCoin(const std::string& taker, std::uint64_t id,
                              jm::sdk::Result<std::optional<jm::chain::TxOutInfo>> coin) {
    auto it = m_sessions.find(taker);
    // The session may have been replaced or dropped while the backend answered.
    if (it == m_sessions.end() || it->second.id != id || it->second.state != SessionState::CheckingTakerCoin) return;
    auto& session = it->second;
    if (!coin) return failSession(taker, "auth", "cannot check the taker's coin: " + coin.error().message);
    if (!*coin) return failSession(taker, "auth", "the taker's coin does not exist or is spent");
    if (session.claimed_script && *session.claimed_script != (*coin)->script_pubkey)
        return failSession(taker, "auth", "the taker's extended utxo names another script than the chain's");
    const auto& policy = m_settings.podle;
    if ((*coin)->confirmations < policy.min_confirmations)
        return failSession(taker, "auth",
                           "the taker's coin has " + std::to_string((*coin)->confirmations) +
                               " confirmations, fewer than " + std::to_string(policy.min_confirmations));
    auto minimum = jm::protocol::podleMinimumValue(session.amount, policy.amount_percent);
    if ((*coin)->value < minimum)
        return failSession(taker, "auth",
                           "the taker's coin is worth " + std::to_string((*coin)->value) + " sat, less than " +
                               std::to_string(minimum));
    // P must own the coin: its P2WPKH, P2SH-P2WPKH or P2PKH script (NG's rule; REF checks its
    // own script type).
    auto p = jm::bitcoin::PublicKey::parse(session.proof->p);
    const auto& spk = (*coin)->script_pubkey;
    if (!p || (spk != jm::bitcoin::p2wpkhScript(*p) && spk != jm::bitcoin::p2shP2wpkhScript(*p) &&
               spk != jm::bitcoin::p2pkhScript(p->hash160())))
        return failSession(taker, "auth", "the commitment's key does not own the taker's coin");
    if (auto prepared = prepareInputs(session); !prepared) return failSession(taker, "auth", prepared.error().message);
    sendIoauth(session);
}

// The yield generator picks the mixdepth, coins are selected and locked, and two fresh
// addresses are taken. Everything is on disk (synced) before !ioauth reveals any of it.
jm::sdk::Result<void> MakerPlugin::prepareInputs(TakerSession& session) {
    auto fee = jm::protocol::realCjfee(session.offer, session.amount);
    if (!fee) return fee.error();
    auto required = jm::maker::fillRequirement(session.offer, session.amount);
    if (!required) return required.error();
    auto view = walletView();
    jm::maker::FillContext fill{session.offer, session.amount, *fee, *required, {}};
    for (const auto& md : view.mixdepths)
        if (md.available >= *required) fill.candidates.push_back(md.mixdepth);
    if (fill.candidates.empty())
        return fail(errc::insufficient_funds, "no mixdepth has " + std::to_string(*required) + " sat available");
    auto mixdepth = m_yieldgen->chooseMixdepth(fill, view);
    if (!mixdepth) return mixdepth.error().withContext("the yield generator refused");
    if (std::find(fill.candidates.begin(), fill.candidates.end(), *mixdepth) == fill.candidates.end())
        return fail(errc::rejected,
                    "the yield generator chose mixdepth " + std::to_string(*mixdepth) + ", which cannot pay this fill");
    auto coins = selectCoins(availableCoins(*mixdepth), *required, m_settings.max_inputs);
    if (!coins) return coins.error();

    int cj_mixdepth = (*mixdepth + 1) % m_wallet->mixdepths();
    auto cj = m_wallet->nextAddress(cj_mixdepth, jm::wallet::BRANCH_INTERNAL);
    if (!cj) return cj.error();
    auto change = m_wallet->nextAddress(*mixdepth, jm::wallet::BRANCH_INTERNAL);
    if (!change) return change.error();

    std::vector<CoinLock> locks;
    auto expires = unixNow() + std::chrono::duration_cast<std::chrono::seconds>(m_settings.session_timeout).count();
    for (const auto& c : *coins)
        locks.push_back({c.outpoint, session.taker, "", expires});
    // The commitment is spent the moment we answer it (REF persists it after !ioauth; before is
    // safer: a crash in between cannot let it be used again).
    if (auto r = m_store.lockForSession(locks, session.commitment); !r) return r.error();
    for (const auto& l : locks)
        m_locks[l.outpoint] = l;

    session.mixdepth = *mixdepth;
    session.cj_mixdepth = cj_mixdepth;
    session.inputs = std::move(*coins);
    session.cj_address = std::move(*cj);
    session.change_address = std::move(*change);
    session.terms = CoinjoinTerms{{},
                                  session.cj_address->script_pubkey,
                                  session.change_address->script_pubkey,
                                  session.amount,
                                  *fee,
                                  session.offer.txfee};
    for (const auto& c : session.inputs)
        session.terms.inputs.push_back({c.outpoint, c.value});
    return {};
}

// !ioauth ENC(<our utxos> <auth pubkey> <cj address> <change address> <btc_sig>)
void MakerPlugin::sendIoauth(TakerSession& session) {
    const auto& first = session.inputs.front();
    auto key = m_wallet->privateKey(first.mixdepth, first.branch, first.index);
    if (!key) return failSession(session.taker, "auth", "signing key: " + key.error().message);
    jm::protocol::IoauthMessage msg;
    for (const auto& c : session.inputs) {
        jm::protocol::UtxoString u;
        u.outpoint = c.outpoint;
        if (session.extended_utxos) {
            u.script_pubkey = c.script_pubkey;
            // The coin's confirmations were counted at the last wallet sync, not at the tip.
            u.height = m_lastSyncHeight - c.confirmations + 1;
        }
        msg.utxos.push_back(std::move(u));
    }
    msg.auth_pub_hex = jm::bitcoin::toHex(key->publicKey().compressed());
    msg.cj_address = session.cj_address->address;
    msg.change_address = session.change_address->address;
    // Binds our encryption key to a coin we own (anti man-in-the-middle).
    msg.btc_sig = jm::protocol::signIoauth(*key, session.keys.publicKeyHex());
    send(session, "ioauth", session.box->encrypt(jm::protocol::formatIoauth(msg, session.extended_utxos)));
    session.state = SessionState::AwaitingTx;
    JM_LOG(m_ctx.logger(), info) << "!ioauth to " << session.taker << ": " << session.inputs.size()
                                 << " coin(s) of mixdepth " << session.mixdepth << ", CoinJoin output to mixdepth "
                                 << session.cj_mixdepth;
    if (m_settings.broadcast_commitments) m_broadcaster->broadcast(session.commitment);
    scheduleStatus();
}

// ---------------------------------------------------------------------------------------------
// !tx ENC(base64 unsigned tx)  ->  one !sig ENC(base64 witness) per input of ours

void MakerPlugin::onTx(TakerSession& session, std::size_t directory, std::string_view payload) {
    auto b64 = jm::protocol::parseBase64Payload(payload, MAX_TX_BYTES * 2);
    if (!b64) return ignoreUndecryptable(session, "!tx is not base64 or too large");
    auto plain = session.box->decrypt(*b64);
    if (!plain) return ignoreUndecryptable(session, "!tx does not decrypt: " + plain.error().message);
    session.directory = directory;
    if (plain->size() > MAX_TX_BYTES * 4 / 3 + 4) return failSession(session.taker, "tx", "!tx is too large");
    auto tx = jm::protocol::parseTxPayload(*plain);
    if (!tx) return failSession(session.taker, "tx", "not a transaction: " + tx.error().message);
    auto ours = verifyCoinjoin(*tx, session.terms, [this](const auto& o) { return isWalletCoin(o); });
    if (!ours) return failSession(session.taker, "tx", "refused to sign: " + ours.error().message);

    // Sign our inputs (P2WPKH, BIP143, SIGHASH_ALL) on a copy; only their witnesses leave.
    auto signed_tx = *tx;
    std::vector<std::string> sigs;
    for (auto index : *ours) {
        const auto& prevout = signed_tx.inputs[index].prevout;
        auto coin = std::find_if(session.inputs.begin(), session.inputs.end(),
                                 [&](const auto& c) { return c.outpoint == prevout; });
        auto key = m_wallet->privateKey(coin->mixdepth, coin->branch, coin->index);
        if (!key) return failSession(session.taker, "tx", "signing key: " + key.error().message);
        if (auto r = jm::bitcoin::signP2wpkhInput(signed_tx, index, *key, coin->value); !r)
            return failSession(session.taker, "tx", "signing: " + r.error().message);
        sigs.push_back(jm::protocol::formatSigPayload(signed_tx.inputs[index].witness));
    }

    // Persist before the signatures leave: after a crash the coins stay locked to this CoinJoin.
    SignedCoinjoin record;
    record.txid = tx->txidHex();
    record.taker = session.taker;
    record.cj_amount = session.amount;
    record.real_cjfee = session.terms.real_cjfee;
    record.txfee = session.terms.txfee;
    record.mixdepth = session.mixdepth;
    record.cj_mixdepth = session.cj_mixdepth;
    for (const auto& c : session.inputs)
        record.inputs.push_back(c.outpoint);
    record.inputs_total = session.terms.inputsTotal();
    record.cj_address = session.cj_address->address;
    record.change_address = session.change_address->address;
    record.signed_at = unixNow();
    record.expires =
        record.signed_at + std::chrono::duration_cast<std::chrono::seconds>(m_settings.signed_lock_timeout).count();
    std::vector<CoinLock> locks;
    for (const auto& c : session.inputs)
        locks.push_back({c.outpoint, session.taker, record.txid, record.expires});
    if (auto r = m_store.recordSigned(record, locks); !r)
        return failSession(session.taker, "tx", "cannot persist the CoinJoin, not signing: " + r.error().message);
    for (const auto& l : locks)
        m_locks[l.outpoint] = l;
    m_backend->watchTransaction(record.txid, WATCH_DEPTH);
    m_signed[record.txid] = record;

    for (const auto& sig : sigs)
        send(session, "sig", session.box->encrypt(sig));
    session.state = SessionState::Signed;
    session.txid = record.txid;
    session.deadline = Clock::now() + m_settings.session_timeout; // for a !push
    ++m_counters.signed_coinjoins;
    JM_LOG(m_ctx.logger(), info) << "signed " << sigs.size() << " input(s) of " << record.txid << " for "
                                 << session.taker << ": earns " << (record.real_cjfee - record.txfee) << " sat";
    scheduleStatus();
}

// ---------------------------------------------------------------------------------------------
// !push <base64 signed tx>: broadcast for the taker, but only the CoinJoin we signed for it.

void MakerPlugin::onPush(const std::string& taker, std::string_view payload) {
    auto b64 = jm::protocol::parseBase64Payload(payload, MAX_TX_BYTES);
    auto raw = b64 ? jm::bitcoin::fromBase64(*b64) : jm::sdk::Result<jm::bitcoin::Bytes>(b64.error());
    auto tx = raw ? jm::bitcoin::parseTransaction(*raw) : jm::sdk::Result<jm::bitcoin::Transaction>(raw.error());
    if (!tx) {
        ++m_counters.ignored;
        return;
    }
    auto txid = tx->txidHex();
    auto signed_it = m_signed.find(txid);
    if (signed_it == m_signed.end() || signed_it->second.taker != taker) {
        ++m_counters.ignored;
        JM_LOG(m_ctx.logger(), info) << "ignored !push of " << txid << " from " << taker
                                     << ": not a CoinJoin we signed for it";
        return;
    }
    ++m_counters.pushes;
    m_backend->broadcast(std::move(*raw), m_ctx.executor(), guarded([this, txid](jm::sdk::Result<std::string> r) {
                             if (r)
                                 JM_LOG(m_ctx.logger(), info) << "broadcast " << txid << " for the taker";
                             else
                                 JM_LOG(m_ctx.logger(), info) << "broadcast of " << txid << ": " << r.error().message;
                         }));
}

// !hp2 <commitment>: a used commitment, seen publicly (blacklist) or handed to us to announce.
void MakerPlugin::onCommitmentSeen(const std::string& commitment, bool relay) {
    // Anyone may send these, as many as they like: the learned part of the blacklist is bounded.
    auto learned = m_store.learn(commitment);
    if (!learned) JM_LOG(m_ctx.logger(), error) << "commitment blacklist: " << learned.error().message;
    // Relayed once, when new: a repeated request costs no new connections.
    if (relay && learned && *learned && m_settings.broadcast_commitments) m_broadcaster->broadcast(commitment, true);
}

// ---------------------------------------------------------------------------------------------
// Sessions.

void MakerPlugin::send(TakerSession& session, std::string_view command, std::string_view text) {
    // Answer on the channel the taker last used (a directory or its direct connection: takers
    // switch to direct mid-session, NG 14.2); another directory if that one is gone.
    auto r = sendVia(session.taker, session.directory, command, text);
    if (!r)
        JM_LOG(m_ctx.logger(), warning) << "!" << command << " to " << session.taker
                                        << " not sent: " << r.error().message;
}

void MakerPlugin::sendError(const std::string& taker, std::size_t directory, const std::string& text) {
    (void)sendVia(taker, directory, "error", text);
}

void MakerPlugin::ignoreUndecryptable(const TakerSession& session, const std::string& reason) {
    // Not necessarily the taker's: a signature binds neither recipient nor session, and a direct
    // connection lets anyone claim the taker's nick and replay what it signed elsewhere. Only a
    // message boxed for this session speaks for the taker, so the rest is skipped (as REF does).
    ++m_counters.ignored;
    JM_LOG(m_ctx.logger(), info) << "ignored a message for the session with " << session.taker << ": " << reason;
}

void MakerPlugin::failSession(const std::string& taker, const std::string& stage, const std::string& reason) {
    // Nothing is signed and nothing is sent: a failing taker only learns by timing out (REF).
    ++m_counters.refused;
    JM_LOG(m_ctx.logger(), info) << "session with " << taker << " failed at " << stage << ": " << reason;
    m_ctx.bus().publish(jm::maker::events::SessionFailed{std::string(m_ctx.instanceName()), taker, stage, reason});
    endSession(taker);
}

void MakerPlugin::endSession(const std::string& taker) {
    auto it = m_sessions.find(taker);
    if (it == m_sessions.end()) return;
    // Coins of a session that signed nothing are free again; signed ones stay locked.
    std::vector<jm::bitcoin::OutPoint> free;
    for (const auto& c : it->second.inputs)
        if (auto l = m_locks.find(c.outpoint); l != m_locks.end() && !l->second.isSigned()) {
            free.push_back(c.outpoint);
            m_locks.erase(l);
        }
    if (auto r = m_store.unlock(free); !r) JM_LOG(m_ctx.logger(), error) << r.error().message;
    if (m_directories) m_directories->unpin(taker);
    m_sessions.erase(it);
    scheduleStatus();
}

void MakerPlugin::expireSessions() {
    auto now = Clock::now();
    std::vector<std::string> expired;
    for (const auto& [taker, s] : m_sessions)
        if (s.deadline <= now) expired.push_back(taker);
    for (const auto& taker : expired) {
        if (m_sessions.at(taker).state == SessionState::Signed)
            endSession(taker); // done; its coins stay locked to the signed CoinJoin
        else
            failSession(taker, "timeout",
                        "no answer in " + std::string(toString(m_sessions.at(taker).state)) + " within " +
                            std::to_string(m_settings.session_timeout.count() / 1000) + " s");
    }
    heartbeat();
    m_sessionTimer.expires_after(std::chrono::milliseconds(500));
    m_sessionTimer.async_wait(guarded([this](boost::system::error_code ec) {
        if (!ec) expireSessions();
    }));
}

} // namespace jm::plugins::maker
