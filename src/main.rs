fn main() { eprintln!("emotrace: being assembled"); }
