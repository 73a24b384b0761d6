// SPDX-License-Identifier: MIT

//! Raw declarations of libgreen's C API (`green.h`), written by hand.
//!
//! Everything here mirrors `libgreen/include/green.h` one to one; read that
//! header for the full contract of each function. The safe API lives in the
//! `libgreen` crate: use this crate only to reach the C functions directly.
//!
//! The library is found at build time through the `LIBGREEN_DIR` or
//! `GREEN_BUILD_DIR` environment variables, then pkg-config (package
//! `green`, honouring `PKG_CONFIG_PATH`), and, inside the repository, by
//! building its CMake project into Cargo's `OUT_DIR`. Its directory is
//! exported to dependent build scripts as `DEP_GREEN_LIBDIR`; the directory
//! of `green.h` is exported as `DEP_GREEN_INCLUDE`. With the `bundled`
//! feature the library is compiled from the sources packaged in this crate
//! and linked statically instead.
//!
//! ```
//! use libgreen_sys as sys;
//! // The version of the library loaded at run time.
//! let v = unsafe { sys::green_version() };
//! assert_eq!(v / 10000, sys::GREEN_VERSION_MAJOR);
//! ```
#![cfg_attr(not(test), no_std)]
#![deny(missing_docs)]
#![allow(non_camel_case_types)]

use core::ffi::{c_char, c_int, c_long, c_void};

/// Major version of the header these declarations follow.
pub const GREEN_VERSION_MAJOR: c_int = 1;
/// Minor version of the header these declarations follow.
pub const GREEN_VERSION_MINOR: c_int = 3;
/// Patch version of the header these declarations follow.
pub const GREEN_VERSION_PATCH: c_int = 0;
/// The header version as one number: major * 10000 + minor * 100 + patch.
pub const GREEN_VERSION: c_int =
    GREEN_VERSION_MAJOR * 10000 + GREEN_VERSION_MINOR * 100 + GREEN_VERSION_PATCH;

/// Success; from a switch: an ordinary value arrived.
pub const GREEN_OK: c_int = 0;
/// From a switch or throw: an error payload arrived.
pub const GREEN_THROWN: c_int = 1;
/// From a switch or throw: the exit error arrived.
pub const GREEN_EXIT: c_int = 2;
/// An argument is invalid.
pub const GREEN_EINVAL: c_int = -1;
/// Memory for a greenlet could not be allocated.
pub const GREEN_ENOMEM: c_int = -2;
/// The target greenlet is dead.
pub const GREEN_EDEAD: c_int = -3;
/// The greenlet belongs to another thread.
pub const GREEN_ETHREAD: c_int = -4;
/// Setting this parent would make the parent chain a cycle.
pub const GREEN_ECYCLE: c_int = -5;
/// Not allowed on a main greenlet.
pub const GREEN_EMAIN: c_int = -6;
/// No stack could be mapped.
pub const GREEN_ENOSTACK: c_int = -7;
/// Not allowed now: a switch, throw or hook change inside a hook.
pub const GREEN_EBUSY: c_int = -8;

/// Default usable stack size in bytes.
pub const GREEN_STACK_DEFAULT: usize = 256 * 1024;
/// Minimum usable stack size in bytes.
pub const GREEN_STACK_MIN: usize = 16 * 1024;
/// Maximum usable stack size in bytes.
pub const GREEN_STACK_MAX: usize = (1 << 30)
    * if core::mem::size_of::<usize>() > 4 {
        4
    } else {
        1
    };

/// Stack mode: the calling thread's default (the process default unless
/// set; `GREEN_STACK_GUARDED` unless changed by `green_set_stack_mode` or the
/// `GREEN_STACK_MODE` environment variable).
pub const GREEN_STACK_MODE_DEFAULT: c_int = 0;
/// Stack mode: a stack of its own with a guard page below.
pub const GREEN_STACK_GUARDED: c_int = 1;
/// Stack mode: runs on the thread's shared stack; its live part is copied
/// out and back in when another copy-mode greenlet needs the stack.
pub const GREEN_STACK_COPY: c_int = 2;
/// Stack mode: guarded, falling back to copy mode if no stack can be mapped.
pub const GREEN_STACK_AUTO: c_int = 3;
/// Size of a thread's shared stack for copy-mode greenlets.
pub const GREEN_COPY_STACK_SIZE: usize = 1024 * 1024;
/// Scope of `green_set_stack_mode`: the calling thread.
pub const GREEN_SCOPE_THREAD: c_int = 1;
/// Scope of `green_set_stack_mode`: threads that set no mode of their own.
pub const GREEN_SCOPE_PROCESS: c_int = 2;

/// Since 1.3: what a thread's end kills (`green_set_kill_at_thread_end`):
/// nothing (the default: its greenlets are freed unrun).
pub const GREEN_KILL_NONE: c_int = 0;
/// The greenlets whose last reference other threads released.
pub const GREEN_KILL_RELEASED: c_int = 1;
/// Every suspended greenlet (`green_kill_suspended`).
pub const GREEN_KILL_SUSPENDED: c_int = 2;

