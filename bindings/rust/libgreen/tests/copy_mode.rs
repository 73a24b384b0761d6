// SPDX-License-Identifier: MIT

//! Copy-mode greenlets share one stack: values they send must not live on
//! it.

mod common;

use std::cell::RefCell;
use std::rc::Rc;

use common::DropCounter;
use libgreen::{switch_to_parent, Builder, Generator, Greenlet, StackMode};

fn copy() -> Builder {
    Greenlet::builder().stack_mode(StackMode::Copy)
}

#[test]
fn copy_greenlets_switch_values_to_each_other() {
    // a and b switch straight to each other, both on the shared stack.
    let peer: Rc<RefCell<Option<Greenlet>>> = Rc::default();
    let p = peer.clone();
    let a = copy()
        .create(move |mut v: Vec<String>| {
            let b = p.borrow().clone().unwrap();
            while v.len() < 6 {
                v.push(format!("a{}", v.len()));
                // Big enough that the bytes on a's stack matter.
                let pad = std::hint::black_box([v.len() as u8; 512]);
                v = b.switch(v).unwrap();
                assert_eq!(pad[511] as usize + 1, v.len());
            }
            v
        })
        .unwrap();
    let a2 = a.clone();
    let b = copy()
        .create(move |mut v: Vec<String>| loop {
            v.push(format!("b{}", v.len()));
            let pad = std::hint::black_box([0xabu8; 700]);
            v = a2.switch(v).unwrap();
            assert_eq!(pad[0], 0xab);
        })
        .unwrap();
    *peer.borrow_mut() = Some(b.clone());
    let v: Vec<String> = a.switch(Vec::<String>::new()).unwrap();
    assert_eq!(v, ["a0", "b1", "a2", "b3", "a4", "b5"]);
    assert_eq!(a.stack_mode(), StackMode::Copy);
    assert_eq!(b.stack_mode(), StackMode::Copy);
    peer.borrow_mut().take();
}

#[test]
fn a_copy_greenlet_starts_another_one() {
    let outer = copy()
        .create(|s: String| {
            let inner = copy().create(|s: String| s.repeat(3)).unwrap();
            let pad = std::hint::black_box([1u8; 300]);
            let r: String = inner.switch(s).unwrap();
            r + &pad.len().to_string()
        })
        .unwrap();
    let r: String = outer.switch(String::from("ab")).unwrap();
    assert_eq!(r, "ababab300");
}

#[test]
fn copy_and_guarded_greenlets_mix() {
    let counter = DropCounter::default();
    let c = counter.clone();
    let gen = Generator::with_builder(copy(), move |y| {
        let _t = c.token();
        for i in 0..5u32 {
            y.yield_(i * 10);
        }
    })
    .unwrap();
    let guarded = Greenlet::builder()
        .stack_mode(StackMode::Guarded)
        .create(move |_: ()| gen.map(|x| x + 1).collect::<Vec<_>>())
        .unwrap();
    let v: Vec<u32> = guarded.switch(()).unwrap();
    assert_eq!(v, [1, 11, 21, 31, 41]);
    assert_eq!(counter.dropped(), 1);
}

#[test]
fn many_suspended_copy_greenlets_are_killed_on_drop() {
    let counter = DropCounter::default();
    let gs: Vec<Greenlet> = (0..5000u32)
        .map(|i| {
            let t = counter.token();
            let g = copy()
                .create(move |_: ()| {
                    let _t = t;
                    let mut n = i;
                    loop {
                        n = switch_to_parent(n).unwrap();
                    }
                })
                .unwrap();
            assert_eq!(g.switch::<(), u32>(()).unwrap(), i);
            g
        })
        .collect();
    for (i, g) in gs.iter().enumerate().step_by(97) {
        assert_eq!(g.switch::<u32, u32>(i as u32 + 1).unwrap(), i as u32 + 1);
    }
    drop(gs);
    assert_eq!(counter.dropped(), 5000);
}
