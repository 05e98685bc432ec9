# Every dependency comes from Debian 12's archive; see README.md for the package list.
set(Boost_USE_STATIC_LIBS OFF)
find_package(Boost 1.81.0 EXACT CONFIG REQUIRED
             COMPONENTS json log log_setup program_options filesystem unit_test_framework)
find_package(PkgConfig REQUIRED)
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)
pkg_check_modules(SECP256K1 REQUIRED IMPORTED_TARGET libsecp256k1)
# ICU (libicu-dev): Unicode NFKD normalisation of BIP39 mnemonics and passphrases, in the SDK.
pkg_check_modules(ICU_UC REQUIRED IMPORTED_TARGET icu-uc)
find_package(Threads REQUIRED)
# RocksDB is linked by the host only (architecture.md section 9.6).
find_package(RocksDB CONFIG QUIET)
if(NOT TARGET RocksDB::rocksdb)
  pkg_check_modules(ROCKSDB REQUIRED IMPORTED_TARGET rocksdb)
  add_library(RocksDB::rocksdb ALIAS PkgConfig::ROCKSDB)
endif()
