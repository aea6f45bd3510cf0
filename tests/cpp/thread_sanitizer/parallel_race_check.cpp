// parallel_for under ThreadSanitizer: the pool (src/cpu/parallel.cpp, compiled into this program
// with -fsanitize=thread) runs many small jobs on 2 to 4 threads, some of which throw. TSan
// aborts the program on a data race; the program itself checks that every item runs once and
// that every exception reaches the caller.
#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <vector>

#include "cpu/parallel.h"
#include "kcore/parallel.h"

int main() {
  for (int threads : {2, 3, 4}) {
    kcore::set_num_threads(threads);
    for (int rep = 0; rep < 2000; ++rep) {
      const std::int64_t n = 1 + rep % 97;
      std::vector<int> hits(static_cast<std::size_t>(n), 0);
      kcore::cpu::parallel_for(n, 1, [&](std::int64_t b, std::int64_t e) {
        for (std::int64_t i = b; i < e; ++i) ++hits[static_cast<std::size_t>(i)];
      });
      for (int h : hits) {
        if (h != 1) {
          std::fprintf(stderr, "threads=%d n=%ld: an item ran %d times\n", threads,
                       static_cast<long>(n), h);
          return 1;
        }
      }
      if (rep % 50 == 0) {
        bool thrown = false;
        try {
          kcore::cpu::parallel_for(64, 1, [](std::int64_t b, std::int64_t e) {
            if (b <= 32 && 32 < e) throw std::runtime_error("chunk failed");
          });
        } catch (const std::runtime_error&) {
          thrown = true;
        }
        if (!thrown) {
          std::fprintf(stderr, "threads=%d: the exception was lost\n", threads);
          return 1;
        }
      }
    }
  }
  return 0;
}
