// oneDNN's convolutions behind three C functions, for ganc's `onednn` cargo feature
// (`kernels/onednn.rs` declares them). A transposed convolution is the adjoint of a
// convolution, so these three passes serve both.
//
// Tensors come and go in burn's plain layouts (NCHW images, OIHW weights); oneDNN picks its own
// blocked layouts for the computation, and the reorders between the two run inside each call,
// as PyTorch's CPU convolutions do. Primitives and their reorders are built once per geometry
// and pass, and kept.
//
// Each function returns 0 when it wrote its output, and non-zero when oneDNN could not take
// the geometry (a negative end padding, say) or failed; the caller then computes the pass itself.

#include <oneapi/dnnl/dnnl.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

extern "C" {
// A convolution of `[batch, in_channels, in_size]` into `[batch, out_channels, out_size]`
// by weights `[out_channels, in_channels / groups, kernel]`; `padding` is before the first
// row and column, the end padding follows from the sizes.
struct ganc_conv_geometry {
    int64_t batch, in_channels, in_size[2], out_channels, out_size[2], kernel[2], stride[2],
        dilation[2], padding[2], groups;
};
}

namespace {

using dnnl::memory;
using tag = memory::format_tag;

enum class Pass { Forward, BackwardData, BackwardWeights };

dnnl::engine &engine() {
    static dnnl::engine e(dnnl::engine::kind::cpu, 0);
    return e;
}

dnnl::stream &stream() {
    static dnnl::stream s(engine());
    return s;
}

// One argument of a primitive: its plain layout, the layout the primitive wants, and the
// reorder and buffer between them when the two differ.
struct Arg {
    int id;
    memory::desc plain;
    bool input;
    std::unique_ptr<dnnl::reorder> reorder;
    memory inner;

    Arg(int id, const memory::desc &plain, const memory::desc &wanted, bool input)
        : id(id), plain(plain), input(input) {
        if (wanted != plain) {
            inner = memory(wanted, engine());
            reorder = input ? std::make_unique<dnnl::reorder>(dnnl::reorder::primitive_desc(
                                  engine(), plain, engine(), wanted))
                            : std::make_unique<dnnl::reorder>(dnnl::reorder::primitive_desc(
                                  engine(), wanted, engine(), plain));
        }
    }
};

// A primitive ready to run on plain buffers.
struct Entry {
    dnnl::primitive primitive;
    std::vector<Arg> args;

    void run(const std::vector<void *> &buffers) {
        std::unordered_map<int, memory> exec;
        std::vector<std::pair<Arg *, memory>> outputs;
        for (size_t i = 0; i < args.size(); ++i) {
            Arg &a = args[i];
            memory user(a.plain, engine(), buffers[i]);
            if (!a.reorder) {
                exec[a.id] = user;
            } else if (a.input) {
                a.reorder->execute(stream(), user, a.inner);
                exec[a.id] = a.inner;
            } else {
                exec[a.id] = a.inner;
                outputs.emplace_back(&a, user);
            }
        }
        primitive.execute(stream(), exec);
        for (auto &[a, user] : outputs) a->reorder->execute(stream(), a->inner, user);
        stream().wait();
    }
};

struct Shapes {
    memory::dims src, weights, dst, strides, dilates, pad_l, pad_r;
    tag weights_tag;
};

bool shapes_of(const ganc_conv_geometry &g, Shapes &s) {
    s.src = {g.batch, g.in_channels, g.in_size[0], g.in_size[1]};
    s.dst = {g.batch, g.out_channels, g.out_size[0], g.out_size[1]};
    if (g.groups == 1) {
        s.weights = {g.out_channels, g.in_channels, g.kernel[0], g.kernel[1]};
        s.weights_tag = tag::oihw;
    } else {
        s.weights = {g.groups, g.out_channels / g.groups, g.in_channels / g.groups, g.kernel[0],
                     g.kernel[1]};
        s.weights_tag = tag::goihw;
    }
    s.strides = {g.stride[0], g.stride[1]};
    s.dilates = {g.dilation[0] - 1, g.dilation[1] - 1};
    s.pad_l = {g.padding[0], g.padding[1]};
    s.pad_r.resize(2);
    for (int a = 0; a < 2; ++a) {
        int64_t reach = (g.out_size[a] - 1) * g.stride[a] + (g.kernel[a] - 1) * g.dilation[a] + 1;
        s.pad_r[a] = reach - g.in_size[a] - g.padding[a];
        if (s.pad_r[a] < 0) return false;
    }
    return true;
}

memory::desc plain(const memory::dims &dims, tag t) { return {dims, memory::data_type::f32, t}; }
memory::desc any(const memory::dims &dims) { return {dims, memory::data_type::f32, tag::any}; }

dnnl::convolution_forward::primitive_desc forward_pd(const Shapes &s, bool bias) {
    memory::desc b = bias ? plain({s.dst[1]}, tag::x) : memory::desc();
    dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_training,
                                      dnnl::algorithm::convolution_direct, any(s.src), any(s.weights),
                                      b, any(s.dst), s.strides, s.dilates, s.pad_l, s.pad_r);
    return {d, engine()};
}

