//! How Rust values travel through libgreen's `void *`.
//!
//! Every pointer this crate hands to libgreen points to a [`Header`], which
//! points to an `Option<T>` seen as `dyn Any`. The receiver checks the type,
//! takes the value out and, for a packet on the heap, frees it.
//!
//! - A plain switch sends a header and value that live on the sender's
//!   stack: the sender stays suspended until someone switches back to it, and
//!   the receiver takes the value out at once, so no allocation is needed.
//! - Results of finished greenlets, thrown payloads and exit payloads are
//!   boxed: the sender's stack may be gone (or unwound) by the time they are
//!   received.

use std::any::{type_name, TypeId};
use std::ffi::c_void;
use std::ptr;

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

/// Takes the value of type `T` out of the packet at `p` (freeing a heap
/// packet). A null pointer or another type gives `Error::Mismatch`; the
/// value of another type stays with its sender (stack) or is dropped
/// (heap).
///
/// # Safety
/// `p` is null or a packet made by this module that has not been taken
/// from yet (stack packets: whose sender is still suspended).
#[inline(always)]
pub(crate) unsafe fn take<T: 'static>(p: *mut c_void) -> Result<T, Error> {
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

/// Frees a heap packet without looking at its value (a stack packet is left
/// to its sender).
///
/// # Safety
/// As for [`take`].
pub(crate) unsafe fn discard(p: *mut c_void) {
    if !p.is_null() {
        let h = p as *mut Header;
        if let Some(free) = (*h).free {
            free(h);
        }
    }
}
