// SPDX-License-Identifier: MIT

//! Greenlets whose bodies are C functions, next to Rust ones.

use std::cell::RefCell;
use std::ffi::{c_int, c_void};
use std::ptr;

use libgreen::{sys, Error, Greenlet, Raw, State};

thread_local! {
    static SEEN: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// A body with the C signature that uses the safe API: it is not a body of
/// the safe API, so the exit error arrives as `Error::Exit` instead of an
/// unwind.
unsafe extern "C" fn foreign(_: *mut sys::green_t, _: *mut c_void, out: *mut *mut c_void) -> c_int {
    let main = Greenlet::main();
    let first = main.switch::<(), ()>(());
    let second = main.switch::<(), ()>(());
    SEEN.with(|s| s.borrow_mut().push(format!("{first:?} {second:?}")));
    *out = ptr::null_mut();
    sys::GREEN_OK
}

#[test]
fn exit_in_a_body_made_by_c_is_an_error_not_an_unwind() {
    let mut raw = ptr::null_mut();
    let rc = unsafe { sys::green_create(&mut raw, Some(foreign), ptr::null_mut(), ptr::null()) };
    assert_eq!(rc, sys::GREEN_OK);
    let g = unsafe { Greenlet::from_raw(raw) }.unwrap();
    let () = g.switch(()).unwrap();
    let () = g.switch(()).unwrap();
    assert_eq!(g.state(), State::Suspended);
    g.kill().unwrap();
    assert!(g.is_dead());
    let seen = SEEN.with(|s| s.borrow().clone());
    assert_eq!(seen, ["Ok(()) Err(Exit)"]);
}

/// A C-style body that doubles integers passed as pointers.
unsafe extern "C" fn doubler(
    _: *mut sys::green_t,
    input: *mut c_void,
    out: *mut *mut c_void,
) -> c_int {
    let mut v = input as usize;
    let main = sys::green_main();
    loop {
        let mut next = ptr::null_mut();
        match sys::green_switch(main, (v * 2) as *mut c_void, &mut next) {
            sys::GREEN_OK => v = next as usize,
            _ => {
                *out = next;
                return sys::GREEN_EXIT;
            }
        }
    }
}

#[test]
fn raw_switches_talk_to_c_bodies() {
    let mut raw = ptr::null_mut();
    let rc = unsafe { sys::green_create(&mut raw, Some(doubler), ptr::null_mut(), ptr::null()) };
    assert_eq!(rc, sys::GREEN_OK);
    let g = unsafe { Greenlet::from_raw(raw) }.unwrap();
    for i in 1..5usize {
        let r = unsafe { g.switch_raw(i as *mut c_void) }.unwrap();
        assert_eq!(r, Raw::Value((2 * i) as *mut c_void));
    }
    // The last reference kills it: its switch gets GREEN_EXIT.
    drop(g);
    let mut dead = ptr::null_mut();
    let rc = unsafe { sys::green_create(&mut dead, Some(doubler), ptr::null_mut(), ptr::null()) };
    assert_eq!(rc, sys::GREEN_OK);
    let g = unsafe { Greenlet::from_raw(dead) }.unwrap();
    g.kill().unwrap();
    assert_eq!(unsafe { g.switch_raw(ptr::null_mut()) }, Err(Error::Dead));
}
