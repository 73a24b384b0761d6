// SPDX-License-Identifier: MIT

//! Greenlets for Rust, on top of libgreen's C ABI.
//!
//! A greenlet is a body running on its own stack that suspends itself by
//! switching to another greenlet and is resumed by a switch back: a
//! symmetric coroutine, as in Python's `greenlet`. Every thread has a main
//! greenlet (its own stack); [`Greenlet::new`] makes more, whose bodies are
//! Rust closures. Switching is explicit and never preemptive.
//!
//! - [`Greenlet`]: a reference-counted handle, bound to its thread; values
//!   switched in and out are typed (boxed only when they must outlive the
//!   sender's stack).
//! - A panic in a greenlet is caught at its entry and raised again in the
//!   greenlet that receives its result (its parent).
//! - [`Greenlet::throw`] delivers a Rust value as an error; [`Greenlet::kill`]
//!   (and dropping the last handle to a suspended greenlet) unwinds its
//!   closure, so everything it holds is dropped.
//! - [`Generator`] turns a greenlet into an [`Iterator`].
//! - Failures are [`Error`]s that map every libgreen error code.
//! - [`Hook`] runs a closure on every switch of the thread (tracing).
//! - [`Builder`] chooses the stack: its size, or [`StackMode::Copy`] to run
//!   on the thread's shared stack (millions of suspended greenlets).
//! - [`Remote`] is a handle other threads may hold; [`Greenlet::switch_raw`]
//!   talks to greenlets whose bodies are C code.
//!
//! ```
//! use libgreen::{switch_to_parent, Generator, Greenlet};
//!
//! // A greenlet: values go in and out of `switch`.
//! let echo = Greenlet::new(|mut line: String| loop {
//!     line = switch_to_parent(line.to_uppercase()).unwrap();
//! });
//! let a: String = echo.switch(String::from("hello")).unwrap();
//! let b: String = echo.switch(String::from("world")).unwrap();
//! assert_eq!((a.as_str(), b.as_str()), ("HELLO", "WORLD"));
//! drop(echo); // kills it: its loop unwinds
//!
//! // A generator: a greenlet seen as an iterator.
//! let squares = Generator::new(|y| {
//!     for i in 1..=4u32 {
//!         y.yield_(i * i);
//!     }
//! });
//! assert_eq!(squares.collect::<Vec<_>>(), [1, 4, 9, 16]);
//! ```
//!
//! Values crossing a switch are checked at run time: the receiver names the
//! type it expects and gets [`Error::Mismatch`] if another arrives. Values
//! passed in from C code that does not use this crate cannot be typed: use
//! [`Greenlet::switch_raw`] for those.
//!
//! A greenlet holds a reference to its parent, so a parent that keeps a
//! suspended child on its own stack is not killed by dropping its last
//! handle (a reference cycle): kill the child first, or re-parent it to
//! [`Greenlet::main`]. Rust bodies still suspended when their thread ends
//! (also at process exit, for the main thread) are killed then by a
//! thread-local destructor, before libgreen frees their stacks.
#![deny(missing_docs)]

mod error;
mod generator;
mod greenlet;
mod hook;
mod packet;

pub use error::Error;
pub use generator::{Generator, Yielder};
pub use greenlet::{
    is_exit_unwind, set_thread_stack_mode, switch_to_parent, Builder, Greenlet, Raw, Remote,
    StackMode, State,
};
pub use hook::{Event, Hook, Phase};
pub use libgreen_sys as sys;

/// The examples of the crate README, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

/// The version of the libgreen library loaded at run time, as
/// `major * 10000 + minor * 100 + patch`.
///
/// ```
/// assert!(libgreen::version() >= 10000);
/// ```
pub fn version() -> i32 {
    // SAFETY: no arguments, any thread.
    unsafe { sys::green_version() }
}
