// SPDX-License-Identifier: MIT

//! The greenlet handle, creation, switching and the entry of Rust bodies.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::ffi::{c_int, c_void};
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::marker::PhantomData;
use std::panic::{self, AssertUnwindSafe};
use std::ptr::{self, NonNull};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::thread::{self, ThreadId};

use libgreen_sys as sys;

use crate::packet::{self, StackPacket};
use crate::Error;

/// The state of a greenlet (see [`Greenlet::state`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// Created, never started: the first switch into it starts its body.
    New,
    /// The current greenlet of its thread.
    Running,
    /// Started and switched away from; a switch resumes it.
    Suspended,
    /// Finished, killed, or its thread ended.
    Dead,
}

impl State {
    fn from_raw(s: c_int) -> State {
        match s {
            sys::GREEN_STATE_NEW => State::New,
            sys::GREEN_STATE_RUNNING => State::Running,
            sys::GREEN_STATE_SUSPENDED => State::Suspended,
            _ => State::Dead,
        }
    }
}

/// Where a greenlet's stack lives (see [`Builder::stack_mode`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum StackMode {
    /// The thread's default: the process default unless the thread set its
    /// own ([`set_thread_stack_mode`]); guarded unless changed, e.g. by the
    /// `GREEN_STACK_MODE` environment variable.
    #[default]
    Default,
    /// A stack of its own, with a guard page below so that an overflow
    /// faults. Two memory mappings per greenlet.
    Guarded,
    /// The thread's shared stack (1 MiB): the live part is copied to the
    /// heap when another copy-mode greenlet needs the stack, and back when
    /// it resumes. No mapping per greenlet, so millions can be suspended.
    Copy,
    /// Guarded, or copy mode if no stack can be mapped.
    Auto,
}

impl StackMode {
    fn to_raw(self) -> c_int {
        match self {
            StackMode::Default => sys::GREEN_STACK_MODE_DEFAULT,
            StackMode::Guarded => sys::GREEN_STACK_GUARDED,
            StackMode::Copy => sys::GREEN_STACK_COPY,
            StackMode::Auto => sys::GREEN_STACK_AUTO,
        }
    }

    fn from_raw(m: c_int) -> StackMode {
        match m {
            sys::GREEN_STACK_GUARDED => StackMode::Guarded,
            sys::GREEN_STACK_COPY => StackMode::Copy,
            sys::GREEN_STACK_AUTO => StackMode::Auto,
            _ => StackMode::Default,
        }
    }
}

/// Sets the stack mode of greenlets that the calling thread creates
/// without choosing one ([`StackMode::Default`] clears the thread's choice:
/// the process default applies again).
///
/// ```
/// use libgreen::{set_thread_stack_mode, Greenlet, StackMode};
///
/// set_thread_stack_mode(StackMode::Copy).unwrap();
/// let g = Greenlet::new(|x: u32| x + 1);
/// assert_eq!(g.switch::<u32, u32>(1).unwrap(), 2);
/// assert_eq!(g.stack_mode(), StackMode::Copy);
/// set_thread_stack_mode(StackMode::Default).unwrap();
/// ```
///
/// # Errors
/// [`Error::NoMemory`] if libgreen cannot set up the thread.
pub fn set_thread_stack_mode(mode: StackMode) -> Result<(), Error> {
    // SAFETY: plain call with valid arguments.
    check(unsafe { sys::green_set_stack_mode(mode.to_raw(), sys::GREEN_SCOPE_THREAD) })
}

/// A handle to a greenlet: one reference to it.
///
/// A greenlet is a body running on its own stack that suspends itself by
/// switching to another greenlet and is resumed by a switch back. Every
/// thread has a *main* greenlet (its own stack); [`Greenlet::new`] makes
/// more, whose bodies are Rust closures.
///
/// - `Clone` takes another reference; `Drop` releases one. Dropping the last
///   reference to a suspended greenlet kills it: its closure's stack is
///   unwound, so the values it holds are dropped.
/// - A handle is bound to the greenlet's thread: it is neither `Send` nor
///   `Sync`. Use [`Greenlet::remote`] for a reference another thread may
///   hold.
/// - Values switched in and out are typed: the receiver names the type it
///   expects and gets [`Error::Mismatch`] if another type arrives.
/// - A greenlet holds a reference to its parent. A parent that keeps a
///   suspended child on its own stack forms a reference cycle with it:
///   dropping the parent's last handle then kills neither. Kill the child, or
///   [`set_parent`](Greenlet::set_parent) it to [`Greenlet::main`], first.
///
/// ```
/// use libgreen::{switch_to_parent, Greenlet};
///
/// let g = Greenlet::new(|x: i32| {
///     let y: i32 = switch_to_parent(x + 1).unwrap(); // suspends
///     y * 10 // finishing sends the result to the parent
/// });
/// let a: i32 = g.switch(1).unwrap(); // starts it
/// assert_eq!(a, 2);
/// let b: i32 = g.switch(5).unwrap(); // resumes it
/// assert_eq!(b, 50);
/// assert!(g.is_dead());
/// ```
pub struct Greenlet {
    raw: NonNull<sys::green_t>,
    _not_send: PhantomData<*mut ()>,
}

