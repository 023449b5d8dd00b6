//! The format decodes every quantized kernel body is compiled with: shaders/blocks/shared.wgsl,
//! then shaders/blocks/<format>.wgsl (`block_weights` for the matmuls, `block_dot` for the
//! GEMVs). One body a kernel family and job (gemv, matmul, gemv_wide, matmul_wide) serves all six
//! formats; `assemble` puts a body and a format's decode together the first time a model launches
//! that pair, and a launch after that finds it by index.

use crate::gpu::Wgsl;
use crate::quant::QuantKind;
use std::sync::OnceLock;

/// The formats there are kernels for (`QuantKind as usize` indexes tables of this length).
pub(super) const FORMATS: usize = QuantKind::ALL.len();

macro_rules! decode {
    ($name:literal) => {
        ($name, concat!(include_str!("../../shaders/blocks/shared.wgsl"), include_str!(concat!("../../shaders/blocks/", $name, ".wgsl"))))
    };
}

/// A format's name in kernel names and its decode's source (shared.wgsl included).
pub(super) fn decode(kind: QuantKind) -> (&'static str, &'static str) {
    match kind {
        QuantKind::Q4_0 => decode!("q4_0"),
        QuantKind::Q4_1 => decode!("q4_1"),
        QuantKind::Q8_0 => decode!("q8_0"),
        QuantKind::Q5_0 => decode!("q5_0"),
        QuantKind::Q4K => decode!("q4_k"),
        QuantKind::Q6K => decode!("q6_k"),
    }
}

/// The kernel `<body_name>_<format>`: `before`, the format's decode, then `body`; made once into
/// `made[kind]`.
pub(super) fn assemble(made: &'static [OnceLock<Wgsl>; FORMATS], kind: QuantKind, body_name: &str, before: &[&str], body: &str) -> Wgsl {
    *made[kind as usize].get_or_init(|| {
        let (format, decode) = decode(kind);
        let name: &'static str = format!("{body_name}_{format}").leak();
        let source: &'static str = [before, &[decode, body]].concat().concat().leak();
        Wgsl { name, source }
    })
}
