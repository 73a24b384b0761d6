// SPDX-License-Identifier: MIT

//! Switching, values, parents, states and the current greenlet.

mod common;

use std::cell::RefCell;
use std::rc::Rc;

use common::DropCounter;
use libgreen::{switch_to_parent, Error, Greenlet, StackMode, State};

#[test]
fn values_go_in_and_out_with_their_types() {
    let g = Greenlet::new(|a: String| {
        let b: Vec<u8> = switch_to_parent(a.len()).unwrap();
        let c: (i32, char) = switch_to_parent(b.iter().map(|&x| x as u32).sum::<u32>()).unwrap();
        format!("{}{}", c.0, c.1)
    });
    let n: usize = g.switch(String::from("hello")).unwrap();
    assert_eq!(n, 5);
    let s: u32 = g.switch(vec![1u8, 2, 3]).unwrap();
    assert_eq!(s, 6);
    let r: String = g.switch((7, 'x')).unwrap();
    assert_eq!(r, "7x");
    assert_eq!(g.state(), State::Dead);
}

#[test]
fn states_follow_the_life_of_a_greenlet() {
    let g = Greenlet::new(|_: ()| {
        let me = Greenlet::current();
        let seen = me.state();
        let () = switch_to_parent(seen).unwrap();
    });
    assert_eq!(g.state(), State::New);
    assert!(!g.is_started() && !g.is_active() && !g.is_dead());
    let inside: State = g.switch(()).unwrap();
    assert_eq!(inside, State::Running);
    assert_eq!(g.state(), State::Suspended);
    assert!(g.is_started() && g.is_active() && !g.is_current());
    let () = g.switch(()).unwrap();
    assert!(g.is_dead() && !g.is_active());
}

#[test]
fn main_and_current() {
    let main = Greenlet::main();
    assert!(main.is_main());
    assert!(main.is_current());
    assert_eq!(Greenlet::current(), main);
    assert_eq!(main.parent(), None);
    let g = Greenlet::new(|_: ()| {
        let cur = Greenlet::current();
        (
            cur.is_main(),
            cur.parent().unwrap().is_main(),
            Greenlet::main().is_current(),
        )
    });
    let seen: (bool, bool, bool) = g.switch(()).unwrap();
    assert_eq!(seen, (false, true, false));
    assert!(!g.is_main());
}

#[test]
fn switching_to_the_current_greenlet_returns_the_value() {
    let me = Greenlet::current();
    let v: i32 = me.switch(41).unwrap();
    assert_eq!(v, 41);
    let g = Greenlet::new(|x: i32| Greenlet::current().switch::<i32, i32>(x + 1).unwrap());
    assert_eq!(g.switch::<i32, i32>(1).unwrap(), 2);
}

#[test]
fn a_value_of_another_type_is_a_mismatch() {
    let g = Greenlet::new(|x: u8| {
        let r: Result<u8, Error> = switch_to_parent(x);
        // Type mismatch reported inside; reply with the error's text.
        r.unwrap_err().to_string()
    });
    // Wrong type expected by the caller: the value is dropped, g suspended.
    let e = g.switch::<u8, String>(3).unwrap_err();
    assert_eq!(
        e,
        Error::Mismatch {
            expected: "alloc::string::String"
        }
    );
    assert_eq!(g.state(), State::Suspended);
    // Wrong type sent in.
    let text: String = g.switch("not a u8").unwrap();
    assert!(text.contains("u8"), "{text}");
}

#[test]
fn starting_with_the_wrong_type_fails_without_running_the_body() {
    let counter = DropCounter::default();
    let token = counter.token();
    let ran = Rc::new(RefCell::new(false));
    let r = ran.clone();
    let g = Greenlet::new(move |_: u32| {
        let _t = &token;
        *r.borrow_mut() = true;
    });
    let e = g.switch::<&str, ()>("zero").unwrap_err();
    assert_eq!(e, Error::Mismatch { expected: "u32" });
    assert!(g.is_dead());
    assert!(!*ran.borrow());
    assert_eq!(counter.dropped(), 1);
}