impl Greenlet {
    /// Creates a greenlet whose body is `f`, with the default stack size and
    /// the current greenlet as its parent. It does not start: the first
    /// [`switch`](Greenlet::switch) into it calls `f` with the switched
    /// value, which must be of type `I`. When `f` returns, the greenlet is
    /// dead and its result goes to its parent as a switched value.
    ///
    /// # Panics
    /// If libgreen cannot allocate the greenlet (as `Box::new` would). Use
    /// [`Builder::create`] to get the error instead.
    pub fn new<F, I, O>(f: F) -> Greenlet
    where
        F: FnOnce(I) -> O + 'static,
        I: 'static,
        O: 'static,
    {
        match Builder::new().create(f) {
            Ok(g) => g,
            Err(e) => panic!("libgreen could not create a greenlet: {e}"),
        }
    }

    /// A builder, to choose the stack size, the stack mode or the parent.
    pub fn builder() -> Builder {
        Builder::new()
    }

    /// The greenlet running now on this thread (the main greenlet outside
    /// any other).
    ///
    /// ```
    /// use libgreen::Greenlet;
    ///
    /// let here = Greenlet::current();
    /// assert!(here.is_main());
    /// let g = Greenlet::new(|_: ()| Greenlet::current());
    /// let inside: Greenlet = g.switch(()).unwrap();
    /// assert_eq!(inside, g);
    /// ```
    pub fn current() -> Greenlet {
        // SAFETY: green_current returns a borrowed pointer valid now; we
        // take our own reference.
        unsafe { Greenlet::from_borrowed(sys::green_current()) }
            .expect("libgreen could not allocate the main greenlet")
    }

    /// The main greenlet of this thread.
    pub fn main() -> Greenlet {
        // SAFETY: as for current().
        unsafe { Greenlet::from_borrowed(sys::green_main()) }
            .expect("libgreen could not allocate the main greenlet")
    }

    /// Wraps a borrowed `green_t` pointer, taking a new reference to it.
    /// Returns `None` for a null pointer.
    ///
    /// # Safety
    /// `raw` is null or a live greenlet of the calling thread.
    pub unsafe fn from_borrowed(raw: *mut sys::green_t) -> Option<Greenlet> {
        let raw = NonNull::new(raw)?;
        sys::green_retain(raw.as_ptr());
        Some(Greenlet {
            raw,
            _not_send: PhantomData,
        })
    }

    /// Wraps an owned `green_t` pointer (one reference, which the handle
    /// will release). Returns `None` for a null pointer.
    ///
    /// # Safety
    /// `raw` is null or a greenlet of the calling thread, and the caller
    /// owns one reference to it, which it gives to the handle.
    pub unsafe fn from_raw(raw: *mut sys::green_t) -> Option<Greenlet> {
        Some(Greenlet {
            raw: NonNull::new(raw)?,
            _not_send: PhantomData,
        })
    }

    /// The `green_t` pointer, for calling C code (the handle keeps its
    /// reference).
    pub fn as_ptr(&self) -> *mut sys::green_t {
        self.raw.as_ptr()
    }

    /// Gives up the handle's reference as a `green_t` pointer (release it
    /// with `green_release` or [`Greenlet::from_raw`]).
    pub fn into_raw(self) -> *mut sys::green_t {
        let p = self.raw.as_ptr();
        std::mem::forget(self);
        p
    }

    /// Switches to this greenlet, passing `value`, and suspends the caller
    /// until a greenlet switches (or throws) back to it; returns what
    /// arrives then, which must be of type `R`.
    ///
    /// If the greenlet never started, it starts with `value`; switching to
    /// the current greenlet returns `value` at once.
    ///
    /// A panic in a child that finishes into the caller is raised again
    /// here (with [`std::panic::resume_unwind`]). If the exit error arrives
    /// (the caller is being killed), the caller's closure is unwound.
    ///
    /// # Errors
    /// [`Error::Dead`], [`Error::NoStack`], [`Error::Busy`] when nothing was
    /// switched (the value is dropped); once resumed, [`Error::Thrown`] for
    /// a thrown value and [`Error::Mismatch`] for a value of another type.
    ///
    /// ```
    /// use libgreen::{Error, Greenlet};
    ///
    /// let g = Greenlet::new(|s: String| s.len());
    /// assert_eq!(g.switch::<_, usize>(String::from("four")).unwrap(), 4);
    /// assert_eq!(g.switch::<_, usize>(String::new()).unwrap_err(), Error::Dead);
    /// ```
    #[inline]
    pub fn switch<T: 'static, R: 'static>(&self, value: T) -> Result<R, Error> {
        // SAFETY: self is live.
        unsafe { send(self.raw.as_ptr(), value) }
    }

