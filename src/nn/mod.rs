//! CPU building blocks for the networks emotrace runs (the FER2013 emotion classifiers in [`crate::classify`] and
//! the YuNet face detector in [`crate::detect`]): candle custom ops for the layers candle lacks a fast CPU path
//! for, and weight-layout helpers. Activations are NCHW `f32` tensors on the CPU.

pub mod layers;

/// Keeps candle's own elementwise thread pool (its "barrier pool", `candle-bp-N` threads) out of the way: unless
/// `CANDLE_NUM_THREADS` is set, it is set to 1, so candle runs large elementwise ops on the calling thread.
///
/// emotrace already splits the work over threads of its own (two emotion workers, one detector per core for files,
/// a detector pool at a lower priority for live sources). Candle's pool has one lock for all callers and its
/// waiting callers spin: profiled on the 1080p classroom clip (2 cores), its spinning and the contention between the
/// two emotion workers were about 11% of all CPU time, and for live sources its thread ran the detector's work at
/// normal priority. Call once at start-up, before any thread is started.
pub fn keep_candle_on_our_threads() {
    if std::env::var_os("CANDLE_NUM_THREADS").is_none() {
        std::env::set_var("CANDLE_NUM_THREADS", "1");
    }
}

/// Tells glibc's allocator to keep freed memory for reuse instead of returning every large block to the system.
///
/// Each network layer allocates its output (a few MB for a 1080p detector input); by default glibc serves
/// blocks over 128 KB with `mmap` and unmaps them on free, so every frame paid for fresh zeroed pages: page
/// faults were about a quarter of YuNet's time on a 1920x1376 image. With a 256 MB threshold the blocks come
/// from the heap and are reused. Call once at start-up; a no-op outside glibc.
pub fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator tuning parameters; called before threads allocate heavily.
    unsafe {
        const LIMIT: libc::c_int = 256 << 20;
        libc::mallopt(libc::M_MMAP_THRESHOLD, LIMIT);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 2 * LIMIT);
    }
}
