//! With the `onednn` feature, compiles `src/kernels/onednn.cpp` (oneDNN's convolutions behind
//! three C functions) and links oneDNN; without it, does nothing.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    #[cfg(feature = "onednn")]
    {
        println!("cargo:rerun-if-changed=src/kernels/onednn.cpp");
        cc::Build::new()
            .cpp(true)
            .file("src/kernels/onednn.cpp")
            .flag("-std=c++17")
            .warnings(true)
            .compile("ganc_onednn");
        println!("cargo:rustc-link-lib=dnnl");
    }
}
