//! An engine loaded on the GPU from a GGUF that arrives in pieces (the store's chunks, or a
//! file held whole): the header gives the tokenizer and the configuration, and each tensor goes
//! to the GPU as soon as its layer is whole (`model::builder`). The file is never held whole,
//! so wasm memory peaks at about the largest tensor and the token embedding, not the file.

use crate::engine::{model_name, Engine};
use crate::error::HearthError;
use crate::gguf::stream::{Sink, TensorStream};
use crate::gguf::{Gguf, TensorInfo};
use crate::gpu::Gpu;
use crate::kernels::Family;
use crate::model::builder::Builder;
use crate::tokenizer::Tokenizer;

pub struct GpuLoad {
    stream: TensorStream,
    sink: LoadSink,
}

struct LoadSink {
    gpu: Gpu,
    family: Family,
    /// From the header, once it has come.
    head: Option<(Tokenizer, String, Builder)>,
}

impl Sink for LoadSink {
    fn header(&mut self, g: &Gguf<'_>) -> Result<(), HearthError> {
        let tokenizer = Tokenizer::from_gguf(g)?;
        let builder = Builder::new(g, &self.gpu, self.family)?;
        self.head = Some((tokenizer, model_name(g), builder));
        Ok(())
    }

    fn tensor(&mut self, t: &TensorInfo<'_>, bytes: Vec<u8>) -> Result<(), HearthError> {
        match &mut self.head {
            Some((_, _, b)) => b.tensor(t, bytes),
            None => Err(HearthError::InvalidRequest("a tensor before the header".into())),
        }
    }
}

impl GpuLoad {
    /// A load of a `file_len`-byte GGUF onto `gpu`, with `family`'s kernels.
    pub fn new(file_len: u64, gpu: &Gpu, family: Family) -> Self {
        GpuLoad { stream: TensorStream::new(file_len), sink: LoadSink { gpu: gpu.clone(), family, head: None } }
    }

    /// The file's next bytes, in order.
    pub fn push(&mut self, bytes: &[u8]) -> Result<(), HearthError> {
        self.stream.push(bytes, &mut self.sink)
    }

    /// Bytes pushed so far.
    pub fn position(&self) -> u64 {
        self.stream.position()
    }

    /// The most file bytes this load held at once, at most: the header or the tensor being
    /// gathered, plus the tensors of layers waiting for their last one.
    pub fn peak_held(&self) -> usize {
        self.stream.peak_held() + self.sink.head.as_ref().map_or(0, |(_, _, b)| b.peak_held())
    }

    /// Every byte pushed: the engine, with a KV cache of `context` positions.
    pub fn finish(self, context: usize) -> Result<Engine, HearthError> {
        self.stream.finish()?;
        let (tokenizer, name, builder) = self.sink.head.ok_or_else(|| HearthError::InvalidRequest("no header".into()))?;
        Ok(Engine::from_gpu_model(builder.finish()?, tokenizer, &self.sink.gpu, name, context))
    }
}
