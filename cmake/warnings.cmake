add_library(doppel_warnings INTERFACE)
target_compile_options(doppel_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
  -Wno-missing-field-initializers)