#[test]
fn switch_to_a_dead_greenlet_is_an_error_and_changes_nothing() {
    let counter = DropCounter::default();
    let g = Greenlet::new(|x: i32| x);
    assert_eq!(g.switch::<i32, i32>(5).unwrap(), 5);
    let e = g.switch::<_, i32>(counter.token()).unwrap_err();
    assert_eq!(e, Error::Dead);
    assert_eq!(counter.dropped(), 1, "the value is dropped, not leaked");
    assert!(g.is_dead());
    assert_eq!(Greenlet::current(), Greenlet::main());
    assert_eq!(g.kill(), Err(Error::Dead));
}

#[test]
fn results_go_to_the_parent() {
    let log = Rc::new(RefCell::new(Vec::new()));
    let l = log.clone();
    let outer = Greenlet::new(move |_: ()| {
        let l2 = l.clone();
        let inner = Greenlet::new(move |x: i32| {
            l2.borrow_mut().push(format!("inner {x}"));
            x * 2
        });
        // inner's parent is outer: its result comes back here.
        let r: i32 = inner.switch(21).unwrap();
        l.borrow_mut().push(format!("outer got {r}"));
        r + 1
    });
    let r: i32 = outer.switch(()).unwrap();
    assert_eq!(r, 43);
    assert_eq!(*log.borrow(), ["inner 21", "outer got 42"]);
}

#[test]
fn set_parent_redirects_results() {
    let a = Greenlet::new(|_: ()| {
        // Resumed by b's result.
        let v: i32 = switch_to_parent(()).unwrap();
        v + 100
    });
    let () = a.switch(()).unwrap();
    let b = Greenlet::new(|x: i32| x);
    b.set_parent(&a).unwrap();
    assert_eq!(b.parent().unwrap(), a);
    // b finishes into a, which finishes into main.
    let r: i32 = b.switch(1).unwrap();
    assert_eq!(r, 101);
    assert!(a.is_dead() && b.is_dead());
}

#[test]
fn result_of_a_child_with_a_dead_parent_goes_to_the_first_live_ancestor() {
    let dead = Greenlet::new(|_: ()| ());
    let () = dead.switch(()).unwrap();
    let child = Greenlet::builder()
        .parent(&dead)
        .create(|x: i32| x * 3)
        .unwrap();
    let r: i32 = child.switch(7).unwrap();
    assert_eq!(r, 21);
}

#[test]
fn parent_cycles_are_refused_and_change_nothing() {
    let a = Greenlet::new(|_: ()| ());
    let b = Greenlet::builder().parent(&a).create(|_: ()| ()).unwrap();
    let c = Greenlet::builder().parent(&b).create(|_: ()| ()).unwrap();
    assert_eq!(a.set_parent(&c), Err(Error::Cycle));
    assert_eq!(a.set_parent(&a), Err(Error::Cycle));
    assert_eq!(a.parent().unwrap(), Greenlet::main());
    assert_eq!(c.parent().unwrap(), b);
    let main = Greenlet::main();
    assert_eq!(main.set_parent(&a), Err(Error::Main));
    assert_eq!(main.parent(), None);
}

#[test]
fn clones_are_references_to_the_same_greenlet() {
    let g = Greenlet::new(|x: i32| x);
    let h = g.clone();
    assert_eq!(g, h);
    drop(g);
    assert_eq!(h.switch::<i32, i32>(9).unwrap(), 9);
    assert!(h.is_dead());
    let other = Greenlet::new(|x: i32| x);
    assert_ne!(h, other);
    let set: std::collections::HashSet<Greenlet> = [h.clone(), h, other].into_iter().collect();
    assert_eq!(set.len(), 2);
}

