//! The streaming load: a GGUF arriving in pieces (the store's chunks) gives the header once and
//! every tensor whole, in file order, whatever the piece size; a cut or overlong file is a typed
//! error; and a model pushed in pieces onto the GPU computes exactly what the whole file does.
#![cfg(not(target_family = "wasm"))]

mod common;

use hearth::gguf::stream::{Sink, TensorStream};
use hearth::gguf::{GgmlType, Gguf, TensorInfo};
use hearth::kernels::Family;
use hearth::loader::GpuLoad;
use hearth::model::tiny::{tiny_model, TinySpec};
use hearth::model::Arch;
use hearth::{Engine, HearthError};

#[derive(Default)]
struct Record {
    headers: usize,
    tensors: Vec<(String, u64, Vec<u8>)>,
}

impl Sink for Record {
    fn header(&mut self, _: &Gguf<'_>) -> Result<(), HearthError> {
        self.headers += 1;
        Ok(())
    }
    fn tensor(&mut self, t: &TensorInfo<'_>, bytes: Vec<u8>) -> Result<(), HearthError> {
        assert_eq!(bytes.len() as u64, t.n_bytes, "{}", t.name);
        self.tensors.push((t.name.to_string(), t.offset, bytes));
        Ok(())
    }
}

fn push_in_pieces(bytes: &[u8], piece: usize, sink: &mut dyn Sink) -> Result<TensorStream, HearthError> {
    let mut s = TensorStream::new(bytes.len() as u64);
    for p in bytes.chunks(piece) {
        s.push(p, sink)?;
    }
    Ok(s)
}

#[test]
fn every_tensor_whole_in_file_order_whatever_the_piece_size() {
    for (arch, ty) in [(Arch::Qwen2, GgmlType::Q8_0), (Arch::Llama, GgmlType::Q4K)] {
        let bytes = tiny_model(&TinySpec { n_layer: 2, ..TinySpec::new(arch, ty) });
        let g = Gguf::parse(&bytes).expect("parse");
        let mut want: Vec<_> = g.tensors().iter().map(|t| (t.name.to_string(), g.data_start() + t.offset, g.tensor_data(t).to_vec())).collect();
        want.sort_by_key(|w| w.1);
        // 1 byte at a time; sizes that split the header, the tensors and their padding; all at once.
        for piece in [1, 3, 31, 32, 100, 4093, 65536, bytes.len()] {
            let mut r = Record::default();
            let s = push_in_pieces(&bytes, piece, &mut r).expect("push");
            s.finish().expect("finish");
            assert_eq!(r.headers, 1, "{arch:?} piece {piece}");
            assert_eq!(r.tensors, want, "{arch:?} piece {piece}");
        }
    }
}

#[test]
fn a_cut_or_overlong_file_is_an_error() {
    let bytes = tiny_model(&TinySpec::new(Arch::Qwen2, GgmlType::Q8_0));
    // Cut anywhere: the stream never finishes (header cut or a tensor missing).
    for cut in [1, 24, 200, bytes.len() / 2, bytes.len() - 1] {
        let mut r = Record::default();
        let mut s = TensorStream::new(bytes.len() as u64);
        s.push(&bytes[..cut], &mut r).expect("a prefix is no error yet");
        assert!(s.finish().is_err(), "cut at {cut}");
    }
    // More bytes than the file was said to have.
    let mut s = TensorStream::new(bytes.len() as u64 - 1);
    assert!(matches!(s.push(&bytes, &mut Record::default()), Err(HearthError::BadModel(_))));
    // A file shorter than its tensors is refused once the header is whole, before their bytes.
    let header_end = Gguf::parse(&bytes).expect("parse").data_start() as usize;
    let mut s = TensorStream::new(bytes.len() as u64 - 100);
    let mut r = Record::default();
    assert!(matches!(s.push(&bytes[..header_end], &mut r), Err(HearthError::BadModel(_))));
    assert_eq!(r.headers, 0);
    // Not a GGUF: refused at once.
    let mut s = TensorStream::new(64);
    assert!(matches!(s.push(&[0u8; 64], &mut Record::default()), Err(HearthError::BadModel(_))));
}

/// Pushed onto the GPU in `piece`-byte pieces; logits for every position of `ids`.
fn logits_streamed(bytes: &[u8], gpu: &hearth::gpu::Gpu, family: Family, piece: usize, ids: &[u32]) -> Vec<f32> {
    let mut load = GpuLoad::new(bytes.len() as u64, gpu, family);
    for p in bytes.chunks(piece) {
        load.push(p).expect("push");
    }
    load.finish(64).expect("finish").logits_all(ids).expect("logits")
}

#[test]
fn a_model_pushed_in_pieces_computes_what_the_whole_file_does() {
    let Some(gpu) = common::gpu() else { return };
    // The tiny qwen2 model in both kernel families, in pieces down to 1 KiB.
    let tiny = tiny_model(&TinySpec { n_layer: 2, ..TinySpec::new(Arch::Qwen2, GgmlType::Q5_0) });
    let ids = [1u32, 40, 70, 100, 3];
    for family in [Family::Narrow, Family::Wide] {
        let whole = Engine::load_with_family(&tiny, &gpu, 64, family).expect("load").logits_all(&ids).expect("logits");
        for piece in [1024, 4093, tiny.len()] {
            assert_eq!(logits_streamed(&tiny, &gpu, family, piece, &ids), whole, "{} piece {piece}", family.name());
        }
    }
    // SmolLM2: its 1.8 MB header spans two 1 MiB + 3 pieces; tensors straddle every boundary.
    let Some(path) = common::model_path() else { return };
    let bytes = std::fs::read(path).expect("read model");
    let ids = [1604u32, 3987, 46477, 24, 94, 727];
    let whole = Engine::load_with_family(&bytes, &gpu, 64, Family::Narrow).expect("load").logits_all(&ids).expect("logits");
    assert_eq!(logits_streamed(&bytes, &gpu, Family::Narrow, (1 << 20) + 3, &ids), whole);
}

#[test]
fn a_load_in_chunks_holds_about_one_tensor_not_the_file() {
    // SmolLM2 in the store's 32 MiB chunks: what the load holds at once is bounded by its largest
    // tensor (token_embd, 30 MB) plus a layer's tensors and the header, not the 98 MB file.
    let (Some(gpu), Some(path)) = (common::gpu(), common::model_path()) else { return };
    let bytes = std::fs::read(path).expect("read model");
    let g = Gguf::parse(&bytes).expect("parse");
    let largest = g.tensors().iter().map(|t| t.n_bytes as usize).max().unwrap_or(0);
    let mut load = GpuLoad::new(bytes.len() as u64, &gpu, Family::Narrow);
    for p in bytes.chunks(32 << 20) {
        load.push(p).expect("push");
    }
    let held = load.peak_held();
    load.finish(64).expect("finish");
    let bound = largest + (8 << 20);
    eprintln!("held at most {held} bytes at once (largest tensor {largest}, file {})", bytes.len());
    assert!(held <= bound && held < bytes.len() / 2, "held {held} bytes at once: largest tensor {largest}, file {}", bytes.len());
}
