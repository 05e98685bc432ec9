# Computes JM_SDK_ABI_HASH: SHA-256 over every SDK header (path and text, in sorted order).
# A plugin whose headers differ from the host's in any byte is refused at load time.
# The test abi_hash_tests recomputes the same digest with the rule below.
function(jm_compute_sdk_abi_hash include_root out_var)
  file(GLOB_RECURSE headers RELATIVE ${include_root} CONFIGURE_DEPENDS ${include_root}/*.hpp)
  list(SORT headers)
  set(combined "")
  foreach(h IN LISTS headers)
    file(READ ${include_root}/${h} text)
    string(APPEND combined "${h}\n${text}\n")
    # Re-run configure when a header's content changes, not only when the list does.
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${include_root}/${h})
  endforeach()
  string(SHA256 digest "${combined}")
  set(${out_var} ${digest} PARENT_SCOPE)
endfunction()
