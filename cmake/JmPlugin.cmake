# jm_add_plugin(<name> SOURCES plugin.cpp ... [LIBRARIES core-lib ...] [OUTPUT_DIR dir] [NO_INSTALL])
# Builds a loadable plugin module: hidden visibility, every symbol resolved at link time
# (-z defs) so a missing symbol fails the build instead of dlopen, one exported entry alias.
function(jm_add_plugin name)
  cmake_parse_arguments(P "NO_INSTALL" "OUTPUT_DIR" "SOURCES;LIBRARIES" ${ARGN})
  if(NOT P_OUTPUT_DIR)
    set(P_OUTPUT_DIR ${JM_PLUGIN_OUTPUT_DIR})
  endif()
  set(target jm_plugin_${name})
  add_library(${target} MODULE ${P_SOURCES})
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    OUTPUT_NAME ${name}
    LIBRARY_OUTPUT_DIRECTORY ${P_OUTPUT_DIR}
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    INSTALL_RPATH "$ORIGIN/../.."
    BUILD_RPATH "${CMAKE_BINARY_DIR}/lib")
  if(NOT DEFINED JM_NO_UNDEFINED_FLAG)
    set(JM_NO_UNDEFINED_FLAG "-Wl,-z,defs")
  endif()
  target_link_options(${target} PRIVATE ${JM_NO_UNDEFINED_FLAG} -Wl,--exclude-libs,ALL)
  target_link_libraries(${target} PRIVATE jm::sdk ${P_LIBRARIES})
  if(NOT P_NO_INSTALL)
    install(TARGETS ${target} LIBRARY DESTINATION ${JM_PLUGIN_INSTALL_DIR})
  endif()
endfunction()

# jm_add_core_library(<name> SOURCES ... [LIBRARIES ...]): the static, position-independent
# library that holds a plugin's logic; unit tests link it directly.
function(jm_add_core_library name)
  cmake_parse_arguments(C "" "" "SOURCES;LIBRARIES" ${ARGN})
  add_library(${name} STATIC ${C_SOURCES})
  set_target_properties(${name} PROPERTIES
    POSITION_INDEPENDENT_CODE ON
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  target_include_directories(${name} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
  target_link_libraries(${name} PUBLIC jm::sdk ${C_LIBRARIES})
endfunction()

# jm_sdk_abi(<hash_var> <major_var>): the ABI of the SDK this project builds plugins against, read
# from the headers the plugins include (jm/sdk/abi_version.hpp and abi.hpp), for package metadata
# such as a Debian package's declared ABI. Works with the installed SDK (find_package(jmsdk)).
function(jm_sdk_abi out_hash out_major)
  get_target_property(dirs jm::sdk INTERFACE_INCLUDE_DIRECTORIES)
  foreach(dir IN LISTS dirs)
    if(EXISTS ${dir}/jm/sdk/abi_version.hpp AND EXISTS ${dir}/jm/sdk/abi.hpp)
      file(STRINGS ${dir}/jm/sdk/abi_version.hpp hash_line REGEX "^#define JM_SDK_ABI_HASH ")
      file(STRINGS ${dir}/jm/sdk/abi.hpp major_line REGEX "^#define JM_SDK_ABI_MAJOR ")
      string(REGEX REPLACE ".*\"([0-9a-f]+)\".*" "\\1" hash "${hash_line}")
      string(REGEX REPLACE ".*JM_SDK_ABI_MAJOR ([0-9]+).*" "\\1" major "${major_line}")
      set(${out_hash} ${hash} PARENT_SCOPE)
      set(${out_major} ${major} PARENT_SCOPE)
      return()
    endif()
  endforeach()
  message(FATAL_ERROR "jm_sdk_abi: jm/sdk/abi_version.hpp not found in ${dirs}")
endfunction()
