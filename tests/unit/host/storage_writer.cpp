// Helper process for storage_tests: writes synced batches into a data directory forever and
// prints the number of each batch once its write has returned. The test SIGKILLs it mid-stream.
// Each batch N writes keys "b/<N>/0".."b/<N>/<K-1>" and "last", all with the value N.
#include <storage/rocksdb_database.hpp>

#include <cstdio>
#include <cstdlib>
#include <iostream>

int main(int argc, char** argv) {
    if (argc != 3) {
        std::cerr << "usage: jm_storage_writer DATADIR KEYS_PER_BATCH\n";
        return 2;
    }
    auto db = jm::host::RocksDbDatabase::open(argv[1]);
    if (!db) {
        std::cerr << db.error().message << "\n";
        return 1;
    }
    auto store = (*db)->openNamespace("writer");
    if (!store) {
        std::cerr << store.error().message << "\n";
        return 1;
    }
    int keys = std::atoi(argv[2]);
    for (long n = 0;; ++n) {
        jm::sdk::WriteBatch batch;
        std::string value = std::to_string(n) + std::string(200, 'x'); // some bulk per key
        for (int k = 0; k < keys; ++k)
            batch.put("b/" + std::to_string(n) + "/" + std::to_string(k), value);
        batch.put("last", std::to_string(n));
        if (auto r = (*store)->write(batch, jm::sdk::WriteOptions{true}); !r) {
            std::cerr << r.error().message << "\n";
            return 1;
        }
        std::printf("%ld\n", n);
        std::fflush(stdout);
    }
}
