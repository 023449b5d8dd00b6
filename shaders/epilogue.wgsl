// epilogue: what every GEMV and matmul adds to its output in the same launch, so a bias or a
// residual costs no launch (and no pass over the activations) of its own, and where it writes:
//   y[at(t, r)] = (W·x)[t, r] + add[t · p[3] + r]   when p[4] ≠ 0
// p[3] = 0: one row broadcast over the tokens (a bias); p[3] = rows: a residual (n_tok, rows).
// at(t, r) = t · p[5] + p[6] + r: y is (n_tok, p[5]) and this matrix fills its columns from p[6]
// on, so the parts of a layer (q|k|v in two formats, a matrix split at the binding limit) write
// one output and need no concatenation; p[5] = rows, p[6] = 0 when the matrix is the whole output.
// With nothing to add (p[4] = 0) `add` is bound to a small buffer of its own and never read.
// Compiled before the kernel body, which declares p (binding 5) and y (binding 4).
@group(0) @binding(3) var<storage, read_write> add: array<f32>;

fn plus(t: u32, r: u32) -> f32 {
    if (p[4] == 0u) {
        return 0.0;
    }
    return add[t * p[3] + r];
}

fn at(t: u32, r: u32) -> u32 {
    return t * p[5] + p[6] + r;
}
