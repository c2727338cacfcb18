//! CPU building blocks for the networks emotrace runs (the FER2013 emotion classifiers in [`crate::classify`] and
//! the YuNet face detector in [`crate::detect`]): candle custom ops for the layers candle lacks a fast CPU path
//! for, and weight-layout helpers. Activations are NCHW `f32` tensors on the CPU.

pub mod layers;

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
