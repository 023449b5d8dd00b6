//! Speculative decoding from the context (prompt-lookup decoding): code repeats its identifiers
//! and lines, so the tokens that followed the last earlier occurrence of the current n-gram are a
//! free draft of what comes next. The engine runs the draft through the model in the same pass as
//! the token before it (a batch reads the weights once, which is what a CPU decode step spends its
//! time on) and keeps the drafts the model's own greedy choice agrees with, so the output is
//! exactly the greedy output; a wrong draft only costs its share of that pass.

use std::collections::VecDeque;

/// The n-gram lengths looked up, longest first.
pub const MAX_NGRAM: usize = 4;
pub const MIN_NGRAM: usize = 2;
/// Most draft tokens verified in one pass.
pub const MAX_DRAFT: usize = 5;
/// How far back the lookup searches (tokens): bounds its cost per step.
pub const LOOKBACK: usize = 4096;

/// Up to `max` tokens that followed the most recent earlier occurrence of the longest suffix
/// n-gram of `history` (`MIN_NGRAM..=MAX_NGRAM` tokens, within `LOOKBACK`); empty when none.
pub fn draft(history: &[u32], max: usize) -> Vec<u32> {
    let w = &history[history.len().saturating_sub(LOOKBACK)..];
    if max == 0 {
        return Vec::new();
    }
    for n in (MIN_NGRAM..=MAX_NGRAM).rev() {
        if w.len() <= n {
            continue;
        }
        let tail = &w[w.len() - n..];
        // Starts whose n-gram ends before the tail does, latest first.
        if let Some(i) = (0..w.len() - n).rev().find(|&i| &w[i..i + n] == tail) {
            let from = i + n;
            return w[from..(from + max).min(w.len())].to_vec();
        }
    }
    Vec::new()
}

/// How many drafts a pass starts with; then one more than the last pass had accepted, so a
/// context that stops repeating itself soon costs one draft token a pass, not `MAX_DRAFT`.
const FIRST_DRAFT: usize = 3;

/// Draft tokens already run through the model — in the KV cache past the accepted ids — each
/// with the logits that follow it, in order; and how long the next draft should be.
pub struct Pending {
    items: VecDeque<(u32, Vec<f32>)>,
    issued: usize,
    taken: usize,
    next: usize,
}

impl Default for Pending {
    fn default() -> Self {
        Pending { items: VecDeque::new(), issued: 0, taken: 0, next: FIRST_DRAFT }
    }
}

impl Pending {
    /// The logits after the next draft token, when the model chose that token.
    pub fn take_if(&mut self, token: u32) -> Option<Vec<f32>> {
        match self.items.front() {
            Some(&(t, _)) if t == token => {
                self.taken += 1;
                self.items.pop_front().map(|(_, l)| l)
            }
            _ => None,
        }
    }

    /// The longest draft worth verifying next: one more than the last pass's accepted drafts.
    pub fn next_len(&mut self) -> usize {
        if self.issued > 0 && self.items.is_empty() {
            self.next = (self.taken + 1).clamp(1, MAX_DRAFT);
        }
        self.next
    }

    pub fn fill(&mut self, drafts: impl ExactSizeIterator<Item = (u32, Vec<f32>)>) {
        self.issued = drafts.len();
        self.taken = 0;
        self.items.extend(drafts);
    }

    /// Forget the remaining drafts; how many there were (the caller drops them from the cache).
    pub fn clear(&mut self) -> usize {
        let n = self.items.len();
        self.items.clear();
        self.next_len();
        n
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drafts_follow_the_latest_longest_match() {
        // ... 1 2 3 [7 8] ... 1 2 3 [9 9] ... 1 2 3  → the latest match of (1 2 3) drafts 9 9
        let h = [1, 2, 3, 7, 8, 0, 1, 2, 3, 9, 9, 5, 1, 2, 3];
        assert_eq!(draft(&h, 2), vec![9, 9]);
        assert_eq!(draft(&h, 10), vec![9, 9, 5, 1, 2, 3]);
        // no repeated bigram: no draft; a single repeated token is not enough
        assert_eq!(draft(&[1, 2, 3, 4, 1], 4), Vec::<u32>::new());
        assert_eq!(draft(&[5, 6, 7, 5, 6], 4), vec![7, 5, 6]);
        assert_eq!(draft(&[5, 6, 7, 5, 6], 0), Vec::<u32>::new());
        assert_eq!(draft(&[], 3), Vec::<u32>::new());
    }

    #[test]
    fn pending_drafts_are_taken_in_order_until_one_is_wrong() {
        let mut p = Pending::default();
        assert_eq!(p.next_len(), FIRST_DRAFT);
        p.fill([(4, vec![0.4]), (5, vec![0.5]), (6, vec![0.6])].into_iter());
        assert_eq!(p.take_if(4), Some(vec![0.4]));
        assert_eq!(p.take_if(9), None);
        assert_eq!(p.clear(), 2);
        assert!(p.is_empty());
        assert_eq!(p.next_len(), 2, "one accepted: two next");
        p.fill([(1, vec![]), (2, vec![])].into_iter());
        assert!(p.take_if(1).is_some() && p.take_if(2).is_some());
        assert_eq!(p.next_len(), 3, "all accepted: one more");
    }
}
