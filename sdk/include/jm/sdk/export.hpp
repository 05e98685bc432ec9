#pragma once

//! Marks a declaration as exported from libjm_sdk.so. Everything else in the tree is hidden.
#define JM_SDK_API __attribute__((visibility("default")))
