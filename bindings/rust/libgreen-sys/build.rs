// SPDX-License-Identifier: MIT

//! Finds libgreen (`libgreen.so.1`) and tells Cargo how to link it, or,
//! with the `bundled` feature, compiles it from the sources packaged in
//! `libgreen/` and links it statically. On docs.rs (`DOCS_RS` set) it does
//! nothing: documentation needs no library.
//!
//! Order of search without `bundled`:
//! 1. `LIBGREEN_DIR`, then `GREEN_BUILD_DIR`: a directory holding
//!    `libgreen.so`, or a CMake build directory of this repository (whose
//!    `libgreen/` subdirectory holds it), or an install prefix (`lib/`).
//! 2. pkg-config, package `green` (honours `PKG_CONFIG_PATH`; the build
//!    tree's `green-uninstalled.pc` works too).
//! 3. The CMake build of this repository, into `OUT_DIR` (only inside the
//!    repository: a packaged crate has no CMake project).
//!
//! The directory found is linked with an rpath and exported to dependent
//! build scripts as `DEP_GREEN_LIBDIR`; the directory of `green.h` as
//! `DEP_GREEN_INCLUDE`.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

fn has_lib(dir: &Path) -> bool {
    dir.join("libgreen.so").exists() || dir.join("libgreen.so.1").exists()
}

fn from_env() -> Option<PathBuf> {
    for var in ["LIBGREEN_DIR", "GREEN_BUILD_DIR"] {
        println!("cargo:rerun-if-env-changed={var}");
        let Some(value) = env::var_os(var) else {
            continue;
        };
        if value.is_empty() {
            continue;
        }
        let base = PathBuf::from(value);
        for dir in [
            base.clone(),
            base.join("libgreen"),
            base.join("lib"),
            base.join("lib64"),
        ] {
            if has_lib(&dir) {
                return Some(dir);
            }
        }
        println!(
            "cargo:warning={var}={} holds no libgreen.so; trying pkg-config",
            base.display()
        );
    }
    None
}

/// Library directories from `pkg-config --libs green` (-L and -rpath).
fn from_pkg_config() -> Option<Vec<PathBuf>> {
    println!("cargo:rerun-if-env-changed=PKG_CONFIG_PATH");
    println!("cargo:rerun-if-env-changed=PKG_CONFIG_LIBDIR");
    println!("cargo:rerun-if-env-changed=PKG_CONFIG_SYSROOT_DIR");
    let pkg_config = env::var("PKG_CONFIG").unwrap_or_else(|_| "pkg-config".into());
    let out = Command::new(pkg_config)
        .args(["--libs", "green"])
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?;
    let mut dirs = Vec::new();
    for word in text.split_whitespace() {
        if let Some(dir) = word.strip_prefix("-L") {
            dirs.push(PathBuf::from(dir));
        } else if let Some(dir) = word.strip_prefix("-Wl,-rpath,") {
            dirs.push(PathBuf::from(dir));
        }
    }
    dirs.dedup();
    // No -L at all: the library is in the linker's default path.
    Some(dirs)
}

fn from_cmake() -> PathBuf {
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").unwrap());
    let source = manifest.join("../../..");
    let source = source.canonicalize().unwrap_or(source);
    if !source.join("CMakeLists.txt").exists() || !source.join("libgreen/include/green.h").exists()
    {
        panic!(
            "libgreen not found: install it (Debian: libgreen-dev), set \
             LIBGREEN_DIR or GREEN_BUILD_DIR, make `pkg-config green` work \
             (PKG_CONFIG_PATH), or enable this crate's `bundled` feature to \
             compile it in"
        );
    }
    println!(
        "cargo:rerun-if-changed={}",
        source.join("libgreen").display()
    );
    let build = PathBuf::from(env::var_os("OUT_DIR").unwrap()).join("cmake-build");
    let mut configure = Command::new("cmake");
    configure
        .arg("-S")
        .arg(&source)
        .arg("-B")
        .arg(&build)
        .args([
            "-DCMAKE_BUILD_TYPE=Release",
            "-DBUILD_TESTING=OFF",
            "-DGREEN_BUILD_TESTS=OFF",
            "-DGREEN_BUILD_BENCH=OFF",
            "-DGREEN_BUILD_EXAMPLES=OFF",
            "-DGREEN_BUILD_PYTHON=OFF",
        ]);
    run(&mut configure);
    let mut compile = Command::new("cmake");
    compile
        .arg("--build")
        .arg(&build)
        .args(["--target", "green"]);
    run(&mut compile);
    build.join("libgreen")
}

