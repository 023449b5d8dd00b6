//! hearth's WGSL kernels, launched on burn's buffers. Fused dequantising kernels over the GPU
//! weight layout (`src/quant/mod.rs`): a GEMV for one token (decode) and a tiled matmul for many
//! (prefill), in two families, each one body compiled with a format's decode (`blocks`); their
//! twin is `quant::matmul_reference`, held to them by
//! `tests/kernels.rs`. The float kernels (rms_norm, qkv_split, attention, swiglu) have their twins in
//! `reference.rs`, held by `tests/ops.rs`.

pub mod argmax;
pub mod attention;
mod blocks;
pub mod flash_decode;
pub mod gemv;
pub mod gemv_wide;
pub mod gemv_wide_subgroup;
pub mod inputs;
pub mod matmul;
pub mod matmul_wide;
pub mod qkv_split;
pub mod read_bandwidth;
pub mod rms_norm;
pub mod self_test;
pub mod swiglu;

use crate::error::HearthError;
use crate::gpu::{self, Arg, CubeTensor, Device, GpuBuffer, Kernel, Tensor};
use crate::quant::{QuantKind, QK};
pub use inputs::{set_fused_inputs, Input};

/// GEMV work split, measured on llvmpipe (benches/kernels.rs): 32 rows an invocation, so each
/// x load serves 32 rows; small matrices (576, 1536 rows) take workgroups of 4 so that 5–12 of
/// them spread over the cores (32 rows × 4 beat 8 rows × 16 by 7–15% in one A/B run, for
/// Q4_0 and Q8_0 at both small shapes).
const GEMV_ROWS: u32 = 32;
const GEMV_LARGE_ROWS: usize = 8192;
const GEMV_WORKGROUP_LARGE: u32 = 32;
const GEMV_WORKGROUP_SMALL: u32 = 4;
/// Prefill tile: rows an invocation and the workgroup size, measured on llvmpipe (8 rows × 16
/// tokens: 20 GFLOP/s, 4 × 8: 12.5, 16 rows spills). The tokens an invocation follow the chunk:
/// a tile computes all of them even past the chunk's end, and keystroke re-prefills are short.
const MATMUL_ROWS: u32 = 8;
const MATMUL_WORKGROUP: u32 = 16;

fn matmul_tokens(n_tok: usize) -> u32 {
    match n_tok {
        32.. => 32,
        16.. => 16,
        8.. => 8,
        // 1, 2, 4: a keystroke's re-prefill is a token or two, and a tile pays for all of its tokens.
        n => n.next_power_of_two() as u32,
    }
}
const READ_WORKGROUP: u32 = 64;
/// The wide GEMV (hardware GPUs): 256 invocations a workgroup (WebGPU's default maximum), 32 of
/// them a row (a warp on NVIDIA, half a wave on AMD), 16 when a row has fewer than 24 blocks
/// (SmolLM2's 576 columns are 18) so fewer lanes idle.
const WIDE_WORKGROUP: u32 = 256;
/// The wide matmul's tile: 64 rows × 64 tokens a workgroup (shaders/matmul_wide.wgsl).
const WIDE_TILE: usize = 64;

fn wide_lanes(cols: usize) -> u32 {
    if cols / QK >= 24 {
        32
    } else {
        16
    }
}

/// Which shapes the kernels launch in. `Narrow`: one invocation computes many rows, a few
/// workgroups in all (software adapters: llvmpipe, SwiftShader, whose lanes are a few CPU
/// cores). `Wide`: many invocations share a row and reduce in workgroup memory, thousands of
/// invocations in flight (hardware GPUs). Both read the same storage layout and are held to the
/// same twin.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    Narrow,
    Wide,
}

impl Family {
    /// The family for an adapter: narrow on a software rasterizer, wide on hardware. The
    /// environment variable `HEARTH_KERNELS=narrow|wide` overrides it (native tests and benches
    /// run both families on one adapter).
    pub fn for_adapter(software: bool) -> Family {
        match std::env::var("HEARTH_KERNELS").as_deref() {
            Ok("wide") => Family::Wide,
            Ok("narrow") => Family::Narrow,
            _ if software => Family::Narrow,
            _ => Family::Wide,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Family::Narrow => "narrow",
            Family::Wide => "wide",
        }
    }
}