#[test]
fn builder_options_are_checked() {
    let counter = DropCounter::default();
    let t = counter.token();
    let e = Greenlet::builder()
        .stack_size(1024)
        .create(move |_: ()| drop(t))
        .unwrap_err();
    assert_eq!(e, Error::Invalid);
    assert_eq!(counter.dropped(), 1, "the refused body is dropped");
    let g = Greenlet::builder()
        .stack_size(16 * 1024)
        .create(|n: u32| (0..n).sum::<u32>())
        .unwrap();
    assert_eq!(g.switch::<u32, u32>(10).unwrap(), 45);
}

#[test]
fn deep_recursion_fits_a_big_stack() {
    fn depth(n: u64) -> u64 {
        // A frame that the optimiser cannot shrink away.
        let pad = std::hint::black_box([n; 16]);
        if n == 0 {
            0
        } else {
            1 + depth(pad[15] - 1)
        }
    }
    // Guarded: copy mode (which GREEN_STACK_MODE may make the default)
    // ignores the size.
    let g = Greenlet::builder()
        .stack_mode(StackMode::Guarded)
        .stack_size(8 << 20)
        .create(|n: u64| depth(n))
        .unwrap();
    assert_eq!(g.switch::<u64, u64>(5_000).unwrap(), 5_000);
}

#[test]
fn many_greenlets_interleave() {
    let gs: Vec<Greenlet> = (0..1000)
        .map(|i| {
            Greenlet::new(move |_: ()| {
                let mut acc = i;
                for _ in 0..3 {
                    acc += switch_to_parent::<u64, u64>(acc).unwrap();
                }
                acc
            })
        })
        .collect();
    let mut total = 0;
    for round in 0..4 {
        for (i, g) in gs.iter().enumerate() {
            let v: u64 = if round == 0 {
                g.switch(()).unwrap()
            } else {
                g.switch(1u64).unwrap()
            };
            assert_eq!(v, i as u64 + round);
            if round == 3 {
                total += v;
            }
        }
    }
    assert!(gs.iter().all(Greenlet::is_dead));
    assert_eq!(total, (0..1000).sum::<u64>() + 3 * 1000);
}

#[test]
fn symmetric_ping_pong_between_two_greenlets() {
    // Each greenlet switches directly to the other, not to its parent.
    let log = Rc::new(RefCell::new(Vec::new()));
    let slot: Rc<RefCell<Option<Greenlet>>> = Rc::default();
    let (l, s) = (log.clone(), slot.clone());
    let ping = Greenlet::new(move |mut n: u32| {
        let pong = s.borrow().clone().unwrap();
        while n < 6 {
            l.borrow_mut().push(format!("ping {n}"));
            n = pong.switch(n + 1).unwrap();
        }
        n
    });
    let l = log.clone();
    let p = ping.clone();
    let pong = Greenlet::new(move |mut n: u32| loop {
        l.borrow_mut().push(format!("pong {n}"));
        n = p.switch(n + 1).unwrap();
    });
    *slot.borrow_mut() = Some(pong.clone());
    let r: u32 = ping.switch(0u32).unwrap();
    assert_eq!(r, 6);
    assert_eq!(
        *log.borrow(),
        ["ping 0", "pong 1", "ping 2", "pong 3", "ping 4", "pong 5"]
    );
    slot.borrow_mut().take();
    assert_eq!(pong.state(), State::Suspended);
}

#[test]
fn switch_to_parent_on_main_is_an_error() {
    assert_eq!(switch_to_parent::<i32, i32>(1), Err(Error::Main));
}

#[test]
fn raw_pointers_round_trip() {
    let g = Greenlet::new(|x: i32| x);
    let p = g.clone().into_raw();
    assert_eq!(p, g.as_ptr());
    let back = unsafe { Greenlet::from_raw(p) }.unwrap();
    assert_eq!(back, g);
    let borrowed = unsafe { Greenlet::from_borrowed(g.as_ptr()) }.unwrap();
    drop(back);
    assert_eq!(borrowed.switch::<i32, i32>(3).unwrap(), 3);
    assert!(unsafe { Greenlet::from_raw(std::ptr::null_mut()) }.is_none());
}
