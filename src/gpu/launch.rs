//! Launching hand-written WGSL on burn's buffers (burn's `template` path), and moving data
//! between host vectors and burn tensors.

use crate::error::HearthError;
use burn::backend::wgpu::{into_contiguous, CubeBackend, CubeTensor, KernelSource, SourceKernel, SourceTemplate};
use cubecl::prelude::KernelId;
use cubecl::server::{Handle, KernelArguments};
use cubecl::{CubeCount, CubeDim};
use burn::tensor::{DType, Device, Shape, Tensor, TensorData};
use std::collections::HashMap;
use std::sync::Mutex;

/// One WGSL file: its kernel name and its text.
#[derive(Clone, Copy, Debug)]
pub struct Wgsl {
    pub name: &'static str,
    pub source: &'static str,
}

/// A kernel as launched: a WGSL file with its `{{ name }}` template values filled in.
/// `workgroup_size` is always one of them (the file's `@workgroup_size({{ workgroup_size }})`).
#[derive(Clone, Debug)]
pub struct Kernel {
    pub wgsl: Wgsl,
    pub values: Vec<(&'static str, u32)>,
}

impl Kernel {
    pub fn new(wgsl: Wgsl, values: &[(&'static str, u32)]) -> Self {
        Kernel { wgsl, values: values.to_vec() }
    }

    pub fn value(&self, name: &str) -> u32 {
        self.values.iter().find(|(n, _)| *n == name).map_or(1, |(_, v)| *v)
    }
}

impl KernelSource for Kernel {
    fn source(&self) -> SourceTemplate {
        self.values
            .iter()
            .fold(SourceTemplate::new(self.wgsl.source), |t, (name, value)| t.register(*name, value.to_string()))
    }
    /// The compile-cache key: the file and every template value.
    fn id(&self) -> KernelId {
        KernelId::new::<Kernel>().info((self.wgsl.name, self.values.clone()))
    }
    fn lang(&self) -> &'static str {
        "wgsl"
    }
}

/// A raw GPU buffer (weights, parameters), kept alive as long as this value.
#[derive(Clone)]
pub struct GpuBuffer {
    handle: Handle,
    pub n_bytes: usize,
}

/// What a kernel binds, in binding order.
#[derive(Clone, Copy)]
pub enum Arg<'a> {
    Buffer(&'a GpuBuffer),
    Tensor(&'a CubeTensor),
}

fn client_of(device: &Device) -> Result<cubecl::client::Client, HearthError> {
    // An empty tensor is the one public road from a burn Device to its cubecl client.
    let probe: Tensor<1> = Tensor::empty([1], device);
    Ok(primitive(probe)?.client)
}

/// Upload u32 words as a raw buffer. The words are handed to cubecl as they are, not copied: a
/// repacked matrix costs its own size in host memory while it uploads, not three times it.
pub fn upload_u32(device: &Device, words: Vec<u32>) -> Result<GpuBuffer, HearthError> {
    let client = client_of(device)?;
    let n_bytes = words.len() * 4;
    Ok(GpuBuffer { handle: client.create(cubecl::bytes::Bytes::from_elems(words)), n_bytes })
}

/// A float tensor of `shape` from host data.
pub fn tensor_from_f32<const D: usize>(device: &Device, data: Vec<f32>, shape: [usize; D]) -> Tensor<D> {
    Tensor::from_data(TensorData::new(data, shape), device)
}

/// The cubecl primitive behind a float tensor, made contiguous.
pub fn primitive<const D: usize>(t: Tensor<D>) -> Result<CubeTensor, HearthError> {
    let p = t
        .try_into_primitive::<CubeBackend>()
        .map_err(|e| HearthError::GpuUnavailable(format!("tensor is not on the wgpu backend: {e:?}")))?;
    Ok(into_contiguous(p))
}

/// Launch `kernel` over `groups` workgroups with `inputs` bound in order, then a new contiguous
/// f32 output of `out_shape`, then `params` (small u32 array, cached); returns the output.
pub fn launch<const D: usize>(
    kernel: &Kernel,
    groups: (u32, u32, u32),
    inputs: &[Arg<'_>],
    out_shape: [usize; D],
    params: &[u32],
    like: &CubeTensor,
) -> Tensor<D> {
    let client = like.client.clone();
    let n_out: usize = out_shape.iter().product();
    let out = CubeTensor::new_contiguous(client.clone(), like.device.clone(), Shape::from(out_shape), client.empty(n_out * 4), DType::F32);
    let mut args: Vec<Arg<'_>> = Vec::with_capacity(inputs.len() + 1);
    args.extend_from_slice(inputs);
    args.push(Arg::Tensor(&out));
    launch_in_place(kernel, groups, &args, params, like);
    Tensor::from_primitive::<CubeBackend>(out)
}

static LAUNCHES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// hearth's own kernel launches so far in this process (benchmarks report launches a token;
/// burn's own ops, such as a residual add, are not counted).
pub fn launches() -> u64 {
    LAUNCHES.load(std::sync::atomic::Ordering::Relaxed)
}

/// Launch `kernel` with `args` bound in order and `params` last; it writes into its arguments.
pub fn launch_in_place(kernel: &Kernel, groups: (u32, u32, u32), args: &[Arg<'_>], params: &[u32], like: &CubeTensor) {
    LAUNCHES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let client = &like.client;
    let mut bindings = Vec::with_capacity(args.len() + 1);
    for a in args {
        bindings.push(match a {
            Arg::Buffer(b) => b.handle.clone().binding(),
            Arg::Tensor(t) => t.handle.clone().binding(),
        });
    }
    bindings.push(params_buffer(client, params).binding());
    client.launch(
        Box::new(SourceKernel::new(kernel.clone(), CubeDim::new_1d(kernel.value("workgroup_size")))),
        CubeCount::Static(groups.0, groups.1, groups.2),
        KernelArguments::new().with_buffers(bindings),
    );
}

/// Parameter buffers are immutable and repeat from token to token (shapes), so each distinct
/// one is uploaded once; the cache is bounded (attention's position makes some unique).
const PARAM_CACHE_LIMIT: usize = 4096;

static PARAMS: Mutex<Option<HashMap<Vec<u32>, Handle>>> = Mutex::new(None);

/// Drop the cached parameter buffers: they live on a device that was lost (called when a new
/// device is made; the cache holds one device's buffers).
#[cfg_attr(not(target_family = "wasm"), allow(dead_code))]
pub fn forget_params() {
    if let Ok(mut guard) = PARAMS.lock() {
        *guard = None;
    }
}

fn params_buffer(client: &cubecl::client::Client, params: &[u32]) -> Handle {
    let make = || {
        let bytes: Vec<u8> = params.iter().flat_map(|w| w.to_le_bytes()).collect();
        client.create_from_slice(&bytes)
    };
    let Ok(mut guard) = PARAMS.lock() else { return make() };
    let cache = guard.get_or_insert_with(HashMap::new);
    if let Some(h) = cache.get(params) {
        return h.clone();
    }
    if cache.len() >= PARAM_CACHE_LIMIT {
        cache.clear();
    }
    let h = make();
    cache.insert(params.to_vec(), h.clone());
    h
}

/// Read a float tensor back (native: blocks).
#[cfg(not(target_family = "wasm"))]
pub fn read_f32<const D: usize>(t: Tensor<D>) -> Result<Vec<f32>, HearthError> {
    let data = t.try_into_data().map_err(|e| HearthError::DeviceLost(format!("{e:?}")))?;
    to_vec(data)
}

/// Read a float tensor back without blocking (the only way in a browser).
pub async fn read_f32_async<const D: usize>(t: Tensor<D>) -> Result<Vec<f32>, HearthError> {
    let data = t.into_data_async().await.map_err(|e| HearthError::DeviceLost(format!("{e:?}")))?;
    to_vec(data)
}

fn to_vec(data: TensorData) -> Result<Vec<f32>, HearthError> {
    data.as_slice::<f32>()
        .map(|s| s.to_vec())
        .map_err(|e| HearthError::DeviceLost(format!("readback: {e:?}")))
}