std::unique_ptr<Entry> build(const ganc_conv_geometry &g, Pass pass, bool bias) {
    Shapes s;
    if (!shapes_of(g, s)) return nullptr;
    auto entry = std::make_unique<Entry>();
    auto src = plain(s.src, tag::nchw), dst = plain(s.dst, tag::nchw);
    auto weights = plain(s.weights, s.weights_tag);
    auto fwd = forward_pd(s, bias);
    switch (pass) {
    case Pass::Forward:
        entry->primitive = dnnl::convolution_forward(fwd);
        entry->args.emplace_back(DNNL_ARG_SRC, src, fwd.src_desc(), true);
        entry->args.emplace_back(DNNL_ARG_WEIGHTS, weights, fwd.weights_desc(), true);
        if (bias) entry->args.emplace_back(DNNL_ARG_BIAS, plain({s.dst[1]}, tag::x), fwd.bias_desc(), true);
        entry->args.emplace_back(DNNL_ARG_DST, dst, fwd.dst_desc(), false);
        break;
    case Pass::BackwardData: {
        dnnl::convolution_backward_data::desc d(dnnl::algorithm::convolution_direct, any(s.src),
                                                any(s.weights), any(s.dst), s.strides, s.dilates,
                                                s.pad_l, s.pad_r);
        dnnl::convolution_backward_data::primitive_desc pd(d, engine(), fwd);
        entry->primitive = dnnl::convolution_backward_data(pd);
        entry->args.emplace_back(DNNL_ARG_DIFF_DST, dst, pd.diff_dst_desc(), true);
        entry->args.emplace_back(DNNL_ARG_WEIGHTS, weights, pd.weights_desc(), true);
        entry->args.emplace_back(DNNL_ARG_DIFF_SRC, src, pd.diff_src_desc(), false);
        break;
    }
    case Pass::BackwardWeights: {
        dnnl::convolution_backward_weights::desc d(dnnl::algorithm::convolution_direct, any(s.src),
                                                   any(s.weights), any(s.dst), s.strides,
                                                   s.dilates, s.pad_l, s.pad_r);
        dnnl::convolution_backward_weights::primitive_desc pd(d, engine(), fwd);
        entry->primitive = dnnl::convolution_backward_weights(pd);
        entry->args.emplace_back(DNNL_ARG_SRC, src, pd.src_desc(), true);
        entry->args.emplace_back(DNNL_ARG_DIFF_DST, dst, pd.diff_dst_desc(), true);
        entry->args.emplace_back(DNNL_ARG_DIFF_WEIGHTS, weights, pd.diff_weights_desc(), false);
        break;
    }
    }
    return entry;
}

using Key = std::vector<int64_t>;

Key key_of(const ganc_conv_geometry &g, Pass pass, bool bias) {
    const int64_t *fields = &g.batch;
    Key k(fields, fields + sizeof(ganc_conv_geometry) / sizeof(int64_t));
    k.push_back(static_cast<int64_t>(pass));
    k.push_back(bias);
    return k;
}

int run(const ganc_conv_geometry *g, Pass pass, bool bias, const std::vector<void *> &buffers) {
    static std::mutex lock;
    static std::map<Key, std::unique_ptr<Entry>> cache;
    std::lock_guard<std::mutex> guard(lock);
    try {
        auto key = key_of(*g, pass, bias);
        auto found = cache.find(key);
        if (found == cache.end()) {
            // A geometry oneDNN declines is remembered as declined (an empty entry).
            std::unique_ptr<Entry> built;
            try {
                built = build(*g, pass, bias);
            } catch (...) {
            }
            found = cache.emplace(key, std::move(built)).first;
        }
        if (!found->second) return 1;
        found->second->run(buffers);
        return 0;
    } catch (...) {
        return 2;
    }
}

} // namespace

extern "C" {
int ganc_dnnl_conv_forward(const ganc_conv_geometry *g, const float *src, const float *weights,
                           const float *bias, float *dst) {
    std::vector<void *> buffers{const_cast<float *>(src), const_cast<float *>(weights)};
    if (bias) buffers.push_back(const_cast<float *>(bias));
    buffers.push_back(dst);
    return run(g, Pass::Forward, bias != nullptr, buffers);
}

int ganc_dnnl_conv_backward_data(const ganc_conv_geometry *g, const float *diff_dst,
                                 const float *weights, float *diff_src) {
    return run(g, Pass::BackwardData, false,
               {const_cast<float *>(diff_dst), const_cast<float *>(weights), diff_src});
}

int ganc_dnnl_conv_backward_weights(const ganc_conv_geometry *g, const float *src,
                                    const float *diff_dst, float *diff_weights) {
    return run(g, Pass::BackwardWeights, false,
               {const_cast<float *>(src), const_cast<float *>(diff_dst), diff_weights});
}
}
