// Walks through the seed's examples (../shared/seed/keras-core-ops.txt) for the ops kcore has,
// printing each input and result.
#include <iostream>
#include <string>

#include "kcore/autodiff.h"
#include "kcore/batching.h"
#include "kcore/control_flow.h"
#include "kcore/kcore.h"

namespace {

void heading(const std::string& title) {
  std::cout << "\n== " << title << " ==\n";
}

void show(const std::string& label, const kcore::Tensor& t) {
  std::cout << label << " = " << t << "\n";
}

}  // namespace

int main() {
  using namespace kcore;

  heading("cast");
  std::cout << ">>> x = keras.ops.arange(4)\n>>> x = keras.ops.cast(x, dtype=\"float16\")\n";
  Tensor x = arange(4);
  show("x", x);
  x = cast(x, DType::Float16);
  show("cast(x, float16)", x);
  const Tensor special = convert_to_tensor({-1.5, 2.7, 300.0, -300.0});
  show("y", special);
  show("cast(y, int8)   (truncate, saturate)", cast(special, DType::Int8));
  show("cast(int32 [-1, 256], uint8)   (wrap)", cast(convert_to_tensor({-1, 256}), DType::UInt8));

  heading("convert_to_tensor");
  std::cout << ">>> x = np.array([1, 2, 3])\n>>> y = keras.ops.convert_to_tensor(x)\n";
  const std::vector<std::int64_t> np_array = {1, 2, 3};  // NumPy's default integer is int64
  show("y", convert_to_tensor(np_array));
  show("convert_to_tensor([[1, 2], [3, 4.5]])", convert_to_tensor({{1, 2}, {3, 4.5}}));
  show("convert_to_tensor([True, False])", convert_to_tensor({true, false}));
  show("convert_to_tensor([1, 2], dtype=bfloat16)", convert_to_tensor({1, 2}, DType::BFloat16));

  heading("shape");
  std::cout << ">>> x = keras.zeros((8, 12))\n>>> keras.ops.shape(x)\n";
  std::cout << format_shape(shape(zeros({8, 12}))) << "\n";

  heading("is_tensor");
  std::cout << "is_tensor(zeros((2,))) = " << std::boolalpha << is_tensor(zeros({2})) << "\n";
  std::cout << "is_tensor(3.0)          = " << is_tensor(3.0) << "\n";
  const SparseTensor sp(convert_to_tensor({{0, 1}, {1, 2}}), convert_to_tensor({1.0, 2.0}), {2, 3});
  std::cout << "is_tensor(SparseTensor) = " << is_tensor(sp) << "\n";
  show("SparseTensor densified", sp.to_dense());

  heading("stop_gradient, grad and vectorized_map");
  std::cout << ">>> var = keras.ops.stop_gradient(convert_to_tensor([1., 2., 3.]))\n";
  const Tensor var = convert_to_tensor({1., 2., 3.}, DType::Float32);
  show("stop_gradient(var)", stop_gradient(var));
  auto f = [](const Tensor& v) { return sum(v * stop_gradient(v) + exp(v)); };
  show("grad(sum(v * stop_gradient(v) + exp(v)))(var)   (= var + exp(var))", grad(f)(var));
  const Tensor rows = reshape(cast(arange(6), DType::Float32), {3, 2});
  show("rows", rows);
  show("vectorized_map(lambda r: sum(r * r), rows)",
       vectorized_map([](const Tensor& r) { return sum(r * r); }, rows));

  heading("while_loop, fori_loop, cond");
  std::cout << ">>> keras.ops.while_loop(lambda i: i < 10, lambda i: i + 1, 0)\n";
  show("result", while_loop([](const Tree& i) { return i.leaf() < 10; },
                            [](const Tree& i) { return Tree(i.leaf() + 1); }, Tree(0))
                     .leaf());
  std::cout
      << ">>> keras.ops.while_loop(lambda x, y: x < 10, lambda x, y: (x + 1, y + 1), (0, 1))\n";
  const Tree xy = while_loop([](const Tree& v) { return v[0].leaf() < 10; },
                             [](const Tree& v) {
                               return Tree::tuple({Tree(v[0].leaf() + 1), Tree(v[1].leaf() + 1)});
                             },
                             Tree::tuple({Tree(0), Tree(1)}));
  std::cout << xy[0].leaf() << ", " << xy[1].leaf() << "\n";
  std::cout << ">>> keras.ops.fori_loop(0, 10, lambda i, x: x + i, 0)\n";
  show("result",
       fori_loop(
           0, 10, [](const Tensor& i, const Tree& x) { return Tree(x.leaf() + i); }, Tree(0))
           .leaf());
  show("cond(2 > 1, lambda: 10, lambda: 20)",
       cond(
           Tensor(2) > 1, [] { return Tree(10); }, [] { return Tree(20); })
           .leaf());
  const Tensor targets = convert_to_tensor({1.0, 5.0, 20.0});
  show("Newton's square root per element, a while_loop inside vectorized_map",
       vectorized_map(
           [](const Tensor& a) {
             return while_loop([&](const Tree& y) { return abs(y.leaf() * y.leaf() - a) > 1e-4; },
                               [&](const Tree& y) { return Tree((y.leaf() + a / y.leaf()) / 2.0); },
                               Tree(a))
                 .leaf();
           },
           targets));

  {
    heading("top_k");
    std::cout << ">>> x = keras.ops.convert_to_tensor([5, 2, 7, 1, 9, 3])\n"
                 ">>> values, indices = top_k(x, k=3)\n";
    const auto [values, indices] = top_k(convert_to_tensor({5, 2, 7, 1, 9, 3}), 3);
    show("values", values);
    show("indices", indices);
    const auto special = top_k(convert_to_tensor(std::vector<float>{1.0F, NAN, -0.0F, 0.0F}), 4);
    show("top_k([1, nan, -0.0, 0.0], 4).indices   (NaN first, -0.0 ties +0.0)", special.indices);

    heading("in_top_k");
    std::cout << ">>> targets = keras.ops.convert_to_tensor([2, 5, 3])\n"
                 ">>> predictions = keras.ops.convert_to_tensor(\n"
                 "... [[0.1, 0.4, 0.6, 0.9, 0.5],\n"
                 "...  [0.1, 0.7, 0.9, 0.8, 0.3],\n"
                 "...  [0.1, 0.6, 0.9, 0.9, 0.5]])\n"
                 ">>> in_top_k(targets, predictions, k=3)\n";
    const Tensor predictions = convert_to_tensor(
        {{0.1, 0.4, 0.6, 0.9, 0.5}, {0.1, 0.7, 0.9, 0.8, 0.3}, {0.1, 0.6, 0.9, 0.9, 0.5}});
    show("in_top_k(targets, predictions, 3)",
         in_top_k(convert_to_tensor({2, 5, 3}), predictions, 3));

    heading("segment_sum and segment_max");
    std::cout << ">>> data = keras.ops.convert_to_tensor([1, 2, 10, 20, 100, 200])\n"
                 ">>> segment_ids = keras.ops.convert_to_tensor([0, 0, 1, 1, 2, 2])\n"
                 ">>> num_segments = 3\n";
    const Tensor data = convert_to_tensor({1, 2, 10, 20, 100, 200});
    const Tensor segment_ids = convert_to_tensor({0, 0, 1, 1, 2, 2});
    show("segment_sum(data, segment_ids, 3)", segment_sum(data, segment_ids, 3));
    show("segment_max(data, segment_ids, 3)", segment_max(data, segment_ids, 3));
    show("segment_max(data, [0, 0, -1, 3, 3, 3])   (num_segments inferred, -1 dropped)",
         segment_max(data, convert_to_tensor({0, 0, -1, 3, 3, 3})));
  }

  heading("basics around them");
  const Tensor a = arange(6);
  const Tensor m = reshape(a, {2, 3});
  show("m = reshape(arange(6), (2, 3))", m);
  show("m + 0.5", m + 0.5);
  show("m < 3", m < 3);
  show("sum(m, axis=0)", sum(m, Axes{0}));
  show("transpose(m)", transpose(m));
  show("mean(m)", mean(m));
  return 0;
}
