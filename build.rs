//! Build-time check: `openh264` compiles its x86 SIMD (assembly) only when `nasm` is on PATH, and falls back to
//! plain C without a word otherwise. Say so, since that C decoder is slower (README: Measured).

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=PATH");
    let x86 = matches!(std::env::var("CARGO_CFG_TARGET_ARCH").as_deref(), Ok("x86_64" | "x86"));
    let nasm = Command::new("nasm").arg("-v").output().is_ok_and(|o| o.status.success());
    if x86 && !nasm {
        println!(
            "cargo:warning=nasm not found: openh264 builds its H.264 decoder without SIMD (slower decoding). \
             Install nasm (Debian: apt-get install nasm), then `cargo clean -p openh264-sys2` and build again."
        );
    }
}