/// WebGPU's default `maxStorageBufferBindingSize` (128 MiB), what phones often expose: no weight
/// buffer hearth binds is larger, whatever the adapter offers, so a model that loads here loads
/// on a device requested with the default limits.
pub const DEFAULT_MAX_BINDING: u64 = 128 << 20;

/// What a GEMV or matmul adds to its output in the same launch (shaders/epilogue.wgsl).
pub enum Add {
    Nothing,
    /// (1, rows): added to every token's output.
    Bias(Tensor<2>),
    /// (n_tok, rows): the residual stream the output joins.
    Residual(Tensor<2>),
}

/// A quantized `rows × cols` weight matrix resident on the GPU in hearth's layout (quant/mod.rs).
pub struct QuantMatrix {
    pub kind: QuantKind,
    pub rows: usize,
    pub cols: usize,
    qs: GpuBuffer, // (rows, cols / 32, qs_words) u32
    sc: GpuBuffer, // packed: (rows, scale_stride(cols)) u32; sub-blocks: (rows, cols / 32, sc_words) u32
    /// Bound as the epilogue's `add` when nothing is added (never read; a binding of its own,
    /// since WebGPU refuses a dispatch whose writable bindings overlap).
    nothing: GpuBuffer, // (4) u32
    /// The kernel shapes its launches use (`Narrow` unless set with `with_family`).
    pub family: Family,
    /// The wide GEMV adds a row's lanes with subgroup shuffles (`gemv_wide_subgroup`): the
    /// device's `subgroups` by default, or as set with `with_subgroups`.
    pub subgroups: bool,
}

impl QuantMatrix {
    /// Repack GGUF bytes of a `rows × cols` matrix and upload them.
    pub fn upload(device: &Device, kind: QuantKind, bytes: &[u8], rows: usize, cols: usize) -> Result<Self, HearthError> {
        let layout = kind.repack(bytes, rows, cols)?;
        Ok(QuantMatrix {
            kind,
            rows,
            cols,
            qs: gpu::upload_u32(device, layout.qs)?,
            sc: gpu::upload_u32(device, layout.sc)?,
            nothing: gpu::upload_u32(device, vec![0; 4])?,
            family: Family::Narrow,
            subgroups: gpu::subgroups(),
        })
    }

    /// The same matrix as consecutive row ranges whose buffers each fit in `max_binding` bytes
    /// (one part when it fits): a matrix larger than the device's binding limit (Qwen2.5-Coder's
    /// 151936×896 output, 136 MiB of values) still loads and runs. Parts repack one at a time.
    pub fn upload_split(device: &Device, kind: QuantKind, bytes: &[u8], rows: usize, cols: usize, max_binding: u64) -> Result<Vec<Self>, HearthError> {
        if !kind.fits(cols) {
            return Err(HearthError::UnsupportedModel(format!("row length {cols} is not whole {kind:?} blocks")));
        }
        let row_gpu_bytes = (cols / QK * kind.qs_words() * 4).max(crate::quant::scale_stride(cols) * 4) as u64;
        let per_part = (max_binding / row_gpu_bytes).max(1) as usize;
        // Equal parts (the last a little shorter), each a multiple of 64 rows where possible.
        let n_parts = rows.div_ceil(per_part);
        let part_rows = rows.div_ceil(n_parts).next_multiple_of(64).min(per_part);
        let row_bytes = kind.row_bytes(cols);
        (0..rows)
            .step_by(part_rows)
            .map(|r0| {
                let n = part_rows.min(rows - r0);
                Self::upload(device, kind, &bytes[r0 * row_bytes..(r0 + n) * row_bytes], n, cols)
            })
            .collect()
    }

    /// The same matrix launched in `family`'s shapes.
    pub fn with_family(mut self, family: Family) -> Self {
        self.family = family;
        self
    }

    /// The wide GEMV with subgroup shuffles (`true`, on a device that has them) or the
    /// workgroup-memory tree (`false`): tests and benchmarks run both on one device.
    pub fn with_subgroups(mut self, on: bool) -> Self {
        self.subgroups = on;
        self
    }

    /// Bytes of the larger of its two buffers (what must fit the binding limit).
    pub fn largest_binding(&self) -> usize {
        self.qs.n_bytes.max(self.sc.n_bytes)
    }

