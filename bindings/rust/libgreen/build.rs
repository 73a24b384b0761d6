// SPDX-License-Identifier: MIT

//! Records an rpath to the libgreen directory found by `libgreen-sys`, so
//! that this crate's tests, doc tests, examples and benchmarks load the
//! library without LD_LIBRARY_PATH.
fn main() {
    println!("cargo:rerun-if-env-changed=DEP_GREEN_LIBDIR");
    if let Ok(dir) = std::env::var("DEP_GREEN_LIBDIR") {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
    }
}
