//! Any bytes as a model file: the GGUF reader (whole, and streamed in two pieces as the store's
//! chunks come), the model config, the tokenizer built from the metadata, the weight views and a
//! short completion on the CPU backend. Every outcome but a
//! typed error or a completion is a bug (a panic, an overflow, an allocation past the limit).
#![no_main]

use hearth::cpu::{CpuOptions, Numerics};
use hearth::gguf::stream::{Sink, TensorStream};
use hearth::gguf::{Gguf, TensorInfo};
use hearth::{CompletionRequest, Engine, HearthError};

/// The streamed tensors, to compare with the whole file's.
#[derive(Default)]
struct Got(Vec<(u64, Vec<u8>)>);

impl Sink for Got {
    fn header(&mut self, _: &Gguf<'_>) -> Result<(), HearthError> {
        Ok(())
    }
    fn tensor(&mut self, t: &TensorInfo<'_>, bytes: Vec<u8>) -> Result<(), HearthError> {
        assert_eq!(bytes.len() as u64, t.n_bytes);
        self.0.push((t.offset, bytes));
        Ok(())
    }
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let whole = Gguf::parse(data);
    if let Ok(g) = &whole {
        for t in g.tensors() {
            assert_eq!(g.tensor_data(t).len() as u64, t.n_bytes);
        }
    }
    // Streamed in two pieces split where the first byte says: a file the whole parse takes gives
    // every tensor's bytes exactly (bar overlapping tensors, which the stream refuses).
    let cut = data.first().map_or(0, |&b| (b as usize * 97) % (data.len() + 1));
    let mut s = TensorStream::new(data.len() as u64);
    let mut got = Got::default();
    let streamed = s.push(&data[..cut], &mut got).and_then(|()| s.push(&data[cut..], &mut got)).and_then(|()| s.finish());
    if let (Ok(g), Ok(())) = (&whole, streamed) {
        let mut want: Vec<_> = g.tensors().iter().map(|t| (g.data_start() + t.offset, g.tensor_data(t).to_vec())).collect();
        want.sort_by_key(|w| w.0);
        assert_eq!(got.0, want);
    }
    let numerics = if data.len() % 2 == 0 { Numerics::Int8 } else { Numerics::Exact };
    let Ok(mut engine) = Engine::load_cpu_with(data.to_vec(), 32, CpuOptions { numerics, threads: 1 }) else { return };
    let mut req = CompletionRequest::greedy("def f", 3);
    req.suffix = Some("\n".into());
    match engine.complete(&req, &mut |_| {}) {
        Ok(c) => assert!(c.generated_ids.len() <= 3),
        Err(e) => assert!(!e.code().is_empty()),
    }
});
