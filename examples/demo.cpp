// Walks through the seed's examples (../shared/seed/keras-core-ops.txt) for the ops kcore has,
// printing each input and result.
#include <cmath>
#include <iostream>
#include <random>
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

// A small real program with the seed ops together: a softmax classifier on three Gaussian blobs,
// fitted by gradient descent inside fori_loop (the loss uses logsumexp, the step uses grad),
// scored with in_top_k.
void fit_softmax_classifier() {
  using namespace kcore;
  heading("a softmax classifier: fori_loop + grad + logsumexp + in_top_k");
  std::mt19937 rng(3);
  std::normal_distribution<float> noise(0.0F, 0.7F);
  const float centers[3][2] = {{0, 2}, {2, -1}, {-2, -1}};
  const int n = 300;
  std::vector<float> points;
  std::vector<std::int32_t> labels;
  std::vector<float> one_hot;
  for (int i = 0; i < n; ++i) {
    const int c = i % 3;
    points.push_back(centers[c][0] + noise(rng));
    points.push_back(centers[c][1] + noise(rng));
    labels.push_back(c);
    for (int k = 0; k < 3; ++k) one_hot.push_back(k == c ? 1.0F : 0.0F);
  }
  const Tensor x = reshape(convert_to_tensor(points), {n, 2});
  const Tensor y = convert_to_tensor(labels);
  const Tensor y_one_hot = reshape(convert_to_tensor(one_hot), {n, 3});
  auto logits = [&](const Tensor& w, const Tensor& b) {
    return sum(expand_dims(x, {2}) * w, Axes{1}) + b;  // (n, 2, 1) * (2, 3) -> (n, 3)
  };
  const TreeFunction loss = [&](const std::vector<Tree>& p) {
    const Tensor z = logits(p[0].leaf(), p[1].leaf());
    return Tree(mean(logsumexp(z, Axes{1}) - sum(z * y_one_hot, Axes{1})));
  };
  const TreeFunction gradients = grad(loss, {0, 1});
  const Tree start = Tree::tuple({Tree(zeros({2, 3})), Tree(zeros({3}))});
  auto accuracy = [&](const Tree& p) {
    return mean(cast(in_top_k(y, logits(p[0].leaf(), p[1].leaf()), 1), DType::Float32));
  };
  show("loss before", loss({start[0], start[1]}).leaf());
  const Tree fitted = fori_loop(
      0, 100,
      [&](const Tensor&, const Tree& p) {
        const Tree g = gradients({p[0], p[1]});
        return Tree::tuple(
            {Tree(p[0].leaf() - g[0].leaf() * 0.5), Tree(p[1].leaf() - g[1].leaf() * 0.5)});
      },
      start);
  show("loss after 100 steps", loss({fitted[0], fitted[1]}).leaf());
  show("training accuracy (in_top_k, k=1)", accuracy(fitted));
}

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
    heading("scatter");
    std::cout << ">>> indices = [[0, 1], [1, 1]]\n>>> values = np.array([1., 1.])\n"
                 ">>> keras.ops.scatter(indices, values, shape=(2, 2))\n";
    const Tensor values = convert_to_tensor(std::vector<double>{1., 1.});
    show("scatter(indices, values, (2, 2))",
         scatter(convert_to_tensor({{0, 1}, {1, 1}}), values, {2, 2}));
    show("scatter([[0], [0]], [1, 1], (1,))   (duplicates add)",
         scatter(convert_to_tensor({{0}, {0}}), convert_to_tensor({1, 1}), {1}));

    heading("scatter_update");
    std::cout << ">>> inputs = np.zeros((4, 4, 4))\n>>> indices = [[1, 2, 3], [0, 1, 3]]\n"
                 ">>> updates = np.array([1., 1.])\n"
                 ">>> inputs = keras.ops.scatter_update(inputs, indices, updates)\n";
    Tensor inputs = zeros({4, 4, 4}, DType::Float64);
    inputs = scatter_update(std::move(inputs), convert_to_tensor({{1, 2, 3}, {0, 1, 3}}), values);
    show("inputs[1, 2, 3], inputs[0, 1, 3]",
         stack({getitem(inputs, {1, 2, 3}), getitem(inputs, {0, 1, 3})}));
    std::cout << ">>> indices = [[1, 2], [2, 3]]\n"
                 ">>> updates = np.array([[1., 1., 1, 1,], [1., 1., 1, 1,])\n";
    const Tensor rows = scatter_update(zeros({4, 4, 4}, DType::Float64),
                                       convert_to_tensor({{1, 2}, {2, 3}}), ones({2, 4}));
    show("inputs[1, 2], inputs[2, 3]", stack({getitem(rows, {1, 2}), getitem(rows, {2, 3})}));
    const Tensor v = convert_to_tensor({10., 20., 30.});
    const Tensor dup = convert_to_tensor({{0}, {0}});
    const Tensor u = convert_to_tensor({1., 2.});
    show("scatter_update([10, 20, 30], [[0], [0]], [1, 2])   (last wins)",
         scatter_update(v, dup, u));
    show("... reduction='mul'", scatter_update(v, dup, u, "mul"));

    heading("slice");
    std::cout << ">>> inputs = np.zeros((5, 5))\n>>> start_indices = np.array([3, 3])\n"
                 ">>> keras.ops.slice(inputs, start_indices, (2, 2))\n";
    const Tensor grid = reshape(arange(25), {5, 5});
    show("grid", grid);
    show("slice(grid, [3, 3], (2, 2))", slice(grid, {3, 3}, {2, 2}));
    show("slice(grid, [4, -1], (2, 3))   (start wrapped, then clamped)",
         slice(grid, convert_to_tensor({4, -1}), {2, 3}));
    show("slice(grid, [1, 2], (1, -1))   (-1: to the end)", slice(grid, {1, 2}, {1, -1}));

    heading("slice_update");
    std::cout << ">>> inputs = np.zeros((5, 5))\n>>> start_indices = [3, 3]\n"
                 ">>> updates = np.ones((2, 2))\n"
                 ">>> inputs = keras.ops.slice_update(inputs, start_indices, updates)\n";
    Tensor board = zeros({5, 5});
    board = slice_update(std::move(board), {3, 3}, ones({2, 2}));  // reuses board's buffer
    show("inputs", board);

    heading("unstack");
    std::cout << ">>> x = keras.ops.array([[1, 2], [3, 4]])\n"
                 ">>> keras.ops.unstack(x, axis=0)\n";
    const auto parts = unstack(array(Nested{{1, 2}, {3, 4}}), std::nullopt, 0);
    for (std::size_t i = 0; i < parts.size(); ++i)
      std::cout << "[" << i << "] = " << parts[i] << "\n";

    heading("extract_sequences");
    std::cout << ">>> x = keras.ops.convert_to_tensor([1, 2, 3, 4, 5, 6])\n"
                 ">>> extract_sequences(x, 3, 2)\n";
    show("extract_sequences(x, 3, 2)",
         extract_sequences(convert_to_tensor({1, 2, 3, 4, 5, 6}), 3, 2));
  }

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

  heading("erf, erfinv, rsqrt, logsumexp");
  std::cout << ">>> x = np.array([-3.0, -2.0, -1.0, 0.0, 1.0])\n>>> keras.ops.erf(x)\n";
  show("erf(x)", erf(convert_to_tensor({-3.0, -2.0, -1.0, 0.0, 1.0})));
  std::cout << ">>> x = np.array([-0.5, -0.2, -0.1, 0.0, 0.3])\n>>> keras.ops.erfinv(x)\n";
  show("erfinv(x)", erfinv(convert_to_tensor({-0.5, -0.2, -0.1, 0.0, 0.3})));
  std::cout << ">>> x = keras.ops.convert_to_tensor([1.0, 10.0, 100.0])\n>>> keras.ops.rsqrt(x)\n";
  show("rsqrt(x)", rsqrt(convert_to_tensor({1.0, 10.0, 100.0})));
  std::cout << ">>> x = keras.ops.convert_to_tensor([1., 2., 3.])\n>>> logsumexp(x)\n";
  show("logsumexp(x)", logsumexp(convert_to_tensor({1.0, 2.0, 3.0})));
  show("erfinv([-1, 1, 2])   (±inf, NaN outside [-1, 1])",
       erfinv(convert_to_tensor({-1.0, 1.0, 2.0})));
  show("rsqrt([0, -1, inf])", rsqrt(convert_to_tensor({0.0, -1.0, INFINITY})));
  show("logsumexp([[1000, 1000], [-inf, -inf]], axis=1)   (stable; all -inf gives -inf)",
       logsumexp(convert_to_tensor({{1000.0, 1000.0}, {-INFINITY, -INFINITY}}), Axes{1}));

  heading("basics around them");
  const Tensor a = arange(6);
  const Tensor m = reshape(a, {2, 3});
  show("m = reshape(arange(6), (2, 3))", m);
  show("m + 0.5", m + 0.5);
  show("m < 3", m < 3);
  show("sum(m, axis=0)", sum(m, Axes{0}));
  show("transpose(m)", transpose(m));
  show("mean(m)", mean(m));
  fit_softmax_classifier();
  return 0;
}