/// State: created, never started.
pub const GREEN_STATE_NEW: c_int = 1;
/// State: the current greenlet of its thread.
pub const GREEN_STATE_RUNNING: c_int = 2;
/// State: started, switched away, resumable.
pub const GREEN_STATE_SUSPENDED: c_int = 3;
/// State: finished, killed, or its thread ended.
pub const GREEN_STATE_DEAD: c_int = 4;

/// Hook event: a value goes to the target.
pub const GREEN_EVENT_SWITCH: c_int = 1;
/// Hook event: an error payload goes to the target.
pub const GREEN_EVENT_THROW: c_int = 2;
/// Hook event: the exit error goes to the target.
pub const GREEN_EVENT_EXIT: c_int = 3;
/// Hook event: the target survived its kill and is leaked.
pub const GREEN_EVENT_LEAK: c_int = 4;
/// Hook phase: on the origin's stack, before the stack switch.
pub const GREEN_PHASE_BEFORE: c_int = 1;
/// Hook phase: on the target's stack, after the stack switch.
pub const GREEN_PHASE_AFTER: c_int = 2;
/// The most hooks a thread can have at once.
pub const GREEN_HOOKS_MAX: usize = 8;

/// A greenlet (opaque, reference-counted). Only used behind pointers.
#[repr(C)]
pub struct green_t {
    _opaque: [u8; 0],
    _pinned: core::marker::PhantomData<(*mut u8, core::marker::PhantomPinned)>,
}

/// The body of a greenlet: `run(self, in, out)`; returns `GREEN_OK`,
/// `GREEN_THROWN` or `GREEN_EXIT` with its result stored in `*out`.
pub type green_run_fn =
    unsafe extern "C" fn(self_: *mut green_t, input: *mut c_void, out: *mut *mut c_void) -> c_int;

/// A hook: `hook(data, event, phase, origin, target)`.
pub type green_hook_fn = unsafe extern "C" fn(
    data: *mut c_void,
    event: c_int,
    phase: c_int,
    origin: *mut green_t,
    target: *mut green_t,
);

/// Creation options; initialise with [`green_attr::default`] (the same as
/// `GREEN_ATTR_INIT`) or [`green_attr_init`].
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct green_attr {
    /// `size_of::<green_attr>()` as the caller knows it.
    pub size: usize,
    /// Usable stack size in bytes; 0 means [`GREEN_STACK_DEFAULT`].
    pub stack_size: usize,
    /// Initial user data.
    pub userdata: *mut c_void,
    /// Called with `userdata` when the greenlet is freed, or `None`.
    pub userdata_free: Option<unsafe extern "C" fn(userdata: *mut c_void)>,
    /// One of the `GREEN_STACK_*` modes (0: the thread's default).
    pub stack_mode: c_int,
    /// Since 1.2: the guard below the greenlet's own stack, in bytes; 0
    /// means `GREEN_GUARD_DEFAULT` (64 KiB).
    pub guard_size: usize,
}

impl Default for green_attr {
    /// The value of `GREEN_ATTR_INIT`.
    fn default() -> Self {
        green_attr {
            size: core::mem::size_of::<green_attr>(),
            stack_size: 0,
            userdata: core::ptr::null_mut(),
            userdata_free: None,
            stack_mode: GREEN_STACK_MODE_DEFAULT,
            guard_size: 0,
        }
    }
}

