#pragma once
// Assertions, used as docs/ARCHITECTURE.md "Error handling" rule 3 says: RAMPART_RELEASE_ASSERT
// for broken invariants that make continuing unsafe (abort; restarts are cheap),
// RAMPART_ASSERT for the same checks in debug builds only. Never for untrusted input (rules 1
// and 2: return an error, or count a drop).
#include <cstdio>
#include <cstdlib>

#define RAMPART_RELEASE_ASSERT(cond, msg)                                                       \
  do {                                                                                          \
    if (!(cond)) [[unlikely]] {                                                                 \
      std::fprintf(stderr, "rampart: assertion failed at %s:%d: %s (%s)\n", __FILE__, __LINE__, \
                   #cond, msg);                                                                 \
      std::abort();                                                                             \
    }                                                                                           \
  } while (false)

#ifdef NDEBUG
#define RAMPART_ASSERT(cond, msg) \
  do {                            \
    (void)sizeof(cond);           \
  } while (false)
#else
#define RAMPART_ASSERT(cond, msg) RAMPART_RELEASE_ASSERT(cond, msg)
#endif
