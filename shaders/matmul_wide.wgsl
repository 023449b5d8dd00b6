// matmul_wide: Y = X·Wᵀ for many tokens (prefill), shaped for hardware GPUs: a workgroup of
// 16×16 invocations computes a 64 rows × 64 tokens tile. For each 32-weight block, 64 invocations
// decode one row's block each into workgroup memory, all 256 load the tokens' 32 inputs, and each
// invocation then accumulates its 4 rows × 4 tokens from workgroup memory, so a decoded weight
// serves 64 tokens and an input 64 rows. The shared body for every format, compiled after
// blocks/shared.wgsl and one format's decode (shaders/blocks/<format>.wgsl: block_weights). The
// narrow matmul (matmul.wgsl: one invocation a tile in registers) stays for software adapters.
// Bindings (group 0), in launch order, all read_write (see gemv.wgsl):
//   0 qs: array<vec4<u32>>  (rows, nb, qs_words / 4)
//   1 sc: array<u32>        the format's scales (blocks/<format>.wgsl)
//   2 x:  array<vec4<f32>>  (n_tok, cols / 4)
//   3 add: array<f32>       what is added to y (epilogue.wgsl)
//   4 y:  array<f32>        (n_tok, p[5]): this matrix writes columns p[6] .. p[6] + rows
//   5 p:  array<u32>        [rows, cols, n_tok, add_stride, has_add, y_stride, y_offset]
// Template values: workgroup_size (256). Workgroup memory: 2 × 64 × 32 f32 = 16 KiB, WebGPU's
// default maxComputeWorkgroupStorageSize. No shader-f16.

@group(0) @binding(0) var<storage, read_write> qs: array<vec4<u32>>;
@group(0) @binding(1) var<storage, read_write> sc: array<u32>;
@group(0) @binding(2) var<storage, read_write> x: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;
@group(0) @binding(5) var<storage, read_write> p: array<u32>;

const TILE: u32 = 64u; // rows and tokens a workgroup
const PER: u32 = 4u;   // rows and tokens an invocation (16 × 4 = 64)

var<workgroup> ws: array<vec4<f32>, 512>; // (64 rows, 8): block b of the tile's rows
var<workgroup> xs: array<vec4<f32>, 512>; // (64 tokens, 8): columns 32b..32b+32 of the tile's tokens
var<workgroup> blocks: u32; // nb, through workgroupUniformLoad: the loop holding barriers must be uniform

@compute @workgroup_size({{ workgroup_size }})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let rows = p[0];
    let cols4 = p[1] / 4u;
    if (li == 0u) {
        blocks = p[1] / 32u;
    }
    let nb = workgroupUniformLoad(&blocks);
    let n_tok = p[2];
    let r0 = wid.x * TILE;
    let t0 = wid.y * TILE;
    let tr = (li / 16u) * PER; // this invocation's first row and token within the tile
    let tt = (li % 16u) * PER;
    var acc: array<vec4<f32>, PER>; // acc[i][j]: row tr + i, token tt + j
    for (var b = 0u; b < nb; b++) {
        if (li < TILE) {
            let w = block_weights(min(r0 + li, rows - 1u), b, nb); // rows past the end: the last row, never written
            for (var k = 0u; k < 8u; k++) {
                ws[li * 8u + k] = w[k];
            }
        }
        for (var e = li; e < TILE * 8u; e += 256u) {
            let tok = min(t0 + e / 8u, n_tok - 1u); // tokens past the end: the last token, never written
            xs[e] = x[tok * cols4 + b * 8u + e % 8u];
        }
        workgroupBarrier();
        for (var k = 0u; k < 8u; k++) {
            var wr: array<vec4<f32>, PER>;
            for (var i = 0u; i < PER; i++) {
                wr[i] = ws[(tr + i) * 8u + k];
            }
            for (var j = 0u; j < PER; j++) {
                let xv = xs[(tt + j) * 8u + k];
                for (var i = 0u; i < PER; i++) {
                    acc[i][j] += dot(wr[i], xv);
                }
            }
        }
        workgroupBarrier();
    }
    for (var i = 0u; i < PER; i++) {
        for (var j = 0u; j < PER; j++) {
            let r = r0 + tr + i;
            let t = t0 + tt + j;
            if (r < rows && t < n_tok) {
                y[at(t, r)] = acc[i][j] + plus(t, r);
            }
        }
    }
}