/// The directory of green.h: pkg-config's -I, else this source tree's.
fn include_dir() -> Option<PathBuf> {
    let pkg_config = env::var("PKG_CONFIG").unwrap_or_else(|_| "pkg-config".into());
    if let Ok(out) = Command::new(pkg_config)
        .args(["--cflags", "green"])
        .output()
    {
        if out.status.success() {
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            for word in text.split_whitespace() {
                if let Some(dir) = word.strip_prefix("-I") {
                    let dir = PathBuf::from(dir);
                    if dir.join("green.h").exists() {
                        return Some(dir);
                    }
                }
            }
        }
    }
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR")?);
    let dir = manifest.join("../../../libgreen/include");
    dir.join("green.h")
        .exists()
        .then(|| dir.canonicalize().unwrap_or(dir))
}

fn run(cmd: &mut Command) {
    match cmd.status() {
        Ok(s) if s.success() => {}
        Ok(s) => panic!("{cmd:?} failed: {s}"),
        Err(e) => panic!("could not run {cmd:?}: {e}"),
    }
}

/// Compiles the packaged sources into a static library, linked into the
/// program: nothing to find at run time.
#[cfg(feature = "bundled")]
fn bundled() {
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").unwrap());
    // The packaged crate carries a copy of the sources (sync-bundled.sh
    // makes it when packaging); in the repository they are the tree's.
    let tree = manifest.join("../../../libgreen");
    let root = if tree.join("include/green.h").exists() {
        tree
    } else {
        manifest.join("libgreen")
    };
    let arch = match env::var("CARGO_CFG_TARGET_ARCH").as_deref() {
        Ok("x86_64") => "x86_64_sysv.S",
        Ok("aarch64") => "aarch64_aapcs.S",
        Ok("x86") => "i386_sysv.S",
        Ok("arm") => "arm_aapcs.S",
        Ok("riscv64") => "riscv64_lp64d.S",
        Ok("powerpc64") => "ppc64le_elfv2.S",
        Ok("s390x") => "s390x_elf.S",
        Ok(other) => panic!("libgreen has no stack switch for {other}"),
        Err(e) => panic!("CARGO_CFG_TARGET_ARCH: {e}"),
    };
    println!("cargo:rerun-if-changed={}", root.display());
    // Every C file of the library's src/ (the copy holds exactly those).
    let mut sources: Vec<PathBuf> = std::fs::read_dir(root.join("src"))
        .expect("the bundled sources")
        .map(|e| e.expect("the bundled sources").path())
        .filter(|p| p.extension().is_some_and(|x| x == "c"))
        .collect();
    sources.sort();
    cc::Build::new()
        .files(sources)
        .file(root.join("arch").join(arch))
        .include(root.join("include"))
        .include(root.join("src"))
        .include(root.join("arch"))
        .flag("-fvisibility=hidden")
        .flag("-Wa,--noexecstack")
        .compile("green");
    println!("cargo:include={}", root.join("include").display());
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=DOCS_RS");
    if env::var_os("DOCS_RS").is_some() {
        return;
    }
    if cfg!(feature = "bundled") {
        #[cfg(feature = "bundled")]
        bundled();
        return;
    }
    let dirs = if let Some(dir) = from_env() {
        vec![dir]
    } else if let Some(dirs) = from_pkg_config() {
        dirs
    } else {
        vec![from_cmake()]
    };
    for dir in &dirs {
        println!("cargo:rustc-link-search=native={}", dir.display());
        // For this crate's own tests; dependents read DEP_GREEN_LIBDIR.
        println!("cargo:rustc-link-arg=-Wl,-rpath,{}", dir.display());
    }
    if let Some(dir) = dirs.first() {
        println!("cargo:libdir={}", dir.display());
    }
    // For dependents that compile C against green.h: DEP_GREEN_INCLUDE.
    if let Some(include) = include_dir() {
        println!("cargo:include={}", include.display());
    }
    println!("cargo:rustc-link-lib=dylib=green");
}
