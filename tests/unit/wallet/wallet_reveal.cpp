// Helper process for wallet_tests: opens (or creates) the wallet in a data directory, reveals
// the next external address of mixdepth 0, prints it and then waits to be SIGKILLed.
#include <storage/rocksdb_database.hpp>

#include <jm/bitcoin/encoding.hpp>
#include <jm/wallet/wallet.hpp>

#include <cstdio>
#include <iostream>
#include <thread>

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: jm_wallet_reveal DATADIR\n";
        return 2;
    }
    auto db = jm::host::RocksDbDatabase::open(argv[1]);
    if (!db) {
        std::cerr << db.error().message << "\n";
        return 1;
    }
    auto store = (*db)->openNamespace("wallet");
    if (!store) return 1;
    auto wallet = jm::wallet::Wallet::exists(**store)
                      ? jm::wallet::Wallet::open(**store, "pw")
                      : jm::wallet::Wallet::create(
                            **store, {jm::bitcoin::Network::Regtest, 5, 6, jm::wallet::KdfStrength::Interactive},
                            jm::bitcoin::Bytes(16, 1), "", "pw");
    if (!wallet) {
        std::cerr << wallet.error().message << "\n";
        return 1;
    }
    auto address = wallet->nextAddress(0, jm::wallet::BRANCH_EXTERNAL);
    if (!address) return 1;
    std::printf("revealed %s\n", address->address.c_str());
    std::fflush(stdout);
    for (;;)
        std::this_thread::sleep_for(std::chrono::seconds(1)); // killed by the test
}
