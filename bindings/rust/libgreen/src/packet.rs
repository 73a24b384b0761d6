// SPDX-License-Identifier: MIT

//! How Rust values travel through libgreen's `void *`.
//!
//! - A plain switch puts the value in its thread's [`Mailbox`]: a slot in a
//!   thread-local, whose address never changes (unlike the stack of a
//!   copy-mode sender, whose bytes move to the heap when another copy-mode
//!   greenlet runs). The pointer sent is the mailbox's address. The receiver
//!   checks the type and takes the value out at once, which empties the
//!   mailbox; a value nobody took is dropped by its sender when the sender
//!   resumes. No allocation, and no question to libgreen about where the
//!   sender's stack lives.
//! - Every other pointer this crate hands to libgreen points to a
//!   [`Header`], which points to an `Option<T>` seen as `dyn Any`. When the
//!   mailbox is full (a value is in flight that its receiver did not take)
//!   or the value is too big for it, a plain switch sends such a packet on
//!   the sender's stack if that stack stays put while the sender is
//!   suspended (not in copy mode), else a boxed one.
//! - Results of finished greenlets, thrown payloads and exit payloads are
//!   boxed: the sender's stack may be gone (or unwound) by the time they are
//!   received.

use std::any::{type_name, TypeId};
use std::cell::UnsafeCell;
use std::ffi::c_void;
use std::mem::{align_of, size_of, MaybeUninit};
use std::ptr::{self, addr_of_mut};

use crate::Error;

#[repr(C)]
pub(crate) struct Header {
    /// The type of the value.
    type_id: TypeId,
    /// The `Option<T>` holding the value; `None` once taken.
    value: *mut u8,
    /// Frees the packet when it lives on the heap.
    free: Option<unsafe fn(*mut Header)>,
}

/// A value on the sender's stack. Pass [`StackPacket::as_ptr`] to libgreen
/// and keep the packet alive until the call returns.
#[repr(C)]
pub(crate) struct StackPacket<T: 'static> {
    header: Header,
    value: Option<T>,
}

impl<T: 'static> StackPacket<T> {
    #[inline(always)]
    pub(crate) fn new(value: T) -> Self {
        StackPacket {
            header: Header {
                type_id: TypeId::of::<T>(),
                value: ptr::null_mut(),
                free: None,
            },
            value: Some(value),
        }
    }

    /// The pointer to send. The packet must not move while it is in flight.
    #[inline(always)]
    pub(crate) fn as_ptr(&mut self) -> *mut c_void {
        self.header.value = &mut self.value as *mut Option<T> as *mut u8;
        &mut self.header as *mut Header as *mut c_void
    }
}

#[repr(C)]
struct HeapPacket<T: 'static> {
    header: Header,
    value: Option<T>,
}

unsafe fn free_heap<T: 'static>(h: *mut Header) {
    drop(Box::from_raw(h as *mut HeapPacket<T>));
}

/// Boxes `value` into a packet that the receiver frees.
pub(crate) fn heap<T: 'static>(value: T) -> *mut c_void {
    let p = Box::into_raw(Box::new(HeapPacket {
        header: Header {
            type_id: TypeId::of::<T>(),
            value: ptr::null_mut(),
            free: Some(free_heap::<T>),
        },
        value: Some(value),
    }));
    // SAFETY: p is a valid, uniquely owned allocation.
    unsafe {
        (*p).header.value = ptr::addr_of_mut!((*p).value) as *mut u8;
    }
    p as *mut c_void
}

/// Takes the value of type `T` out of the mailbox or the packet at `p`
/// (emptying the mailbox, freeing a heap packet). A null pointer, an empty
/// mailbox or another type gives `Error::Mismatch`; the value of another
/// type stays with its sender (mailbox, stack) or is dropped (heap).
///
/// # Safety
/// `p` is null, this thread's mailbox, or a packet made by this module that
/// has not been taken from yet (stack packets: whose sender is still
/// suspended).
#[inline(always)]
pub(crate) unsafe fn take<T: 'static>(p: *mut c_void) -> Result<T, Error> {
    let m = mailbox();
    if p == m as *mut c_void {
        return match take_mail::<T>(m) {
            Some(v) => Ok(v),
            None => mismatch::<T>(p),
        };
    }
    take_packet::<T>(p)
}

/// `take` for anything but the mailbox: a header, or null. Out of the way
/// of plain switches, whose values come in the mailbox.
#[cold]
#[inline(never)]
unsafe fn take_packet<T: 'static>(p: *mut c_void) -> Result<T, Error> {
    let h = p as *mut Header;
    if !h.is_null() && (*h).type_id == TypeId::of::<T>() {
        if let Some(v) = (*((*h).value as *mut Option<T>)).take() {
            if let Some(free) = (*h).free {
                free(h);
            }
            return Ok(v);
        }
    }
    mismatch::<T>(p)
}

