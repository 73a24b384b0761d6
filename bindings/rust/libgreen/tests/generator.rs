// SPDX-License-Identifier: MIT

//! Generators: greenlets seen as iterators.

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};

use common::DropCounter;
use libgreen::{Builder, Generator, Greenlet};

#[test]
fn yields_in_order_then_ends() {
    let mut g = Generator::new(|y| {
        for word in ["a", "b", "c"] {
            y.yield_(word.to_string());
        }
    });
    assert_eq!(g.next().as_deref(), Some("a"));
    let rest: Vec<String> = g.by_ref().collect();
    assert_eq!(rest, ["b", "c"]);
    assert_eq!(g.next(), None);
    assert_eq!(g.next(), None);
    assert!(g.greenlet().is_dead());
}

#[test]
fn the_body_runs_lazily() {
    let counter = DropCounter::default();
    let c = counter.clone();
    let mut g = Generator::new(move |y| {
        drop(c.token()); // counts a step
        y.yield_(1);
        drop(c.token());
        y.yield_(2);
    });
    assert_eq!(counter.dropped(), 0);
    assert_eq!(g.next(), Some(1));
    assert_eq!(counter.dropped(), 1);
    assert_eq!(g.next(), Some(2));
    assert_eq!(counter.dropped(), 2);
    assert_eq!(g.next(), None);
    assert_eq!(counter.dropped(), 2);
}

#[test]
fn an_empty_generator() {
    let g = Generator::<u8>::new(|_| {});
    assert_eq!(g.count(), 0);
}

#[test]
fn dropping_early_drops_what_the_body_holds() {
    let counter = DropCounter::default();
    let c = counter.clone();
    let mut g = Generator::new(move |y| {
        let _held = c.token();
        let mut i = 0u64;
        loop {
            y.yield_(i);
            i += 1;
        }
    });
    assert_eq!(g.nth(3), Some(3));
    assert_eq!(counter.dropped(), 0);
    drop(g);
    assert_eq!(counter.dropped(), 1);
}

#[test]
fn a_panic_in_the_body_reaches_next_and_ends_the_generator() {
    let mut g = Generator::new(|y| {
        y.yield_(1);
        panic!("generator broke");
    });
    assert_eq!(g.next(), Some(1));
    let p = catch_unwind(AssertUnwindSafe(|| g.next())).unwrap_err();
    assert_eq!(p.downcast_ref::<&str>(), Some(&"generator broke"));
    assert_eq!(g.next(), None);
}

#[test]
fn generators_nest() {
    let evens = Generator::new(|y| {
        let naturals = Generator::new(|y2| {
            for i in 0..10u32 {
                y2.yield_(i);
            }
        });
        for n in naturals.filter(|n| n % 2 == 0) {
            y.yield_(n);
        }
    });
    assert_eq!(evens.collect::<Vec<_>>(), [0, 2, 4, 6, 8]);
}

#[test]
fn iterated_inside_another_greenlet_and_dropped_there() {
    let counter = DropCounter::default();
    let c = counter.clone();
    let worker = Greenlet::new(move |_: ()| {
        let c2 = c.clone();
        let mut g = Generator::new(move |y| {
            let _held = c2.token();
            for i in 0.. {
                y.yield_(i);
            }
        });
        let first: Vec<i32> = g.by_ref().take(3).collect();
        // Suspend with the generator alive on this stack.
        let () = libgreen::switch_to_parent(first).unwrap();
        g.next()
    });
    let first: Vec<i32> = worker.switch(()).unwrap();
    assert_eq!(first, [0, 1, 2]);
    assert_eq!(counter.dropped(), 0);
    // No reference cycle: dropping the worker kills it and the generator.
    drop(worker);
    assert_eq!(counter.dropped(), 1);
}

#[test]
fn a_small_stack_from_a_builder() {
    let g = Generator::with_builder(Builder::new().stack_size(16 * 1024), |y| {
        for i in 0..3u8 {
            y.yield_(i);
        }
    })
    .unwrap();
    assert_eq!(g.sum::<u8>(), 3);
    let e = Generator::<u8>::with_builder(Builder::new().stack_size(1), |_| {}).unwrap_err();
    assert_eq!(e, libgreen::Error::Invalid);
}