    /// Throws `error` into this greenlet: its pending switch returns
    /// [`Error::Thrown`] holding it. The caller is suspended as by
    /// [`switch`](Greenlet::switch) and returns what arrives when resumed.
    ///
    /// A greenlet that never started dies without running and the error
    /// goes to its parent; a dead one passes it to its first live ancestor.
    /// If that is the caller, the call returns `Err(Error::Thrown(error))`
    /// at once.
    ///
    /// ```
    /// use libgreen::{switch_to_parent, Error, Greenlet};
    ///
    /// let g = Greenlet::new(|_: ()| -> Result<(), Error> {
    ///     let r: Result<(), Error> = switch_to_parent(());
    ///     let msg = r.unwrap_err().into_thrown::<&str>()?;
    ///     Ok(switch_to_parent(msg.len())?)
    /// });
    /// g.switch::<_, ()>(()).unwrap();
    /// let n: usize = g.throw("stop").unwrap();
    /// assert_eq!(n, 4);
    /// ```
    pub fn throw<E: Any + Send + Sync, R: 'static>(&self, error: E) -> Result<R, Error> {
        let payload = packet::heap(Thrown::Value(Box::new(error)));
        let mut result = ptr::null_mut();
        // SAFETY: payload is a heap packet; libgreen delivers it or, on
        // error, leaves it to us.
        let rc = unsafe { sys::green_throw(self.raw.as_ptr(), payload, &mut result) };
        if rc < 0 {
            // SAFETY: not delivered.
            unsafe { packet::discard(payload) };
        }
        // SAFETY: as in switch.
        unsafe { receive(rc, result) }
    }

    /// Kills this greenlet: throws the exit error into it, carrying `value`.
    /// Its closure's stack unwinds (dropping what it holds) and its parent
    /// then receives `value` as an ordinary switched value. A greenlet that
    /// never started dies without running. Returns what arrives when the
    /// caller is resumed (at once with `value` if the caller is the parent).
    ///
    /// # Errors
    /// [`Error::Dead`] for a dead greenlet, [`Error::Main`] for a main
    /// greenlet; nothing changes then.
    pub fn throw_exit<T: 'static, R: 'static>(&self, value: T) -> Result<R, Error> {
        if self.is_dead() {
            return Err(Error::Dead);
        }
        let payload = packet::heap(value);
        let mut result = ptr::null_mut();
        // SAFETY: as in throw.
        let rc = unsafe { sys::green_throw_exit(self.raw.as_ptr(), payload, &mut result) };
        if rc < 0 {
            // SAFETY: not delivered.
            unsafe { packet::discard(payload) };
        }
        // SAFETY: as in switch.
        unsafe { receive(rc, result) }
    }

    /// Kills this greenlet (see [`throw_exit`](Greenlet::throw_exit)); meant
    /// to be called from its parent, which gets `Ok(())` back.
    ///
    /// ```
    /// use std::rc::Rc;
    /// use libgreen::{switch_to_parent, Greenlet};
    ///
    /// let held = Rc::new(());
    /// let inner = held.clone();
    /// let g = Greenlet::new(move |_: ()| {
    ///     let _keep = inner;
    ///     loop {
    ///         let () = switch_to_parent(()).unwrap();
    ///     }
    /// });
    /// g.switch::<_, ()>(()).unwrap();
    /// assert_eq!(Rc::strong_count(&held), 2);
    /// g.kill().unwrap();
    /// assert!(g.is_dead());
    /// assert_eq!(Rc::strong_count(&held), 1); // the closure's stack unwound
    /// ```
    pub fn kill(&self) -> Result<(), Error> {
        match self.throw_exit::<(), ()>(()) {
            // Resumed by a value of another type (or by C code with none):
            // the kill itself went through.
            Err(Error::Mismatch { .. }) => Ok(()),
            r => r,
        }
    }

    /// Switches to this greenlet passing a raw pointer, as `green_switch`
    /// does, for greenlets whose bodies are C code: what arrives back is
    /// returned as it is, without the typing, panic and exit handling of
    /// [`switch`](Greenlet::switch).
    ///
    /// # Safety
    /// `value` must mean what the receiver expects. What arrives must be
    /// handled as the sender meant it; in particular [`Raw::Exit`] asks the
    /// caller to finish (its body, if it is a Rust closure, should unwind:
    /// see [`is_exit_unwind`]), and values sent by this crate's typed calls
    /// must not be read.
    ///
    /// # Errors
    /// As [`switch`](Greenlet::switch), before anything is switched.
    pub unsafe fn switch_raw(&self, value: *mut c_void) -> Result<Raw, Error> {
        let mut result = ptr::null_mut();
        let rc = sys::green_switch(self.raw.as_ptr(), value, &mut result);
        match rc {
            sys::GREEN_OK => Ok(Raw::Value(result)),
            sys::GREEN_THROWN => Ok(Raw::Thrown(result)),
            sys::GREEN_EXIT => Ok(Raw::Exit(result)),
            rc => Err(Error::from_code(rc).unwrap_or(Error::Unknown(rc))),
        }
    }

    /// The parent: where the greenlet's result goes when it finishes.
    /// `None` for a main greenlet.
    pub fn parent(&self) -> Option<Greenlet> {
        let mut p = ptr::null_mut();
        // SAFETY: self is live; the parent pointer is borrowed and we retain
        // it at once on this (the owning) thread.
        unsafe {
            sys::green_get_parent(self.raw.as_ptr(), &mut p);
            Greenlet::from_borrowed(p)
        }
    }

    /// Sets the parent.
    ///
    /// # Errors
    /// [`Error::Cycle`] if `parent` is this greenlet or one of its
    /// descendants, [`Error::Main`] for a main greenlet; nothing changes
    /// then.
    ///
    /// ```
    /// use libgreen::{Error, Greenlet};
    ///
    /// let a = Greenlet::new(|_: ()| ());
    /// let b = Greenlet::new(|_: ()| ());
    /// b.set_parent(&a).unwrap();
    /// assert_eq!(a.set_parent(&b), Err(Error::Cycle));
    /// assert_eq!(b.parent().unwrap(), a);
    /// ```
    pub fn set_parent(&self, parent: &Greenlet) -> Result<(), Error> {
        // SAFETY: both handles are live.
        check(unsafe { sys::green_set_parent(self.raw.as_ptr(), parent.raw.as_ptr()) })
    }

    /// The state of the greenlet.
    pub fn state(&self) -> State {
        // SAFETY: self is live.
        State::from_raw(unsafe { sys::green_state(self.raw.as_ptr()) })
    }

    /// Whether it started (is not [`State::New`]).
    pub fn is_started(&self) -> bool {
        self.state() != State::New
    }

    /// Whether it is running or suspended.
    pub fn is_active(&self) -> bool {
        matches!(self.state(), State::Running | State::Suspended)
    }

    /// Whether it is dead.
    pub fn is_dead(&self) -> bool {
        self.state() == State::Dead
    }

    /// Whether it is the current greenlet of this thread.
    pub fn is_current(&self) -> bool {
        // SAFETY: plain query.
        unsafe { sys::green_current() == self.raw.as_ptr() }
    }

    /// Whether it is a main greenlet.
    pub fn is_main(&self) -> bool {
        // SAFETY: self is live.
        unsafe { sys::green_is_main(self.raw.as_ptr()) > 0 }
    }

    /// The stack mode: the one it got once started (guarded or copy), the
    /// one requested before.
    pub fn stack_mode(&self) -> StackMode {
        // SAFETY: self is live.
        StackMode::from_raw(unsafe { sys::green_stack_mode(self.raw.as_ptr()) })
    }

    /// How many bytes of its stack libgreen holds on the heap: the live
    /// stack of a suspended copy-mode greenlet that another one displaced
    /// from the thread's shared stack; 0 for any other greenlet.
    ///
    /// ```
    /// use libgreen::{switch_to_parent, Greenlet, StackMode};
    ///
    /// let park = || {
    ///     Greenlet::builder()
    ///         .stack_mode(StackMode::Copy)
    ///         .create(|()| switch_to_parent::<(), ()>(()).unwrap())
    ///         .unwrap()
    /// };
    /// let (a, b) = (park(), park());
    /// a.switch::<(), ()>(()).unwrap();
    /// assert_eq!(a.stack_saved(), 0); // still on the shared stack
    /// b.switch::<(), ()>(()).unwrap();
    /// assert!(a.stack_saved() > 0); // b took the shared stack
    /// assert_eq!(b.stack_saved(), 0);
    /// ```
    pub fn stack_saved(&self) -> usize {
        // SAFETY: self is live and, not being Send, on its own thread.
        let n = unsafe { sys::green_stack_saved(self.raw.as_ptr()) };
        usize::try_from(n).unwrap_or(0)
    }

    /// Another reference to this greenlet that may be sent to and shared
    /// with other threads, which can query it but not run it.
    pub fn remote(&self) -> Remote {
        // SAFETY: self is live.
        unsafe { sys::green_retain(self.raw.as_ptr()) };
        Remote { raw: self.raw }
    }
}

