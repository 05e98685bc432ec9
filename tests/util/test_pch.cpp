// Anchor for the precompiled test headers (jm_test_pch): the object holds nothing.
