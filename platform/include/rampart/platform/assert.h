#pragma once
// Assertions with the error rules of docs/ARCHITECTURE.md: RAMPART_RELEASE_ASSERT for broken
// invariants that make continuing unsafe (abort; restarts are cheap), RAMPART_ASSERT for
// debug-only checks.
#include <cstdio>
#include <cstdlib>

#define RAMPART_RELEASE_ASSERT(cond, msg)                                                     \
  do {                                                                                        \
    if (!(cond)) [[unlikely]] {                                                               \
      std::fprintf(stderr, "rampart: assertion failed at %s:%d: %s (%s)\n", __FILE__,         \
                   __LINE__, #cond, msg);                                                     \
      std::abort();                                                                           \
    }                                                                                         \
  } while (false)

#ifdef NDEBUG
#define RAMPART_ASSERT(cond, msg) \
  do {                            \
    (void)sizeof(cond);           \
  } while (false)
#else
#define RAMPART_ASSERT(cond, msg) RAMPART_RELEASE_ASSERT(cond, msg)
#endif