/// What arrived in a [`Greenlet::switch_raw`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Raw {
    /// An ordinary value (`GREEN_OK`).
    Value(*mut c_void),
    /// An error payload (`GREEN_THROWN`).
    Thrown(*mut c_void),
    /// The exit error with its payload (`GREEN_EXIT`).
    Exit(*mut c_void),
}

/// Switches to the parent of the current greenlet, passing `value`; returns
/// what arrives when the current greenlet is resumed. This is how a body
/// hands a value out and waits for the next one (like `yield`).
///
/// # Errors
/// As [`Greenlet::switch`]; [`Error::Main`] on a main greenlet, which has no
/// parent.
///
/// ```
/// use libgreen::{switch_to_parent, Error, Greenlet};
///
/// let g = Greenlet::new(|start: u32| {
///     let mut total = start;
///     loop {
///         match switch_to_parent::<u32, u32>(total) {
///             Ok(n) => total += n,
///             Err(_) => return total,
///         }
///     }
/// });
/// assert_eq!(g.switch::<u32, u32>(1).unwrap(), 1);
/// assert_eq!(g.switch::<u32, u32>(2).unwrap(), 3);
/// assert_eq!(g.switch::<u32, u32>(3).unwrap(), 6);
/// // Outside any greenlet there is no parent:
/// assert_eq!(switch_to_parent::<(), ()>(()), Err(Error::Main));
/// ```
#[inline]
pub fn switch_to_parent<T: 'static, R: 'static>(value: T) -> Result<R, Error> {
    let mut parent = ptr::null_mut();
    // SAFETY: the current greenlet holds a reference to its parent. (A null
    // current greenlet, out of memory, gives GREEN_EINVAL and no parent.)
    unsafe { sys::green_get_parent(sys::green_current(), &mut parent) };
    if parent.is_null() {
        return Err(Error::Main);
    }
    // SAFETY: as in Greenlet::switch.
    unsafe { send(parent, value) }
}

/// Switches from the current greenlet to `target` with `value`.
///
/// The value goes through the thread's mailbox (see `packet`), whose
/// address never changes, so that it does not matter where the sender's
/// stack lives. If the mailbox is full or the value too big for it, see
/// `send_elsewhere`.
///
/// # Safety
/// `target` is live.
#[inline(always)]
pub(crate) unsafe fn send<T: 'static, R: 'static>(
    target: *mut sys::green_t,
    value: T,
) -> Result<R, Error> {
    if !packet::fits_mailbox::<T>() {
        return send_elsewhere(target, value);
    }
    let mailbox = packet::mailbox();
    if !packet::is_empty(mailbox) {
        return send_mailbox_full(target, value);
    }
    let (p, n) = packet::post(mailbox, value);
    let mut result = ptr::null_mut();
    let rc = sys::green_switch(target, p, &mut result);
    // Resumed, or not switched at all: the value was taken by its receiver,
    // or is still ours.
    if packet::is_unclaimed(mailbox, n) {
        return unclaimed::<T, R>(mailbox, rc, result);
    }
    receive(rc, result)
}

