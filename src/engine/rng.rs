//! Random streams: one per (seed, trial, purpose).
//!
//! Every trial draws from its own streams, derived from the run's seed, the trial's
//! index and a purpose (a parameter's key path, a hazard's name, a project's name), so
//! results cannot depend on threads or batching, and two scenarios that define the same
//! thing draw the same numbers for it (common random numbers). The generator is
//! Xoshiro256++ from `rand_xoshiro` (version pinned), seeded through `seed_from_u64`.

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

/// The generator used for all results.
pub type Stream = Xoshiro256PlusPlus;

/// A stable 64-bit identifier of a purpose (FNV-1a of its name).
pub fn purpose(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

/// SplitMix64's finaliser: a bijective mix of 64 bits.
pub fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The stream for `purpose` in trial `trial` of a run seeded with `seed`.
pub fn stream(seed: u64, trial: u64, purpose: u64) -> Stream {
    let key = mix(seed ^ mix(purpose.wrapping_add(mix(trial.wrapping_add(0x9e37_79b9_7f4a_7c15)))));
    Xoshiro256PlusPlus::seed_from_u64(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngExt;

    #[test]
    fn streams_differ_by_trial_and_purpose_and_repeat_exactly() {
        let a: u64 = stream(1, 0, purpose("x")).random();
        let b: u64 = stream(1, 1, purpose("x")).random();
        let c: u64 = stream(1, 0, purpose("y")).random();
        let d: u64 = stream(2, 0, purpose("x")).random();
        let again: u64 = stream(1, 0, purpose("x")).random();
        assert_eq!(a, again);
        assert!(a != b && a != c && a != d && b != c);
    }

    #[test]
    fn value_stability_of_the_stream_derivation() {
        // Fixes the derivation: changing it silently would change every published result.
        let v: u64 = stream(20_250_908, 7, purpose("hazards[bla]")).random();
        assert_eq!(v, STABLE);
    }
    const STABLE: u64 = 11_657_200_435_106_815_482;
}