extern "C" {
    /// The version of the loaded library, as [`GREEN_VERSION`].
    pub fn green_version() -> c_int;
    /// The version of the loaded library as a C string ("1.3.0").
    pub fn green_version_string() -> *const c_char;
    /// The name of a return code ("GREEN_EDEAD"), or "GREEN_E?".
    pub fn green_error_name(code: c_int) -> *const c_char;
    /// A one-line English description of a return code.
    pub fn green_strerror(code: c_int) -> *const c_char;
    /// Fills `*attr` with the defaults.
    pub fn green_attr_init(attr: *mut green_attr) -> c_int;
    /// Creates a greenlet that will run `run` (not started).
    pub fn green_create(
        out: *mut *mut green_t,
        run: Option<green_run_fn>,
        parent: *mut green_t,
        attr: *const green_attr,
    ) -> c_int;
    /// Sets the default stack mode of the calling thread
    /// (`GREEN_SCOPE_THREAD`) or of the process (`GREEN_SCOPE_PROCESS`).
    pub fn green_set_stack_mode(mode: c_int, scope: c_int) -> c_int;
    /// Since 1.3: `green_set_stack_mode` under the name to prefer.
    pub fn green_set_default_stack_mode(mode: c_int, scope: c_int) -> c_int;
    /// Since 1.3: the default stack mode of a scope.
    pub fn green_default_stack_mode(scope: c_int) -> c_int;
    /// The stack mode of `g` (requested before it starts, actual after).
    pub fn green_stack_mode(g: *const green_t) -> c_int;
    /// Since 1.1: the bytes of `g`'s stack held on the heap (a suspended
    /// copy-mode greenlet displaced from the shared stack; 0 otherwise), or
    /// `GREEN_ETHREAD` (another thread's greenlet), `GREEN_EINVAL` (NULL).
    pub fn green_stack_saved(g: *const green_t) -> c_long;
    /// Takes one more reference to `g`. Any thread.
    pub fn green_retain(g: *mut green_t) -> c_int;
    /// Releases one reference to `g`. Any thread.
    pub fn green_release(g: *mut green_t) -> c_int;
    /// Since 1.3: `green_release` that runs nothing on the calling thread
    /// (a last release is handed to the owner thread, even from itself).
    pub fn green_release_deferred(g: *mut green_t) -> c_int;
    /// Since 1.3: handles the releases other threads handed to the calling
    /// thread (kills, frees); how many, or a negative code.
    pub fn green_collect() -> c_int;
    /// Since 1.3: kills the calling thread's suspended greenlets (not the
    /// caller's ancestors); how many fewer are suspended, or a negative code.
    pub fn green_kill_suspended() -> c_int;
    /// Since 1.3: what the calling thread's end kills (`GREEN_KILL_*`).
    pub fn green_set_kill_at_thread_end(which: c_int) -> c_int;
    /// Since 1.3: fills the first `size` bytes of `*attr` with the defaults.
    pub fn green_attr_init_size(attr: *mut green_attr, size: usize) -> c_int;
    /// The current greenlet of the calling thread (borrowed).
    pub fn green_current() -> *mut green_t;
    /// The main greenlet of the calling thread (borrowed).
    pub fn green_main() -> *mut green_t;
    /// Switches to `target` passing `value`; returns what arrives back.
    pub fn green_switch(
        target: *mut green_t,
        value: *mut c_void,
        result: *mut *mut c_void,
    ) -> c_int;
    /// Throws an error payload into `target`.
    pub fn green_throw(
        target: *mut green_t,
        payload: *mut c_void,
        result: *mut *mut c_void,
    ) -> c_int;
    /// Throws the exit error into `target` (kills it).
    pub fn green_throw_exit(
        target: *mut green_t,
        payload: *mut c_void,
        result: *mut *mut c_void,
    ) -> c_int;
    /// Stores `g`'s parent (borrowed; null for a main greenlet).
    pub fn green_get_parent(g: *mut green_t, parent: *mut *mut green_t) -> c_int;
    /// Sets `g`'s parent.
    pub fn green_set_parent(g: *mut green_t, parent: *mut green_t) -> c_int;
    /// The state of `g` (`GREEN_STATE_*`), or `GREEN_EINVAL`.
    pub fn green_state(g: *const green_t) -> c_int;
    /// Nonzero if `g` is a main greenlet; `GREEN_EINVAL` if null.
    pub fn green_is_main(g: *const green_t) -> c_int;
    /// The user data of `g`, or null.
    pub fn green_get_userdata(g: *const green_t) -> *mut c_void;
    /// Sets the user data of `g` and the function that frees it.
    pub fn green_set_userdata(
        g: *mut green_t,
        userdata: *mut c_void,
        userdata_free: Option<unsafe extern "C" fn(*mut c_void)>,
    ) -> c_int;
    /// Adds a hook to the calling thread.
    pub fn green_hook_add(fn_: Option<green_hook_fn>, data: *mut c_void) -> c_int;
    /// Removes the first hook of the calling thread equal to `(fn_, data)`.
    pub fn green_hook_remove(fn_: Option<green_hook_fn>, data: *mut c_void) -> c_int;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_matches_header() {
        assert_eq!(unsafe { green_version() }, GREEN_VERSION);
    }

    #[test]
    fn attr_default_is_valid() {
        let mut a = green_attr {
            size: 0,
            stack_size: 7,
            userdata: core::ptr::dangling_mut::<c_void>(),
            userdata_free: None,
            stack_mode: 3,
            guard_size: 7,
        };
        assert_eq!(unsafe { green_attr_init(&mut a) }, GREEN_OK);
        let d = green_attr::default();
        assert_eq!(a.size, d.size);
        assert_eq!(a.stack_size, 0);
        assert!(a.userdata.is_null());
        assert_eq!(a.stack_mode, GREEN_STACK_MODE_DEFAULT);
        assert_eq!(a.guard_size, 0);
    }

    unsafe extern "C" fn double(
        _: *mut green_t,
        input: *mut c_void,
        out: *mut *mut c_void,
    ) -> c_int {
        *out = (input as usize * 2) as *mut c_void;
        GREEN_OK
    }

    #[test]
    fn raw_create_switch_finish() {
        unsafe {
            let mut g = core::ptr::null_mut();
            assert_eq!(
                green_create(
                    &mut g,
                    Some(double),
                    core::ptr::null_mut(),
                    core::ptr::null()
                ),
                GREEN_OK
            );
            assert_eq!(green_state(g), GREEN_STATE_NEW);
            let mut r = core::ptr::null_mut();
            assert_eq!(green_switch(g, 21 as *mut c_void, &mut r), GREEN_OK);
            assert_eq!(r as usize, 42);
            assert_eq!(green_state(g), GREEN_STATE_DEAD);
            assert_eq!(green_switch(g, core::ptr::null_mut(), &mut r), GREEN_EDEAD);
            assert_eq!(green_release(g), GREEN_OK);
        }
    }
}
