#include "bootstrap/dl_find_object.h"

#ifdef DLFO_STRUCT_HAS_EH_DBASE

#include <link.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

// libgcc reads dlfo_eh_dbase only where the struct has it (not on x86_64).
static_assert(DLFO_STRUCT_HAS_EH_DBASE == 0, "dlfo_eh_dbase is not filled in");

namespace sbapi::bootstrap {
namespace {

// ELF gives addresses as integers (load bias + p_vaddr).
void* as_pointer(std::uintptr_t address) {
  return reinterpret_cast<void*>(address);  // NOLINT(performance-no-int-to-ptr)
}

struct Search {
  std::uintptr_t address;
  std::uintptr_t page_mask;
  dl_find_object* result;
};

int visit(dl_phdr_info* info, std::size_t /*size*/, void* data) {
  auto& search = *static_cast<Search*>(data);
  std::uintptr_t start = UINTPTR_MAX;
  std::uintptr_t end = 0;
  std::uintptr_t eh_frame = 0;
  for (ElfW(Half) i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& phdr = info->dlpi_phdr[i];
    if (phdr.p_type == PT_LOAD) {
      const std::uintptr_t segment = info->dlpi_addr + phdr.p_vaddr;
      start = std::min(start, segment & search.page_mask);
      end = std::max(end, segment + phdr.p_memsz);
    } else if (phdr.p_type == DLFO_EH_SEGMENT_TYPE) {
      eh_frame = info->dlpi_addr + phdr.p_vaddr;
    }
  }
  if (search.address < start || search.address >= end) return 0;  // the next object
  std::memset(search.result, 0, sizeof *search.result);
  search.result->dlfo_map_start = as_pointer(start);
  search.result->dlfo_map_end = as_pointer(end);
  search.result->dlfo_eh_frame = eh_frame == 0 ? nullptr : as_pointer(eh_frame);
  return 1;
}

}  // namespace

int find_object(void* address, dl_find_object* result) {
  const auto page_size = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  Search search{reinterpret_cast<std::uintptr_t>(address), ~(page_size - 1), result};
  return ::dl_iterate_phdr(visit, &search) != 0 ? 0 : -1;
}

}  // namespace sbapi::bootstrap

#endif  // DLFO_STRUCT_HAS_EH_DBASE