    /// Bytes the GPU reads per pass over the weights.
    pub fn gpu_bytes(&self) -> usize {
        self.qs.n_bytes + self.sc.n_bytes
    }

    /// y = x · Wᵀ: x (n_tok, cols) → y (n_tok, rows). One token runs the GEMV, more the matmul.
    pub fn forward(&self, x: Tensor<2>) -> Result<Tensor<2>, HearthError> {
        self.run(x, Input::Plain, Add::Nothing, false)
    }

    /// Always the matmul kernel, whatever `n_tok` is (tests and benchmarks pin the kernel).
    pub fn forward_matmul(&self, x: Tensor<2>) -> Result<Tensor<2>, HearthError> {
        self.run(x, Input::Plain, Add::Nothing, true)
    }

    /// y = x · Wᵀ + `add`, in one launch (shaders/epilogue.wgsl); `force_matmul` as above.
    pub fn forward_add(&self, x: Tensor<2>, add: Add, force_matmul: bool) -> Result<Tensor<2>, HearthError> {
        self.run(x, Input::Plain, add, force_matmul)
    }

    /// y = `input`(x) · Wᵀ + `add`: in one launch where the kernel takes the input itself
    /// (`fuses_input`), else after the input's own kernel.
    pub fn forward_from(&self, x: Tensor<2>, input: Input<'_>, add: Add) -> Result<Tensor<2>, HearthError> {
        self.run(x, input, add, false)
    }

    /// Whether a launch of `n_tok` tokens applies an `Input` inside the kernel (the wide GEMV,
    /// unless `set_fused_inputs(false)`).
    pub fn fuses_input(&self, n_tok: usize) -> bool {
        n_tok == 1 && self.family == Family::Wide && inputs::fused()
    }

    /// Write x · Wᵀ + `add` into columns `col .. col + rows` of `out` (n_tok, out_cols), in one
    /// launch: the parts of one layer fill a shared output without a concatenation. The caller
    /// owns `out` (made by `gpu::empty`) and fills every column exactly once.
    pub fn forward_into(&self, x: Tensor<2>, input: Input<'_>, add: Add, out: &Tensor<2>, col: usize, force_matmul: bool) -> Result<(), HearthError> {
        let [n_tok, out_cols] = out.dims();
        if x.dims()[0] != n_tok || col + self.rows > out_cols {
            return Err(HearthError::InvalidRequest(format!("writing {}×{} at column {col} of a {n_tok}×{out_cols} output", x.dims()[0], self.rows)));
        }
        let out = gpu::primitive(out.clone())?;
        self.launch(x, input, add, force_matmul, Some((&out, out_cols as u32, col as u32))).map(|_| ())
    }

    fn run(&self, x: Tensor<2>, input: Input<'_>, add: Add, force_matmul: bool) -> Result<Tensor<2>, HearthError> {
        self.launch(x, input, add, force_matmul, None)?.ok_or_else(|| HearthError::InvalidRequest("no output".into()))
    }

