// glibc's _dl_find_object for the C++ unwinder of the Lambda `bootstrap`, on glibc 2.34.
//
// The package links libstdc++ and libgcc statically (Amazon Linux 2023 has neither GCC 12's
// libstdc++ nor its libgcc_s). GCC 12's libgcc_eh, built against glibc >= 2.35, finds the unwind
// tables of a throwing function with _dl_find_object (GLIBC_2.35) and has no fallback: that one
// reference would stop the bootstrap from loading on Amazon Linux 2023 (glibc 2.34). So the
// sbapi-lambda executable links with -Wl,--wrap=_dl_find_object (CMakeLists.txt), which sends
// libgcc's call to __wrap__dl_find_object (main.cc), i.e. to find_object below: the same answer
// computed with dl_iterate_phdr (GLIBC_2.2.5), the way libgcc itself did it before GCC 12.
// Where libgcc is a shared library (every build but the package) nothing in the executable
// refers to _dl_find_object and the wrapper is unused.
// Checked by: tests `bootstrap` (src/bootstrap/dl_find_object_test.cc: the same answers as
// glibc's, and a static libgcc unwinding through it) and `package` (the packaged bootstrap
// needs no glibc symbol version newer than 2.34); scripts/package.sh refuses such a binary too.
#pragma once

#include <dlfcn.h>

// DLFO_STRUCT_HAS_EH_DBASE comes with glibc 2.35's <dlfcn.h>; libgcc uses the same test.
#ifdef DLFO_STRUCT_HAS_EH_DBASE

namespace sbapi::bootstrap {

// The loaded object (executable, shared library or vDSO) whose mapping [start, end) contains
// `address`: 0, with dlfo_map_start, dlfo_map_end and dlfo_eh_frame (its PT_GNU_EH_FRAME
// segment, null without one) as glibc gives them; dlfo_flags 0 and dlfo_link_map null (libgcc
// reads neither). -1 when no object contains `address`.
int find_object(void* address, dl_find_object* result);

}  // namespace sbapi::bootstrap

#endif  // DLFO_STRUCT_HAS_EH_DBASE
