// A shared object that is not a jmnode plugin: it exports a function but no entry symbol.
extern "C" __attribute__((visibility("default"))) int jm_not_a_plugin() { return 42; }
