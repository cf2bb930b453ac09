"""CUDA C source of the GPU engine's kernels (compiled at run time by CuPy's NVRTC).

``apply_window_*`` (dense ops up to 4 qubits, windows up to 14 qubits): one CUDA block per
chunk; it gathers the chunk into shared memory, applies the window's ops there and scatters it
back. The op layout is in :mod:`kvant.sim._gpu_plan`, whose ``emulate_window`` is this kernel
written in NumPy. Every thread owns whole groups of a dense op (the ``2**k`` amplitudes it
mixes), so only the barrier between ops synchronises; an op whose outer controls the chunk does
not satisfy is skipped by the whole block at once.

No CuPy header is needed (a two-field complex type is defined here), so ``nvcc --ptx`` checks the
source on any machine with the CUDA toolkit, with or without a GPU.
"""

from __future__ import annotations

__all__ = ["KERNEL_NAMES", "MATRIX_ENTRIES", "SOURCE"]

#: Entry points by real type: complex64 runs use float, complex128 runs double.
KERNEL_NAMES = {"complex64": "apply_window_c64", "complex128": "apply_window_c128"}
#: Shared memory a launch needs beyond the chunk: one 16 x 16 matrix.
MATRIX_ENTRIES = 256

SOURCE = r"""
#define OP_FIELDS 13

template <typename T> struct Amp { T re; T im; };

template <typename T>
__device__ __forceinline__ Amp<T> mul_add(Amp<T> acc, Amp<T> m, Amp<T> x) {
    acc.re += m.re * x.re - m.im * x.im;
    acc.im += m.re * x.im + m.im * x.re;
    return acc;
}

/* Local (in-chunk) indices are 32-bit: a window has at most MAX_WINDOW qubits. */
#define MAX_WINDOW 14

/* Insert a zero bit at each of the k ascending positions (enumerates the groups of an op). */
__device__ __forceinline__ unsigned int spread(unsigned int value, const long long* positions,
                                               int k) {
    for (int t = 0; t < k; ++t) {
        const unsigned int p = (unsigned int)positions[t];
        value = ((value >> p) << (p + 1u)) | (value & ((1u << p) - 1u));
    }
    return value;
}

__device__ __forceinline__ unsigned int offset_of(int c, const long long* positions, int k) {
    unsigned int offset = 0u;
    for (int t = 0; t < k; ++t) {
        if ((c >> t) & 1) offset |= 1u << (unsigned int)positions[t];
    }
    return offset;
}

/* K is a template parameter so the group's 2**K amplitudes stay in registers. */
template <typename T, int K>
__device__ void dense_op(Amp<T>* sh, int w, const long long* op, const Amp<T>* matrix) {
    const int dim = 1 << K;
    const unsigned int local_mask = (unsigned int)op[3];
    const long long* positions = op + 5;
    unsigned int offsets[1 << K];
#pragma unroll
    for (int c = 0; c < dim; ++c) offsets[c] = offset_of(c, positions, K);
    const unsigned int groups = 1u << (w - K);
    Amp<T> x[1 << K];
    for (unsigned int g = threadIdx.x; g < groups; g += blockDim.x) {
        const unsigned int base = spread(g, positions, K);
        if ((base & local_mask) != local_mask) continue;
#pragma unroll
        for (int c = 0; c < dim; ++c) x[c] = sh[base | offsets[c]];
#pragma unroll
        for (int r = 0; r < dim; ++r) {
            Amp<T> acc; acc.re = (T)0; acc.im = (T)0;
#pragma unroll
            for (int c = 0; c < dim; ++c) acc = mul_add(acc, matrix[r * dim + c], x[c]);
            sh[base | offsets[r]] = acc;
        }
    }
}

/* The matrix is first copied to shared memory: every thread reads every entry, and reading
   it there keeps the compiler from holding all 2**(2K) entries in registers. */
template <typename T>
__device__ void dense_any(Amp<T>* sh, Amp<T>* sh_matrix, int w, const long long* op,
                          const Amp<T>* data) {
    const int entries = 1 << (2 * (int)op[1]);
    for (int e = threadIdx.x; e < entries; e += blockDim.x) sh_matrix[e] = data[op[2] + e];
    __syncthreads();
    const Amp<T>* data_ = sh_matrix;
    switch ((int)op[1]) {
        case 1: dense_op<T, 1>(sh, w, op, data_); break;
        case 2: dense_op<T, 2>(sh, w, op, data_); break;
        case 3: dense_op<T, 3>(sh, w, op, data_); break;
        default: dense_op<T, 4>(sh, w, op, data_); break;
    }
}

template <typename T>
__device__ void diagonal_op(Amp<T>* sh, int w, unsigned long long chunk, const long long* op,
                            const Amp<T>* data) {
    const int k = (int)op[1];
    const Amp<T>* factors = data + op[2];
    const unsigned int local_mask = (unsigned int)op[3];
    const long long* positions = op + 5;
    const unsigned int size = 1u << w;
    for (unsigned int l = threadIdx.x; l < size; l += blockDim.x) {
        if ((l & local_mask) != local_mask) continue;
        unsigned int selector = 0u;
        for (int j = 0; j < k; ++j) {
            const int p = (int)positions[j];
            const unsigned int bit =
                p < w ? (l >> p) & 1u : (unsigned int)((chunk >> (p - w)) & 1ull);
            selector |= bit << j;
        }
        const Amp<T> f = factors[selector];
        const Amp<T> a = sh[l];
        Amp<T> out;
        out.re = f.re * a.re - f.im * a.im;
        out.im = f.re * a.im + f.im * a.re;
        sh[l] = out;
    }
}

template <typename T>
__device__ void apply_window(Amp<T>* state, int w, const long long* local_offsets,
                             const long long* outer_qubits, int n_outer, const long long* ops,
                             int n_ops, const Amp<T>* data) {
    extern __shared__ unsigned char shared_bytes[];
    Amp<T>* sh = reinterpret_cast<Amp<T>*>(shared_bytes);
    Amp<T>* sh_matrix = sh + (1u << w);  /* 256 entries: one 16 x 16 matrix */
    const unsigned long long chunk =
        (unsigned long long)blockIdx.x + (unsigned long long)blockIdx.y * gridDim.x;
    unsigned long long base = 0ull;
    for (int j = 0; j < n_outer; ++j) base |= ((chunk >> j) & 1ull) << outer_qubits[j];
    const unsigned int size = 1u << w;
    for (unsigned int l = threadIdx.x; l < size; l += blockDim.x)
        sh[l] = state[base + (unsigned long long)local_offsets[l]];
    __syncthreads();
    for (int i = 0; i < n_ops; ++i) {
        const long long* op = ops + (long long)i * OP_FIELDS;
        const unsigned long long outer_mask = (unsigned long long)op[4];
        if ((chunk & outer_mask) != outer_mask) continue;  /* the same for the whole block */
        if (op[0] == 0) dense_any<T>(sh, sh_matrix, w, op, data);
        else diagonal_op<T>(sh, w, chunk, op, data);
        __syncthreads();
    }
    for (unsigned int l = threadIdx.x; l < size; l += blockDim.x)
        state[base + (unsigned long long)local_offsets[l]] = sh[l];
}

extern "C" __global__ void apply_window_c64(Amp<float>* state, int w, const long long* local,
                                            const long long* outer, int n_outer,
                                            const long long* ops, int n_ops,
                                            const Amp<float>* data) {
    apply_window<float>(state, w, local, outer, n_outer, ops, n_ops, data);
}

extern "C" __global__ void apply_window_c128(Amp<double>* state, int w, const long long* local,
                                             const long long* outer, int n_outer,
                                             const long long* ops, int n_ops,
                                             const Amp<double>* data) {
    apply_window<double>(state, w, local, outer, n_outer, ops, n_ops, data);
}
"""