    /// The launch behind `run` (a new output) and `forward_into` (`into`: an output, its row
    /// stride and this matrix's first column in it).
    fn launch(&self, x: Tensor<2>, input: Input<'_>, add: Add, force_matmul: bool, into: Option<(&CubeTensor, u32, u32)>) -> Result<Option<Tensor<2>>, HearthError> {
        let [n_tok, cols] = x.dims();
        if cols != input.width(self.cols) || n_tok == 0 {
            return Err(HearthError::InvalidRequest(format!("input is {n_tok}×{cols}, weight takes {} columns", self.cols)));
        }
        if let Input::Norm(w, _) = input {
            if w.dims() != [self.cols] {
                return Err(HearthError::InvalidRequest(format!("a norm of {:?} before a matrix of {} columns", w.dims(), self.cols)));
            }
        }
        let (x, input) = if self.fuses_input(n_tok) && !force_matmul { (x, input) } else { (input.apply(x)?, Input::Plain) };
        let (add, stride) = match add {
            Add::Nothing => (None, 0),
            Add::Bias(b) if b.dims() == [1, self.rows] => (Some(gpu::primitive(b)?), 0),
            Add::Residual(r) if r.dims() == [n_tok, self.rows] => (Some(gpu::primitive(r)?), self.rows as u32),
            Add::Bias(t) | Add::Residual(t) => {
                return Err(HearthError::InvalidRequest(format!("adding {:?} to a {n_tok}×{} output", t.dims(), self.rows)));
            }
        };
        let x = gpu::primitive(x)?;
        let (kernel, groups) = if n_tok == 1 && !force_matmul && self.family == Family::Wide {
            let lanes = wide_lanes(self.cols);
            let k = Kernel::new(gemv_wide::wgsl(self.kind, input.kind(), self.subgroups), &[("lanes", lanes), ("workgroup_size", WIDE_WORKGROUP)]);
            (k, (self.rows.div_ceil((WIDE_WORKGROUP / lanes) as usize) as u32, 1, 1))
        } else if n_tok == 1 && !force_matmul {
            let (r, wg) = (GEMV_ROWS, if self.rows >= GEMV_LARGE_ROWS { GEMV_WORKGROUP_LARGE } else { GEMV_WORKGROUP_SMALL });
            let k = Kernel::new(gemv::wgsl(self.kind), &[("rows_per_invocation", r), ("workgroup_size", wg)]);
            (k, (self.rows.div_ceil((r * wg) as usize) as u32, 1, 1))
        } else if self.family == Family::Wide {
            let k = Kernel::new(matmul_wide::wgsl(self.kind), &[("workgroup_size", WIDE_WORKGROUP)]);
            (k, (self.rows.div_ceil(WIDE_TILE) as u32, n_tok.div_ceil(WIDE_TILE) as u32, 1))
        } else {
            let tokens = matmul_tokens(n_tok);
            let k = Kernel::new(
                matmul::wgsl(self.kind),
                &[("rows_per_invocation", MATMUL_ROWS), ("tokens_per_invocation", tokens), ("workgroup_size", MATMUL_WORKGROUP)],
            );
            let row_groups = self.rows.div_ceil((MATMUL_ROWS * MATMUL_WORKGROUP) as usize) as u32;
            (k, (row_groups, n_tok.div_ceil(tokens as usize) as u32, 1))
        };
        let (y_stride, y_offset) = into.map_or((self.rows as u32, 0), |(_, s, o)| (s, o));
        let eps = match input {
            Input::Norm(_, eps) => (eps as f32).to_bits(),
            _ => 0,
        };
        let params = [self.rows as u32, self.cols as u32, n_tok as u32, stride, add.is_some() as u32, y_stride, y_offset, eps];
        let add = match &add {
            Some(t) => Arg::Tensor(t),
            None => Arg::Buffer(&self.nothing),
        };
        let norm = match input {
            Input::Norm(w, _) => Some(gpu::primitive(w.clone())?),
            _ => None,
        };
        let mut inputs = vec![Arg::Buffer(&self.qs), Arg::Buffer(&self.sc), Arg::Tensor(&x), add];
        inputs.extend(norm.as_ref().map(Arg::Tensor));
        Ok(match into {
            Some((out, _, _)) => {
                inputs.push(Arg::Tensor(out));
                gpu::launch_in_place(&kernel, groups, &inputs, &params, &x);
                None
            }
            None => Some(gpu::launch(&kernel, groups, &inputs, [n_tok, self.rows], &params, &x)),
        })
    }
}

/// Sum (wrapping) of `src` read with the plain read kernel, `per` vec4 loads an invocation:
/// returns each invocation's partial sum (as f32 bits), for the CPU twin to check.
pub fn read_bandwidth(src: &GpuBuffer, per: usize, like: &Tensor<1>) -> Result<Tensor<1>, HearthError> {
    let n4 = src.n_bytes / 16;
    let n_inv = n4.div_ceil(per);
    let like = gpu::primitive(like.clone())?;
    let kernel = Kernel::new(read_bandwidth::WGSL, &[("workgroup_size", READ_WORKGROUP)]);
    let groups = (n_inv.div_ceil(READ_WORKGROUP as usize) as u32, 1, 1);
    Ok(gpu::launch(&kernel, groups, &[Arg::Buffer(src)], [n_inv], &[n4 as u32, per as u32], &like))
}

/// CPU twin of `read_bandwidth`: the wrapping sum of all words.
pub fn read_bandwidth_reference(words: &[u32]) -> u32 {
    words.iter().fold(0u32, |a, &w| a.wrapping_add(w))
}
