// SPDX-License-Identifier: MIT

//! Hooks: closures called on every switch of the thread, for tracers and
//! profilers.

use std::ffi::{c_int, c_void};
use std::fmt;
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::panic::{self, AssertUnwindSafe};

use libgreen_sys as sys;

use crate::{Error, Greenlet};

/// What a switch delivers (see [`Hook`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Event {
    /// A value goes to the target (a switch, or a result).
    Switch,
    /// An error payload goes to the target (a throw, or a panic).
    Throw,
    /// The exit error goes to the target (a kill).
    Exit,
    /// The target survived its kill and is leaked.
    Leak,
}

/// When a hook runs relative to the stack switch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    /// On the origin's stack, just before the switch.
    Before,
    /// On the target's stack, just after the switch.
    After,
}

type HookFn = dyn FnMut(Event, Phase, &Greenlet, &Greenlet);

/// A closure that the calling thread runs for every switch and throw that
/// changes its running greenlet, twice (before and after the stack switch),
/// with the origin and the target. Removed when dropped.
///
/// Inside a hook, switching, throwing and adding or removing hooks fail
/// with [`Error::Busy`]. A panic in a hook aborts the process (it would
/// have to cross libgreen's C frames).
///
/// ```
/// use std::cell::RefCell;
/// use std::rc::Rc;
/// use libgreen::{Event, Greenlet, Hook, Phase};
///
/// let log = Rc::new(RefCell::new(Vec::new()));
/// let l = log.clone();
/// let hook = Hook::add(move |event, phase, _origin, target| {
///     if phase == Phase::After {
///         l.borrow_mut().push((event, target.is_main()));
///     }
/// })
/// .unwrap();
/// let g = Greenlet::new(|x: u8| x);
/// let _: u8 = g.switch(1u8).unwrap();
/// drop(hook);
/// let _: u8 = Greenlet::new(|x: u8| x).switch(2u8).unwrap(); // not seen
/// assert_eq!(*log.borrow(), [(Event::Switch, false), (Event::Switch, true)]);
/// ```
pub struct Hook {
    data: *mut Box<HookFn>,
    _not_send: PhantomData<*mut ()>,
}

unsafe extern "C" fn trampoline(
    data: *mut c_void,
    event: c_int,
    phase: c_int,
    origin: *mut sys::green_t,
    target: *mut sys::green_t,
) {
    let event = match event {
        sys::GREEN_EVENT_THROW => Event::Throw,
        sys::GREEN_EVENT_EXIT => Event::Exit,
        sys::GREEN_EVENT_LEAK => Event::Leak,
        _ => Event::Switch,
    };
    let phase = if phase == sys::GREEN_PHASE_BEFORE {
        Phase::Before
    } else {
        Phase::After
    };
    let (Some(origin), Some(target)) = (Greenlet::from_raw(origin), Greenlet::from_raw(target))
    else {
        return;
    };
    // Borrowed for the call: the handles must not release.
    let (origin, target) = (ManuallyDrop::new(origin), ManuallyDrop::new(target));
    let f = &mut *(data as *mut Box<HookFn>);
    if panic::catch_unwind(AssertUnwindSafe(|| f(event, phase, &origin, &target))).is_err() {
        eprintln!("libgreen: a hook panicked; aborting");
        std::process::abort();
    }
}

impl Hook {
    /// Adds `f` as a hook of the calling thread.
    ///
    /// # Errors
    /// [`Error::NoMemory`] when the thread has its maximum of hooks
    /// (8, all bindings together), [`Error::Busy`] inside a hook.
    pub fn add<F>(f: F) -> Result<Hook, Error>
    where
        F: FnMut(Event, Phase, &Greenlet, &Greenlet) + 'static,
    {
        let data: *mut Box<HookFn> = Box::into_raw(Box::new(Box::new(f)));
        // SAFETY: data stays valid until the hook is removed.
        let rc = unsafe { sys::green_hook_add(Some(trampoline), data as *mut c_void) };
        if let Some(e) = Error::from_code(rc) {
            // SAFETY: not registered.
            drop(unsafe { Box::from_raw(data) });
            return Err(e);
        }
        Ok(Hook {
            data,
            _not_send: PhantomData,
        })
    }
}

impl Drop for Hook {
    /// Removes the hook. Dropped inside a hook (where libgreen refuses to
    /// remove hooks) it stays registered, and its closure is leaked.
    fn drop(&mut self) {
        // SAFETY: registered by add with these arguments.
        let rc = unsafe { sys::green_hook_remove(Some(trampoline), self.data as *mut c_void) };
        if rc == sys::GREEN_OK {
            // SAFETY: no longer reachable from libgreen.
            drop(unsafe { Box::from_raw(self.data) });
        }
    }
}

impl fmt::Debug for Hook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hook").field("data", &self.data).finish()
    }
}
