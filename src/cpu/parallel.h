#pragma once

#include <cstdint>
#include <functional>

namespace kcore::cpu {

// Runs fn(begin, end) over [0, n) split into at most num_threads() chunks of at least `grain`
// items each. Chunk boundaries depend on n, grain and the thread count only. Calls from inside a
// worker run inline. The first exception thrown by any chunk is rethrown after all chunks end.
void parallel_for(std::int64_t n, std::int64_t grain,
                  const std::function<void(std::int64_t, std::int64_t)>& fn);

}  // namespace kcore::cpu
