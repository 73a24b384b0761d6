// SPDX-License-Identifier: MIT

//! How values travel: the thread's mailbox, values nobody takes, and the
//! ways around the mailbox (values in flight, big values, copy-mode
//! senders).

mod common;

use std::ffi::{c_int, c_void};
use std::ptr;

use common::DropCounter;
use libgreen::{switch_to_parent, sys, Builder, Error, Greenlet, StackMode};

fn copy() -> Builder {
    Greenlet::builder().stack_mode(StackMode::Copy)
}

/// A C body that never looks at what it receives: it hands control back to
/// the main greenlet with a null value each time, until it is killed.
unsafe extern "C" fn ignorer(_: *mut sys::green_t, _: *mut c_void, out: *mut *mut c_void) -> c_int {
    let mut v = ptr::null_mut();
    while sys::green_switch(sys::green_main(), ptr::null_mut(), &mut v) == sys::GREEN_OK {}
    *out = ptr::null_mut();
    sys::GREEN_OK
}

fn make_ignorer() -> Greenlet {
    let mut raw = ptr::null_mut();
    let rc = unsafe { sys::green_create(&mut raw, Some(ignorer), ptr::null_mut(), ptr::null()) };
    assert_eq!(rc, sys::GREEN_OK);
    unsafe { Greenlet::from_raw(raw) }.unwrap()
}

#[test]
fn a_value_switched_to_oneself_as_another_type_is_dropped_once() {
    let counter = DropCounter::default();
    let me = Greenlet::current();
    let e = me.switch::<_, u32>(counter.token()).unwrap_err();
    assert_eq!(e, Error::Mismatch { expected: "u32" });
    assert_eq!(counter.dropped(), 1);
    // Nothing is left behind: the next value comes back whole.
    let t: common::Token = me.switch(counter.token()).unwrap();
    assert_eq!(counter.dropped(), 1);
    drop(t);
    assert_eq!(counter.dropped(), 2);
}

#[test]
fn a_value_nobody_takes_is_dropped_by_its_sender_when_it_resumes() {
    let counter = DropCounter::default();
    let c = make_ignorer();
    // Started with a value it ignores; back comes a null value.
    let e = c.switch::<_, ()>(counter.token()).unwrap_err();
    assert_eq!(e, Error::Mismatch { expected: "()" });
    assert_eq!(counter.dropped(), 1, "dropped once, on the sender's return");
    let e = c.switch::<_, ()>(counter.token()).unwrap_err();
    assert_eq!(e, Error::Mismatch { expected: "()" });
    assert_eq!(counter.dropped(), 2);
    // Typed values still go through.
    let g = Greenlet::new(|s: String| s + "!");
    assert_eq!(g.switch::<_, String>(String::from("a")).unwrap(), "a!");
    drop(c);
}

#[test]
fn values_travel_while_another_one_waits_for_its_sender() {
    let counter = DropCounter::default();
    let token = counter.token();
    let b = make_ignorer();
    // a (copy mode) sends a token to b, which ignores it and hands control
    // to main: a stays suspended with its value untaken.
    let a = copy()
        .create(move |b: Greenlet| -> u8 { b.switch::<_, u8>(token).unwrap() + 1 })
        .unwrap();
    assert_eq!(
        a.switch::<_, ()>(b.clone()).unwrap_err(),
        Error::Mismatch { expected: "()" }
    );
    assert_eq!(counter.dropped(), 0);

    // Meanwhile values go both ways, from main and from copy-mode greenlets
    // that take turns with a on the shared stack.
    let c = copy()
        .create(|v: Vec<u32>| {
            let pad = std::hint::black_box([7u8; 600]);
            let w: Vec<u32> =
                switch_to_parent(v.iter().map(|x| x * 2).collect::<Vec<_>>()).unwrap();
            w.len() + pad[599] as usize
        })
        .unwrap();
    let doubled: Vec<u32> = c.switch(vec![1u32, 2, 3]).unwrap();
    assert_eq!(doubled, [2, 4, 6]);
    assert_eq!(c.switch::<_, usize>(vec![0u32; 5]).unwrap(), 12);
    let d = copy()
        .create(|s: String| loop {
            let pad = std::hint::black_box([1u8; 300]);
            let t: String = switch_to_parent(s.clone() + &pad[299].to_string()).unwrap();
            if t.is_empty() {
                return s;
            }
        })
        .unwrap();
    assert_eq!(d.switch::<_, String>(String::from("x")).unwrap(), "x1");
    assert_eq!(d.switch::<_, String>(String::new()).unwrap(), "x");
    assert_eq!(counter.dropped(), 0, "a's value still waits");

    // a resumes: its untaken value is dropped, and what arrives is its own.
    assert_eq!(a.switch::<u8, u8>(41).unwrap(), 42);
    assert_eq!(counter.dropped(), 1);
    drop(b);
}

#[test]
fn values_too_big_for_the_mailbox_travel_too() {
    type Big = [u64; 64];
    // Between copy-mode greenlets, which take turns on the shared stack.
    let outer = copy()
        .create(|start: u64| -> u64 {
            let inner = copy()
                .create(|mut big: Big| loop {
                    big.reverse();
                    let pad = std::hint::black_box([3u8; 700]);
                    big = switch_to_parent(big).unwrap();
                    big[0] += pad[0] as u64;
                })
                .unwrap();
            let mut big: Big = std::array::from_fn(|i| start + i as u64);
            for _ in 0..3 {
                let pad = std::hint::black_box([9u8; 500]);
                big = inner.switch(big).unwrap();
                big[63] += pad[499] as u64;
            }
            big.iter().sum()
        })
        .unwrap();
    // Reversed three times; pads added: 3 * 9 (outer) + 2 * 3 (inner).
    let expected: u64 = (0..64).sum::<u64>() + 64 * 100 + 3 * 9 + 2 * 3;
    assert_eq!(outer.switch::<u64, u64>(100).unwrap(), expected);
    // From main, whose stack stays put.
    let g = Greenlet::new(|big: Big| big[0] + big[63]);
    assert_eq!(g.switch::<Big, u64>([5; 64]).unwrap(), 10);
}