/// The end of `send` when nobody took the value: it came back to the sender
/// (a switch to the current greenlet returns it at once), or it is to be
/// dropped (the switch failed, or its receiver left it).
#[cold]
#[inline(never)]
unsafe fn unclaimed<T: 'static, R: 'static>(
    mailbox: *mut packet::Mailbox,
    rc: c_int,
    result: *mut c_void,
) -> Result<R, Error> {
    if rc == sys::GREEN_OK && result == mailbox as *mut c_void {
        // Our own value: taking it as R empties the mailbox, unless R is not
        // T; then it is dropped here.
        let r = packet::take::<R>(result);
        if !packet::is_empty(mailbox) {
            packet::reclaim::<T>(mailbox);
        }
        return r;
    }
    packet::reclaim::<T>(mailbox);
    receive(rc, result)
}

/// `send` while the mailbox holds a value in flight.
#[cold]
#[inline(never)]
unsafe fn send_mailbox_full<T: 'static, R: 'static>(
    target: *mut sys::green_t,
    value: T,
) -> Result<R, Error> {
    send_elsewhere(target, value)
}

/// `send` without the mailbox. The value travels on the sender's stack,
/// which stays put while the sender is suspended, except in copy mode, where
/// the stack's contents move out when another copy-mode greenlet runs: then
/// it goes boxed. (Main greenlets run on their thread's own stack, never in
/// copy mode.)
#[inline(never)]
unsafe fn send_elsewhere<T: 'static, R: 'static>(
    target: *mut sys::green_t,
    value: T,
) -> Result<R, Error> {
    if sys::green_stack_mode(sys::green_current()) == sys::GREEN_STACK_COPY {
        return send_boxed(target, value);
    }
    let mut packet = StackPacket::new(value);
    let mut result = ptr::null_mut();
    // The packet outlives the call; whoever resumes us has taken the value
    // or left it, and we still own it either way.
    let rc = sys::green_switch(target, packet.as_ptr(), &mut result);
    receive(rc, result)
}

/// `send` from a copy-mode greenlet.
#[cold]
#[inline(never)]
unsafe fn send_boxed<T: 'static, R: 'static>(
    target: *mut sys::green_t,
    value: T,
) -> Result<R, Error> {
    let payload = packet::heap(value);
    let mut result = ptr::null_mut();
    let rc = sys::green_switch(target, payload, &mut result);
    if rc < 0 {
        // Not delivered.
        packet::discard(payload);
    }
    receive(rc, result)
}

impl Clone for Greenlet {
    /// Another reference to the same greenlet.
    fn clone(&self) -> Greenlet {
        // SAFETY: self is live.
        unsafe { sys::green_retain(self.raw.as_ptr()) };
        Greenlet {
            raw: self.raw,
            _not_send: PhantomData,
        }
    }
}

impl Drop for Greenlet {
    /// Releases the reference. If it was the last one and the greenlet is
    /// suspended, the greenlet is killed here: its closure unwinds.
    fn drop(&mut self) {
        // SAFETY: we own one reference.
        unsafe { sys::green_release(self.raw.as_ptr()) };
    }
}

impl PartialEq for Greenlet {
    /// Handles are equal when they refer to the same greenlet.
    fn eq(&self, other: &Greenlet) -> bool {
        self.raw == other.raw
    }
}

impl Eq for Greenlet {}

impl std::hash::Hash for Greenlet {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.raw.hash(state)
    }
}

impl fmt::Debug for Greenlet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Greenlet")
            .field("ptr", &self.raw)
            .field("state", &self.state())
            .field("main", &self.is_main())
            .finish()
    }
}

/// A reference to a greenlet that any thread may hold: it is `Send` and
/// `Sync`, allows the thread-safe queries, and turns back into a
/// [`Greenlet`] only on the greenlet's own thread.
///
/// ```
/// use libgreen::{Error, Greenlet, State};
///
/// let g = Greenlet::new(|_: ()| ());
/// let r = g.remote();
/// let seen = std::thread::spawn(move || (r.state(), r.to_local().err())).join().unwrap();
/// assert_eq!(seen, (State::New, Some(Error::WrongThread)));
/// ```
pub struct Remote {
    raw: NonNull<sys::green_t>,
}

// SAFETY: off the owning thread, a Remote only calls libgreen functions
// that allow it (green_state, green_retain, green_release) and
// green_create with it as parent, which fails with GREEN_ETHREAD before
// using it.
unsafe impl Send for Remote {}
// SAFETY: as above; all methods take &self and are thread-safe.
unsafe impl Sync for Remote {}

impl Remote {
    /// The state of the greenlet (from another thread it may be stale).
    pub fn state(&self) -> State {
        // SAFETY: green_state may be called from any thread.
        State::from_raw(unsafe { sys::green_state(self.raw.as_ptr()) })
    }

    /// A [`Greenlet`] handle (a new reference), if the calling thread owns
    /// the greenlet.
    ///
    /// # Errors
    /// [`Error::WrongThread`] on any other thread (as reported by libgreen);
    /// nothing changes.
    pub fn to_local(&self) -> Result<Greenlet, Error> {
        let g = self.raw.as_ptr();
        // Ask libgreen whether g belongs to this thread: creating a child of
        // it fails with GREEN_ETHREAD otherwise. The child never starts and
        // is released at once.
        unsafe extern "C" fn never_runs(
            _: *mut sys::green_t,
            _: *mut c_void,
            _: *mut *mut c_void,
        ) -> c_int {
            sys::GREEN_OK
        }
        let mut probe = ptr::null_mut();
        // SAFETY: g is live (we hold a reference); green_create checks its
        // thread before using it.
        let rc = unsafe { sys::green_create(&mut probe, Some(never_runs), g, ptr::null()) };
        if let Some(e) = Error::from_code(rc) {
            return Err(e);
        }
        // SAFETY: the probe is ours and never started; g is live and of this
        // thread.
        unsafe {
            sys::green_release(probe);
            Ok(Greenlet::from_borrowed(g).expect("non-null"))
        }
    }
}

