// SPDX-License-Identifier: MIT

//! The error type of the safe API.

use std::any::Any;
use std::ffi::CStr;
use std::fmt;

use libgreen_sys as sys;

/// Everything that can go wrong in a call of this crate.
///
/// The first variants map libgreen's negative return codes one to one
/// ([`Error::from_code`], [`Error::code`]); the others describe what arrived
/// instead of the value a switch expected.
///
/// ```
/// use libgreen::Error;
///
/// let e = Error::from_code(libgreen_sys::GREEN_EDEAD).unwrap();
/// assert_eq!(e, Error::Dead);
/// assert_eq!(e.code(), Some(libgreen_sys::GREEN_EDEAD));
/// assert!(e.to_string().contains("GREEN_EDEAD"));
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// `GREEN_EINVAL`: an argument is invalid (for example a stack size out
    /// of range).
    Invalid,
    /// `GREEN_ENOMEM`: memory for a greenlet could not be allocated.
    NoMemory,
    /// `GREEN_EDEAD`: the greenlet is dead and cannot be switched to.
    Dead,
    /// `GREEN_ETHREAD`: the greenlet belongs to another thread.
    WrongThread,
    /// `GREEN_ECYCLE`: the new parent would make the parent chain a cycle.
    Cycle,
    /// `GREEN_EMAIN`: not allowed on a main greenlet.
    Main,
    /// `GREEN_ENOSTACK`: no stack could be mapped for the greenlet.
    NoStack,
    /// `GREEN_EBUSY`: not allowed now: a switch, throw or hook change
    /// inside a hook.
    Busy,
    /// A negative return code this version of the crate does not know.
    Unknown(i32),
    /// A value was thrown into the current greenlet with
    /// [`Greenlet::throw`](crate::Greenlet::throw). It holds that value.
    Thrown(Box<dyn Any + Send + Sync>),
    /// The exit error arrived in a greenlet whose body is not a Rust closure
    /// of this crate (so it cannot be unwound); in a Rust greenlet exit
    /// unwinds the closure instead of returning this.
    Exit,
    /// A value arrived whose type is not the one the receiver asked for, or
    /// no value at all. The value is dropped.
    Mismatch {
        /// The type the receiver expected.
        expected: &'static str,
    },
}

impl Error {
    /// The error for a negative libgreen return code; `None` for the
    /// non-negative ones (success and statuses).
    pub fn from_code(code: i32) -> Option<Error> {
        Some(match code {
            sys::GREEN_EINVAL => Error::Invalid,
            sys::GREEN_ENOMEM => Error::NoMemory,
            sys::GREEN_EDEAD => Error::Dead,
            sys::GREEN_ETHREAD => Error::WrongThread,
            sys::GREEN_ECYCLE => Error::Cycle,
            sys::GREEN_EMAIN => Error::Main,
            sys::GREEN_ENOSTACK => Error::NoStack,
            sys::GREEN_EBUSY => Error::Busy,
            c if c < 0 => Error::Unknown(c),
            _ => return None,
        })
    }

    /// The libgreen return code of this error, if it stands for one.
    pub fn code(&self) -> Option<i32> {
        Some(match self {
            Error::Invalid => sys::GREEN_EINVAL,
            Error::NoMemory => sys::GREEN_ENOMEM,
            Error::Dead => sys::GREEN_EDEAD,
            Error::WrongThread => sys::GREEN_ETHREAD,
            Error::Cycle => sys::GREEN_ECYCLE,
            Error::Main => sys::GREEN_EMAIN,
            Error::NoStack => sys::GREEN_ENOSTACK,
            Error::Busy => sys::GREEN_EBUSY,
            Error::Unknown(c) => *c,
            Error::Thrown(_) | Error::Exit | Error::Mismatch { .. } => return None,
        })
    }

    /// Whether this is a thrown value of type `E`.
    pub fn is_thrown<E: Any + Send + Sync>(&self) -> bool {
        matches!(self, Error::Thrown(v) if v.is::<E>())
    }

    /// The thrown value if it is of type `E`, or the error unchanged.
    ///
    /// ```
    /// use libgreen::Error;
    ///
    /// let e = Error::Thrown(Box::new("boom"));
    /// assert_eq!(e.into_thrown::<&str>().unwrap(), "boom");
    /// assert!(Error::Dead.into_thrown::<&str>().is_err());
    /// ```
    pub fn into_thrown<E: Any + Send + Sync>(self) -> Result<E, Error> {
        match self {
            Error::Thrown(v) => match v.downcast::<E>() {
                Ok(e) => Ok(*e),
                Err(v) => Err(Error::Thrown(v)),
            },
            other => Err(other),
        }
    }
}

fn c_text(p: *const std::ffi::c_char) -> String {
    if p.is_null() {
        return String::from("?");
    }
    // SAFETY: libgreen returns static NUL-terminated strings.
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Thrown(_) => f.write_str("a value was thrown into the greenlet"),
            Error::Exit => f.write_str("the exit error arrived (the greenlet is being killed)"),
            Error::Mismatch { expected } => {
                write!(
                    f,
                    "the value that arrived is not of the expected type {expected}"
                )
            }
            other => {
                let code = other.code().unwrap_or(sys::GREEN_EINVAL);
                // SAFETY: both functions accept any code and may be called
                // from any thread.
                let (text, name) = unsafe {
                    (
                        c_text(sys::green_strerror(code)),
                        c_text(sys::green_error_name(code)),
                    )
                };
                if let Error::Unknown(c) = other {
                    write!(f, "{text} ({name}, code {c})")
                } else {
                    write!(f, "{text} ({name})")
                }
            }
        }
    }
}

impl std::error::Error for Error {}

impl PartialEq for Error {
    /// Errors with a code compare by code; `Exit` equals `Exit`;
    /// `Mismatch` compares the expected type; thrown values never compare
    /// equal (they are opaque).
    fn eq(&self, other: &Error) -> bool {
        match (self, other) {
            (Error::Thrown(_), _) | (_, Error::Thrown(_)) => false,
            (Error::Exit, Error::Exit) => true,
            (Error::Mismatch { expected: a }, Error::Mismatch { expected: b }) => a == b,
            (a, b) => a.code().is_some() && a.code() == b.code(),
        }
    }
}
