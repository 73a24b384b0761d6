// SPDX-License-Identifier: MIT

//! Generators: a greenlet seen as an iterator.

use std::fmt;
use std::iter::FusedIterator;
use std::marker::PhantomData;
use std::ptr;

use crate::greenlet::send;
use crate::{sys, Builder, Error, Greenlet};

/// An [`Iterator`] whose items are produced by a closure running in its own
/// greenlet, which hands each one out with [`Yielder::yield_`] and is
/// suspended until the next call of [`next`](Iterator::next).
///
/// The body runs lazily: nothing happens until the first `next`. A panic in
/// the body is raised again in the caller of `next`. Dropping the generator
/// before the end kills the body: its stack unwinds and what it holds is
/// dropped.
///
/// ```
/// use libgreen::Generator;
///
/// let fib = Generator::new(|y| {
///     let (mut a, mut b) = (0u64, 1u64);
///     loop {
///         y.yield_(a);
///         (a, b) = (b, a + b);
///     }
/// });
/// let first: Vec<u64> = fib.take(10).collect();
/// assert_eq!(first, [0, 1, 1, 2, 3, 5, 8, 13, 21, 34]);
/// ```
pub struct Generator<T: 'static> {
    greenlet: Greenlet,
    /// The main greenlet of the generator's thread, its parent between
    /// steps.
    main: Greenlet,
    done: bool,
    _item: PhantomData<T>,
}

/// Handed to a generator's body to yield items.
pub struct Yielder<T: 'static> {
    /// The generator's greenlet, which runs every call of `yield_`: the
    /// body only lends the yielder (no `'static` closure, so no other
    /// greenlet, can hold it) and it is not `Sync` (no other thread).
    greenlet: *mut sys::green_t,
    _item: PhantomData<*const T>,
}

impl<T: 'static> Yielder<T> {
    /// Hands `item` to the caller of [`next`](Iterator::next) and suspends
    /// the body until the following call.
    ///
    /// # Panics
    /// If the generator's greenlet is resumed by anything but the
    /// generator (a switch with another value, a throw).
    #[inline]
    pub fn yield_(&self, item: T) {
        // As switch_to_parent, without asking libgreen for the current
        // greenlet: it is the generator's.
        let mut parent = ptr::null_mut();
        // SAFETY: the generator's greenlet is running, so live.
        unsafe { sys::green_get_parent(self.greenlet, &mut parent) };
        let r = if parent.is_null() {
            Err(Error::Main)
        } else {
            // SAFETY: the parent of a live greenlet is live (it holds a
            // reference to it).
            unsafe { send::<Option<T>, ()>(parent, Some(item)) }
        };
        if let Err(e) = r {
            panic!("generator resumed by something else than next(): {e}");
        }
    }
}

impl<T: 'static> fmt::Debug for Yielder<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Yielder")
    }
}

impl<T: 'static> Generator<T> {
    /// A generator running `body` in a greenlet with the default stack.
    ///
    /// # Panics
    /// If libgreen cannot allocate the greenlet.
    pub fn new<F>(body: F) -> Generator<T>
    where
        F: FnOnce(&Yielder<T>) + 'static,
    {
        Generator::with_builder(Builder::new(), body).expect("libgreen could not create a greenlet")
    }

    /// A generator whose greenlet is made by `builder` (for its stack
    /// size).
    ///
    /// # Errors
    /// As [`Builder::create`].
    pub fn with_builder<F>(builder: Builder, body: F) -> Result<Generator<T>, Error>
    where
        F: FnOnce(&Yielder<T>) + 'static,
    {
        // Parented to main between steps: a generator held by the greenlet
        // that iterates it must not hold that greenlet in return (a cycle).
        let main = Greenlet::main();
        let greenlet = builder.parent(&main).create(move |()| -> Option<T> {
            let yielder = Yielder {
                // SAFETY: plain query; the body runs on its greenlet.
                greenlet: unsafe { sys::green_current() },
                _item: PhantomData,
            };
            body(&yielder);
            None
        })?;
        Ok(Generator {
            greenlet,
            main,
            done: false,
            _item: PhantomData,
        })
    }

    /// The greenlet running the body.
    pub fn greenlet(&self) -> &Greenlet {
        &self.greenlet
    }
}

impl<T: 'static> Iterator for Generator<T> {
    type Item = T;

    /// Resumes the body until it yields the next item or finishes.
    ///
    /// # Panics
    /// If the body panics (the panic goes on here), or if `next` is called
    /// from inside the body itself.
    #[inline]
    fn next(&mut self) -> Option<T> {
        if self.done {
            return None;
        }
        // Items go to whoever asks for them; between steps the parent is
        // main again (see with_builder).
        // SAFETY: plain queries of the calling thread.
        let current = unsafe { sys::green_current() };
        let _reparent = if current == self.main.as_ptr() || current == unsafe { sys::green_main() }
        {
            None
        } else {
            // SAFETY: both greenlets are live and of this thread.
            let rc = unsafe { sys::green_set_parent(self.greenlet.as_ptr(), current) };
            if let Some(e) = Error::from_code(rc) {
                panic!("generator cannot be resumed from here: {e}");
            }
            Some(Reparent(&self.greenlet))
        };
        // A panic of the body is resumed by switch; mark the end first.
        self.done = true;
        // SAFETY: the generator's greenlet is live.
        match unsafe { send::<(), Option<T>>(self.greenlet.as_ptr(), ()) } {
            Ok(Some(item)) => {
                self.done = false;
                Some(item)
            }
            Ok(None) | Err(Error::Dead) => None,
            Err(e) => panic!("generator failed: {e}"),
        }
    }
}

/// Gives a generator's greenlet back to main after a step.
struct Reparent<'a>(&'a Greenlet);

impl Drop for Reparent<'_> {
    fn drop(&mut self) {
        // Cannot fail: main is on this thread and never a descendant.
        // SAFETY: both greenlets are live and of this thread.
        unsafe { sys::green_set_parent(self.0.as_ptr(), sys::green_main()) };
    }
}

impl<T: 'static> FusedIterator for Generator<T> {}

impl<T: 'static> fmt::Debug for Generator<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Generator")
            .field("greenlet", &self.greenlet)
            .field("done", &self.done)
            .finish()
    }
}