impl Clone for Remote {
    fn clone(&self) -> Remote {
        // SAFETY: any thread.
        unsafe { sys::green_retain(self.raw.as_ptr()) };
        Remote { raw: self.raw }
    }
}

impl Drop for Remote {
    /// Releases the reference (from any thread; a last release on another
    /// thread is carried out by the owner thread when it next calls into
    /// libgreen).
    fn drop(&mut self) {
        // SAFETY: any thread.
        unsafe { sys::green_release(self.raw.as_ptr()) };
    }
}

impl fmt::Debug for Remote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Remote")
            .field("ptr", &self.raw)
            .field("state", &self.state())
            .finish()
    }
}

/// Options for a new greenlet.
///
/// ```
/// use libgreen::{Error, Greenlet};
///
/// let parent = Greenlet::current();
/// let g = Greenlet::builder()
///     .stack_size(64 * 1024)
///     .parent(&parent)
///     .create(|n: u64| n * 2)
///     .unwrap();
/// assert_eq!(g.switch::<u64, u64>(21).unwrap(), 42);
///
/// // Out-of-range options are refused.
/// let e = Greenlet::builder().stack_size(1).create(|_: ()| ()).unwrap_err();
/// assert_eq!(e, Error::Invalid);
/// ```
#[derive(Debug, Default)]
pub struct Builder {
    stack_size: usize,
    stack_mode: StackMode,
    parent: Option<Greenlet>,
}

impl Builder {
    /// Default options: the default stack size (256 KiB), the current
    /// greenlet as parent.
    pub fn new() -> Builder {
        Builder::default()
    }

    /// The usable stack size in bytes (rounded up to whole pages); 0 means
    /// the default. Must lie within 16 KiB ..= 4 GiB (1 GiB on 32-bit
    /// targets); ignored in copy mode.
    pub fn stack_size(mut self, bytes: usize) -> Builder {
        self.stack_size = bytes;
        self
    }

    /// Where the greenlet's stack lives; by default, as the thread's
    /// default says. In copy mode the stack size is ignored.
    ///
    /// ```
    /// use libgreen::{switch_to_parent, Greenlet, StackMode};
    ///
    /// // Two copy-mode greenlets taking turns on the shared stack.
    /// let make = || {
    ///     Greenlet::builder()
    ///         .stack_mode(StackMode::Copy)
    ///         .create(|mut s: String| loop {
    ///             s.push('!');
    ///             s = switch_to_parent(s).unwrap();
    ///         })
    ///         .unwrap()
    /// };
    /// let (a, b) = (make(), make());
    /// let s: String = a.switch(String::from("a")).unwrap();
    /// let t: String = b.switch(String::from("b")).unwrap();
    /// let s: String = a.switch(s).unwrap();
    /// assert_eq!((s.as_str(), t.as_str()), ("a!!", "b!"));
    /// assert_eq!(a.stack_mode(), StackMode::Copy);
    /// ```
    pub fn stack_mode(mut self, mode: StackMode) -> Builder {
        self.stack_mode = mode;
        self
    }

    /// The parent of the new greenlet instead of the current greenlet.
    pub fn parent(mut self, parent: &Greenlet) -> Builder {
        self.parent = Some(parent.clone());
        self
    }

    /// Creates the greenlet (see [`Greenlet::new`]).
    ///
    /// # Errors
    /// [`Error::Invalid`] for a stack size out of range,
    /// [`Error::NoMemory`]. The closure is dropped then.
    pub fn create<F, I, O>(self, f: F) -> Result<Greenlet, Error>
    where
        F: FnOnce(I) -> O + 'static,
        I: 'static,
        O: 'static,
    {
        drop_orphans();
        let slot = Box::into_raw(Box::new(Slot {
            common: Common {
                killed: Cell::new(false),
                owner: THREAD_ID.with(|id| *id),
            },
            f: Some(f),
        }));
        let attr = sys::green_attr {
            stack_size: self.stack_size,
            userdata: slot as *mut c_void,
            userdata_free: Some(free_slot::<F>),
            stack_mode: self.stack_mode.to_raw(),
            ..Default::default()
        };
        let parent = self
            .parent
            .as_ref()
            .map_or(ptr::null_mut(), Greenlet::as_ptr);
        let mut raw = ptr::null_mut();
        // SAFETY: attr and parent are valid; on success the greenlet owns
        // the slot (freed by free_slot), on failure we still do.
        let rc = unsafe { sys::green_create(&mut raw, Some(run::<F, I, O>), parent, &attr) };
        if rc != sys::GREEN_OK {
            // SAFETY: not handed over.
            drop(unsafe { Box::from_raw(slot) });
            return Err(Error::from_code(rc).unwrap_or(Error::Unknown(rc)));
        }
        // SAFETY: green_create gave us one reference.
        Ok(unsafe { Greenlet::from_raw(raw) }.expect("green_create gave a greenlet"))
    }
}

// ---- the entry of Rust bodies ----------------------------------------------

/// The user data of a greenlet made by this crate.
#[repr(C)]
struct Slot<F> {
    common: Common,
    /// The body until it starts.
    f: Option<F>,
}

