//! Picking the next token from logits: repetition penalty, then greedy or temperature → top-k →
//! top-p → a draw from a seeded RNG. Greedy (temperature 0) breaks ties toward the lowest id.

#[derive(Debug, Clone, PartialEq)]
pub struct SamplerConfig {
    /// 0 → greedy.
    pub temperature: f32,
    /// 0 → off.
    pub top_k: usize,
    /// 1 → off.
    pub top_p: f32,
    /// 1 → off. llama.cpp's rule: a seen token's logit is divided by it if positive, else multiplied.
    pub repeat_penalty: f32,
    /// How many recent tokens the penalty looks at.
    pub repeat_last_n: usize,
    pub seed: u64,
}

impl Default for SamplerConfig {
    fn default() -> Self {
        SamplerConfig { temperature: 0.0, top_k: 40, top_p: 0.95, repeat_penalty: 1.0, repeat_last_n: 64, seed: 0 }
    }
}

impl SamplerConfig {
    pub fn greedy() -> Self {
        SamplerConfig { temperature: 0.0, ..Default::default() }
    }
}

/// SplitMix64: small, fast, and the same stream on every platform for a given seed.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

pub struct Sampler {
    pub config: SamplerConfig,
    rng: Rng,
}

impl Sampler {
    pub fn new(config: SamplerConfig) -> Self {
        let rng = Rng::new(config.seed);
        Sampler { config, rng }
    }

    /// Choose a token from `logits` (modified in place by the penalty); `recent` are the ids
    /// generated or consumed so far, most recent last.
    pub fn sample(&mut self, logits: &mut [f32], recent: &[u32]) -> u32 {
        let c = &self.config;
        if c.repeat_penalty != 1.0 {
            let from = recent.len().saturating_sub(c.repeat_last_n);
            let mut seen: Vec<u32> = recent[from..].to_vec();
            seen.sort_unstable();
            seen.dedup();
            for id in seen {
                if let Some(l) = logits.get_mut(id as usize) {
                    *l = if *l > 0.0 { *l / c.repeat_penalty } else { *l * c.repeat_penalty };
                }
            }
        }
        if c.temperature <= 0.0 {
            return argmax(logits);
        }
        let cand = candidates(logits, c.temperature, c.top_k);
        let max = cand[0].1;
        let mut probs: Vec<f64> = cand.iter().map(|&(_, l)| ((l - max) as f64).exp()).collect();
        let total: f64 = probs.iter().sum();
        probs.iter_mut().for_each(|p| *p /= total);
        if c.top_p < 1.0 {
            let mut cum = 0.0;
            let keep = probs.iter().position(|&p| {
                cum += p;
                cum >= c.top_p as f64
            });
            let keep = keep.map_or(probs.len(), |i| i + 1);
            probs.truncate(keep);
            let total: f64 = probs.iter().sum();
            probs.iter_mut().for_each(|p| *p /= total);
        }
        let mut u = self.rng.next_f64();
        for (i, p) in probs.iter().enumerate() {
            if u < *p {
                return cand[i].0;
            }
            u -= p;
        }
        cand[probs.len() - 1].0
    }
}

/// A candidate token (id, logit / temperature), ordered best first: higher logit, then lower id.
#[derive(Clone, Copy)]
struct Cand(u32, f32);

impl Ord for Cand {
    /// `Less` = better: a max-heap of `Cand` keeps its worst on top.
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        other.1.total_cmp(&self.1).then(self.0.cmp(&other.0))
    }
}
impl PartialOrd for Cand {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl PartialEq for Cand {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}
impl Eq for Cand {}

/// The `top_k` best tokens (all if 0 or more than the vocabulary), best first, as (id, logit /
/// temperature). One pass with a heap of k: a token worse than the k-th so far costs one
/// comparison, where a selection over the whole vocabulary (49152–151936) built and moved a pair
/// a token, every step of a sampled completion.
fn candidates(logits: &[f32], temperature: f32, top_k: usize) -> Vec<(u32, f32)> {
    let all = logits.iter().enumerate().map(|(i, &l)| Cand(i as u32, l / temperature));
    let mut cand = if top_k == 0 || top_k >= logits.len() {
        all.collect::<Vec<_>>()
    } else {
        let mut heap = std::collections::BinaryHeap::with_capacity(top_k);
        for c in all {
            if heap.len() < top_k {
                heap.push(c);
            } else if let Some(mut worst) = heap.peek_mut() {
                if c < *worst {
                    *worst = c;
                }
            }
        }
        heap.into_vec()
    };
    cand.sort_unstable();
    cand.into_iter().map(|Cand(i, l)| (i, l)).collect()
}

/// Index of the largest logit; ties go to the lowest id.
pub fn argmax(logits: &[f32]) -> u32 {
    let mut best = 0;
    for (i, &l) in logits.iter().enumerate() {
        if l > logits[best] {
            best = i;
        }
    }
    best as u32
}

#[cfg(test)]
mod tests {
    use super::candidates;

    /// The heap's top k are the full sort's first k, in the same order, ties (by id) included.
    #[test]
    fn top_k_candidates_are_the_sorted_vocabularys_first() {
        let mut rng = super::Rng::new(3);
        let logits: Vec<f32> = (0..5000).map(|_| (rng.next_f64() * 40.0).round() as f32 / 4.0 - 5.0).collect();
        let full = candidates(&logits, 0.7, 0);
        let mut want: Vec<(u32, f32)> = logits.iter().enumerate().map(|(i, &l)| (i as u32, l / 0.7)).collect();
        want.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        assert_eq!(full, want);
        for k in [1, 2, 40, 333, 4999, 5000, 9000] {
            assert_eq!(candidates(&logits, 0.7, k), want[..k.min(5000)], "k = {k}");
        }
    }
}
