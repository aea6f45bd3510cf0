#pragma once

namespace kcore {

// Threads used by kernels. Starts at the KCORE_NUM_THREADS environment variable, else the
// number of hardware threads. n < 1 is ValueError.
void set_num_threads(int n);
int num_threads();

}  // namespace kcore