#[repr(C)]
struct Common {
    /// The greenlet is being killed by the release of its last reference:
    /// whatever it finally returns is discarded by libgreen, so it must not
    /// allocate a result.
    killed: Cell<bool>,
    /// The creating thread, the only one where the body may be dropped.
    owner: ThreadId,
}

/// What a `GREEN_THROWN` payload of this crate holds.
pub(crate) enum Thrown {
    /// A panic of a finished greenlet, raised again in the receiver.
    Panic(Box<dyn Any + Send>),
    /// A value thrown with `Greenlet::throw`.
    Value(Box<dyn Any + Send + Sync>),
    /// An error of the binding itself (a body started with a value of the
    /// wrong type).
    Error(Error),
}

/// The panic payload that unwinds a body when the exit error arrives: the
/// exit value (a packet of this crate, or null) and the thread it belongs
/// to.
struct ExitUnwind(*mut c_void, Option<ThreadId>);

// SAFETY: resume_unwind requires Send. The exit value, which need not be
// Send, is only freed on its own thread (see Drop).
unsafe impl Send for ExitUnwind {}

impl Drop for ExitUnwind {
    /// A body that caught the unwind and dropped it: free the exit value,
    /// unless the payload was sent to another thread (then it is leaked).
    fn drop(&mut self) {
        if !self.0.is_null() && THREAD_ID.try_with(|id| *id).ok() == self.1 {
            // SAFETY: a heap packet of this crate that nobody has taken
            // (the entry takes it out before dropping), on its thread.
            unsafe { packet::discard(self.0) };
        }
    }
}

/// Whether a panic payload caught by `catch_unwind` is the unwinding of a
/// greenlet being killed. Code inside a greenlet that catches panics must
/// resume such a payload with [`std::panic::resume_unwind`], so that the
/// kill completes.
///
/// ```
/// use std::panic::{catch_unwind, resume_unwind};
/// use libgreen::{is_exit_unwind, switch_to_parent, Greenlet};
///
/// let g = Greenlet::new(|_: ()| {
///     let r = catch_unwind(|| switch_to_parent::<(), ()>(()));
///     if let Err(payload) = r {
///         assert!(is_exit_unwind(&*payload));
///         resume_unwind(payload);
///     }
/// });
/// g.switch::<_, ()>(()).unwrap();
/// g.kill().unwrap();
/// assert!(g.is_dead());
/// ```
pub fn is_exit_unwind(payload: &(dyn Any + Send)) -> bool {
    payload.is::<ExitUnwind>()
}

/// Identity hashing for greenlet addresses.
#[derive(Default)]
struct AddrHasher(u64);

impl Hasher for AddrHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8 | b as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }
    fn write_usize(&mut self, n: usize) {
        // Mix the high bits of the product back into the low ones, which
        // pick the bucket.
        let h = (n as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        self.0 = h ^ (h >> 29);
    }
}

/// The addresses of the greenlets of this thread whose Rust body is on
/// their stack (started, not finished).
struct Bodies(HashSet<usize, BuildHasherDefault<AddrHasher>>);

impl Drop for Bodies {
    /// The thread ends: kill the greenlets still suspended, so that their
    /// stacks unwind while this thread's locals still exist (libgreen's own
    /// thread end runs after thread-local destructors, and would free them
    /// without dropping anything).
    fn drop(&mut self) {
        if self.0.is_empty() {
            return;
        }
        // SAFETY: plain calls on the calling thread.
        unsafe {
            let main = sys::green_main();
            if main.is_null() || sys::green_current() != main {
                // The thread ends inside a greenlet: libgreen leaves everything.
                return;
            }
            // Each comes back here; what a kill returns is discarded (a
            // body killed without a payload leaves no value: `receive`).
            abort_on_panic(|| sys::green_kill_suspended());
        }
    }
}

thread_local! {
    /// The greenlets of this thread whose Rust body is on their stack: only
    /// those can be unwound when the exit error arrives.
    static BODIES: RefCell<Bodies> =
        const { RefCell::new(Bodies(HashSet::with_hasher(BuildHasherDefault::new()))) };
    /// The id of this thread, kept at hand.
    static THREAD_ID: ThreadId = thread::current().id();
}

/// Whether the current greenlet is running a body of this crate.
fn current_is_rust_body() -> bool {
    // SAFETY: plain query.
    let cur = unsafe { sys::green_current() } as usize;
    // While the thread ends, after the set is gone, only bodies of this
    // crate can still be killed here (by handles dropped in thread-local
    // destructors): unwind them.
    BODIES
        .try_with(|b| b.borrow().0.contains(&cur))
        .unwrap_or(true)
}

/// Turns what a switch, throw or kill returned into the caller's result.
///
/// # Safety
/// `p` is what libgreen stored for `rc`: a packet of this crate or null.
#[inline(always)]
unsafe fn receive<R: 'static>(rc: c_int, p: *mut c_void) -> Result<R, Error> {
    if rc == sys::GREEN_OK {
        packet::take::<R>(p)
    } else {
        receive_other(rc, p)
    }
}