#[cold]
#[inline(never)]
unsafe fn mismatch<T: 'static>(p: *mut c_void) -> Result<T, Error> {
    discard(p);
    Err(Error::Mismatch {
        expected: type_name::<T>(),
    })
}

/// Frees a heap packet without looking at its value (a value in the mailbox
/// or on a stack is left to its sender).
///
/// # Safety
/// As for [`take`].
pub(crate) unsafe fn discard(p: *mut c_void) {
    if !p.is_null() && p != mailbox() as *mut c_void {
        let h = p as *mut Header;
        if let Some(free) = (*h).free {
            free(h);
        }
    }
}

/// The bytes of the mailbox that can hold a value.
const ROOM: usize = 128;

#[repr(C, align(16))]
struct Room([MaybeUninit<u8>; ROOM]);

/// A thread's mailbox: one value at a fixed address.
///
/// `state` counts the values posted and the values taken out (or dropped):
/// it is odd while the mailbox is full, and then `room` holds a value of the
/// type `type_id` names. A post makes it the odd number `n` that identifies
/// the value; a sender that finds `n` there once its switch has returned
/// knows that nobody took its value.
#[repr(C)]
pub(crate) struct Mailbox {
    state: u64,
    type_id: MaybeUninit<TypeId>,
    room: Room,
}

thread_local! {
    /// A const initialiser and no destructor: access is an offset from the
    /// thread pointer, and it also works during thread-local destruction.
    static MAILBOX: UnsafeCell<Mailbox> = const {
        UnsafeCell::new(Mailbox {
            state: 0,
            type_id: MaybeUninit::uninit(),
            room: Room([MaybeUninit::uninit(); ROOM]),
        })
    };
}

/// Whether values of type `T` fit in the mailbox (known at compile time).
#[inline(always)]
pub(crate) const fn fits_mailbox<T>() -> bool {
    size_of::<T>() <= ROOM && align_of::<T>() <= align_of::<Room>()
}

/// The calling thread's mailbox.
#[inline(always)]
pub(crate) fn mailbox() -> *mut Mailbox {
    MAILBOX.with(|m| m.get())
}

/// Whether the mailbox is empty.
///
/// # Safety
/// `m` is the calling thread's mailbox.
#[inline(always)]
pub(crate) unsafe fn is_empty(m: *mut Mailbox) -> bool {
    (*m).state & 1 == 0
}

/// Puts `value` into the empty mailbox `m`. Returns the pointer to send and
/// the number to give [`is_unclaimed`] once the switch has returned.
///
/// # Safety
/// `m` is the calling thread's mailbox, empty, and `fits_mailbox::<T>()`.
#[inline(always)]
pub(crate) unsafe fn post<T: 'static>(m: *mut Mailbox, value: T) -> (*mut c_void, u64) {
    debug_assert!(fits_mailbox::<T>() && is_empty(m));
    // A u64 does not wrap in practice: n is new.
    let n = (*m).state + 1;
    (*m).state = n;
    (*m).type_id.write(TypeId::of::<T>());
    (addr_of_mut!((*m).room) as *mut T).write(value);
    (m as *mut c_void, n)
}

/// Whether the value posted as number `n` is still in the mailbox: nobody
/// took it (the switch failed, or went to the sender itself, or to a
/// receiver that did not take it).
///
/// # Safety
/// `m` is the calling thread's mailbox.
#[inline(always)]
pub(crate) unsafe fn is_unclaimed(m: *mut Mailbox, n: u64) -> bool {
    (*m).state == n
}

/// Takes a value of type `T` out of the mailbox `m`, emptying it; `None`
/// (and no change) if it is empty or holds another type.
///
/// # Safety
/// `m` is the calling thread's mailbox.
#[inline(always)]
pub(crate) unsafe fn take_mail<T: 'static>(m: *mut Mailbox) -> Option<T> {
    if !fits_mailbox::<T>() || is_empty(m) || (*m).type_id.assume_init() != TypeId::of::<T>() {
        return None;
    }
    (*m).state += 1;
    Some((addr_of_mut!((*m).room) as *mut T).read())
}

/// Drops the value in the mailbox and empties it.
///
/// # Safety
/// `m` is the calling thread's mailbox, holding a value of type `T`.
#[cold]
#[inline(never)]
pub(crate) unsafe fn reclaim<T: 'static>(m: *mut Mailbox) {
    // Empty it first: the value's drop may switch and use the mailbox.
    (*m).state += 1;
    drop((addr_of_mut!((*m).room) as *mut T).read());
}