/// `receive` for everything but an ordinary value.
#[cold]
#[inline(never)]
unsafe fn receive_other<R: 'static>(rc: c_int, p: *mut c_void) -> Result<R, Error> {
    match rc {
        sys::GREEN_OK => packet::take::<R>(p),
        sys::GREEN_THROWN => match packet::take::<Thrown>(p) {
            Ok(Thrown::Panic(payload)) => panic::resume_unwind(payload),
            Ok(Thrown::Value(v)) => Err(Error::Thrown(v)),
            Ok(Thrown::Error(e)) => Err(e),
            Err(_) => Err(Error::Thrown(Box::new(()))),
        },
        sys::GREEN_EXIT => {
            if current_is_rust_body() {
                if p.is_null() {
                    // The release of the last reference: libgreen discards
                    // the result.
                    let common = sys::green_get_userdata(sys::green_current()) as *const Common;
                    (*common).killed.set(true);
                }
                let owner = THREAD_ID.try_with(|id| *id).ok();
                panic::resume_unwind(Box::new(ExitUnwind(p, owner)))
            }
            packet::discard(p);
            Err(Error::Exit)
        }
        rc => Err(Error::from_code(rc).unwrap_or(Error::Unknown(rc))),
    }
}

fn check(rc: c_int) -> Result<(), Error> {
    match Error::from_code(rc) {
        None => Ok(()),
        Some(e) => Err(e),
    }
}

/// Runs `f`, aborting the process if it panics: for code that C calls.
fn abort_on_panic<T>(f: impl FnOnce() -> T) -> T {
    match panic::catch_unwind(AssertUnwindSafe(f)) {
        Ok(v) => v,
        Err(_) => {
            eprintln!("libgreen: a panic cannot cross into C; aborting");
            std::process::abort()
        }
    }
}

unsafe extern "C" fn free_slot<F>(p: *mut c_void) {
    abort_on_panic(|| {
        let mut slot = Box::from_raw(p as *mut Slot<F>);
        if slot.f.is_some() && THREAD_ID.try_with(|id| *id).ok() != Some(slot.common.owner) {
            // A body that never ran, released on another thread: its
            // captures may not be dropped here. Its thread drops it when it
            // next creates a greenlet (never, if it has ended).
            let body = Box::into_raw(Box::new(slot.f.take())) as *mut ();
            let mut orphans = ORPHANS.lock().unwrap_or_else(|e| e.into_inner());
            orphans.push(Orphan {
                owner: slot.common.owner,
                body,
                drop: drop_body::<F>,
            });
            HAS_ORPHANS.store(true, Ordering::Release);
        }
    })
}

/// A never-run body waiting to be dropped on its own thread.
struct Orphan {
    owner: ThreadId,
    body: *mut (),
    drop: unsafe fn(*mut ()),
}

// SAFETY: the body is only moved, never touched, until its owner thread
// drops it.
unsafe impl Send for Orphan {}

static ORPHANS: Mutex<Vec<Orphan>> = Mutex::new(Vec::new());
static HAS_ORPHANS: AtomicBool = AtomicBool::new(false);

unsafe fn drop_body<F>(body: *mut ()) {
    drop(Box::from_raw(body as *mut Option<F>));
}

/// Drops the bodies of this thread that were released on other threads.
#[inline(always)]
fn drop_orphans() {
    if HAS_ORPHANS.load(Ordering::Acquire) {
        drop_orphans_now();
    }
}

#[cold]
#[inline(never)]
fn drop_orphans_now() {
    let Ok(me) = THREAD_ID.try_with(|id| *id) else {
        return;
    };
    let mine: Vec<Orphan> = {
        let mut orphans = ORPHANS.lock().unwrap_or_else(|e| e.into_inner());
        let (mine, rest) = orphans.drain(..).partition(|o| o.owner == me);
        *orphans = rest;
        HAS_ORPHANS.store(!orphans.is_empty(), Ordering::Release);
        mine
    };
    for o in mine {
        // SAFETY: made by free_slot for a body of this thread.
        unsafe { (o.drop)(o.body) };
    }
}

/// The `green_run_fn` of a body `F: FnOnce(I) -> O`.
unsafe extern "C" fn run<F, I, O>(
    this: *mut sys::green_t,
    input: *mut c_void,
    out: *mut *mut c_void,
) -> c_int
where
    F: FnOnce(I) -> O + 'static,
    I: 'static,
    O: 'static,
{
    let slot = sys::green_get_userdata(this) as *mut Slot<F>;
    let f = (*slot).f.take();
    let key = this as usize;
    abort_on_panic(|| {
        let _ = BODIES.try_with(|b| b.borrow_mut().0.insert(key));
    });
    let outcome = panic::catch_unwind(AssertUnwindSafe(move || {
        // Take the input first: it may live on the stack of the sender.
        let input = packet::take::<I>(input);
        let f = f.expect("a greenlet body runs once");
        input.map(f)
    }));
    abort_on_panic(|| {
        let _ = BODIES.try_with(|b| b.borrow_mut().0.remove(&key));
    });
    let killed = (*slot).common.killed.get();
    abort_on_panic(|| {
        let (rc, value) = match outcome {
            Ok(Ok(v)) if killed => {
                drop(v);
                (sys::GREEN_OK, ptr::null_mut())
            }
            Ok(Ok(v)) => (sys::GREEN_OK, packet::heap(v)),
            Ok(Err(e)) => (sys::GREEN_THROWN, packet::heap(Thrown::Error(e))),
            Err(payload) => match payload.downcast::<ExitUnwind>() {
                Ok(mut exit) => (
                    sys::GREEN_EXIT,
                    std::mem::replace(&mut exit.0, ptr::null_mut()),
                ),
                Err(_) if killed => (sys::GREEN_THROWN, ptr::null_mut()),
                Err(payload) => (sys::GREEN_THROWN, packet::heap(Thrown::Panic(payload))),
            },
        };
        *out = value;
        rc
    })
}
