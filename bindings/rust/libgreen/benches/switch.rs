// SPDX-License-Identifier: MIT

//! Switch round trip and create+finish through the safe API, next to
//! corosensei measured in the same run. Prints the median of several runs
//! of each, in nanoseconds per operation, and the ratio libgreen/corosensei.
//!
//!   cargo bench -p libgreen --bench switch      (or bindings/rust/bench.sh)

use std::ffi::{c_int, c_void};
use std::hint::black_box;
use std::ptr;
use std::time::Instant;

use corosensei::stack::DefaultStack;
use corosensei::{Coroutine, CoroutineResult};
use libgreen::{switch_to_parent, sys, Generator, Greenlet};

const RUNS: usize = 11;
const SWITCHES: u64 = 1_000_000;
const CREATES: u64 = 100_000;

/// Median of RUNS timings of `f`, which performs `n` operations.
fn median_ns(n: u64, f: fn(u64)) -> f64 {
    medians(n, &[f])[0]
}

/// Medians of RUNS timings of each of `fs` (each performing `n`
/// operations), run in turn within each round so that a busy machine slows
/// them alike.
fn medians(n: u64, fs: &[fn(u64)]) -> Vec<f64> {
    for f in fs {
        f(n / 10); // warm up
    }
    let mut samples = vec![Vec::with_capacity(RUNS); fs.len()];
    for _ in 0..RUNS {
        for (f, v) in fs.iter().zip(&mut samples) {
            let t = Instant::now();
            f(n);
            v.push(t.elapsed().as_nanos() as f64 / n as f64);
        }
    }
    samples
        .into_iter()
        .map(|mut v| {
            v.sort_by(f64::total_cmp);
            v[RUNS / 2]
        })
        .collect()
}

fn green_round_trip(n: u64) {
    let g = Greenlet::new(|mut x: u64| loop {
        x = switch_to_parent(x).unwrap();
    });
    let mut last = 0;
    for i in 0..n {
        last = g.switch::<u64, u64>(black_box(i)).unwrap();
    }
    assert_eq!(last, n - 1);
}

fn coro_round_trip(n: u64) {
    let mut co = Coroutine::new(|y, mut x: u64| loop {
        x = y.suspend(x);
    });
    let mut last = 0;
    for i in 0..n {
        match co.resume(black_box(i)) {
            CoroutineResult::Yield(v) => last = v,
            CoroutineResult::Return(()) => unreachable!(),
        }
    }
    assert_eq!(last, n - 1);
    // Dropping a suspended coroutine unwinds it (as dropping a greenlet).
}

unsafe extern "C" fn raw_pong(
    _: *mut sys::green_t,
    input: *mut c_void,
    _: *mut *mut c_void,
) -> c_int {
    let main = sys::green_main();
    let mut v = input;
    while sys::green_switch(main, v, &mut v) == sys::GREEN_OK {}
    sys::GREEN_OK
}

fn raw_round_trip(n: u64) {
    unsafe {
        let mut g = ptr::null_mut();
        assert_eq!(
            sys::green_create(&mut g, Some(raw_pong), ptr::null_mut(), ptr::null()),
            0
        );
        let mut v = ptr::null_mut();
        for i in 0..n {
            sys::green_switch(g, black_box(i as usize) as *mut c_void, &mut v);
        }
        assert_eq!(v as u64, n - 1);
        sys::green_release(g);
    }
}

fn green_generator(n: u64) {
    let mut g = Generator::new(|y| {
        let mut i = 0u64;
        loop {
            y.yield_(i);
            i += 1;
        }
    });
    let mut last = 0;
    for _ in 0..n {
        last = g.next().unwrap();
    }
    assert_eq!(black_box(last), n - 1);
}

fn coro_generator(n: u64) {
    let mut co = Coroutine::new(|y, ()| {
        let mut i = 0u64;
        loop {
            y.suspend(i);
            i += 1;
        }
    });
    let mut last = 0;
    for _ in 0..n {
        match co.resume(()) {
            CoroutineResult::Yield(v) => last = v,
            CoroutineResult::Return(()) => unreachable!(),
        }
    }
    assert_eq!(black_box(last), n - 1);
}

fn green_create_finish(n: u64) {
    for i in 0..n {
        let g = Greenlet::new(|x: u64| x + 1);
        assert_eq!(g.switch::<u64, u64>(black_box(i)).unwrap(), i + 1);
    }
}

fn coro_create_finish(n: u64) {
    for i in 0..n {
        let mut co = Coroutine::<u64, (), u64>::new(|_, x| x + 1);
        match co.resume(black_box(i)) {
            CoroutineResult::Return(v) => assert_eq!(v, i + 1),
            CoroutineResult::Yield(()) => unreachable!(),
        }
    }
}

fn coro_create_finish_reused_stack(n: u64) {
    let mut stack = Some(DefaultStack::default());
    for i in 0..n {
        let mut co = Coroutine::<u64, (), u64, _>::with_stack(stack.take().unwrap(), |_, x| x + 1);
        match co.resume(black_box(i)) {
            CoroutineResult::Return(v) => assert_eq!(v, i + 1),
            CoroutineResult::Yield(()) => unreachable!(),
        }
        stack = Some(co.into_stack());
    }
}

fn row(name: &str, green: f64, coro: f64) {
    println!(
        "{name:<40} libgreen {green:8.1} ns   corosensei {coro:8.1} ns   ratio {:5.2}x",
        green / coro
    );
}

fn main() {
    // `cargo bench` passes --bench; without it (`cargo test --benches`) the
    // run is kept short.
    let quick = !std::env::args().any(|a| a == "--bench");
    let (switches, creates) = if quick {
        (10_000, 1_000)
    } else {
        (SWITCHES, CREATES)
    };
    let only: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    if let Some(which) = only.as_deref() {
        // One case alone, for profiling: `bench.sh roundtrip`.
        let (n, f): (u64, fn(u64)) = match which {
            "roundtrip" => (switches, green_round_trip),
            "raw" => (switches, raw_round_trip),
            "coro" => (switches, coro_round_trip),
            "create" => (creates, green_create_finish),
            "coro-create" => (creates, coro_create_finish_reused_stack),
            "generator" => (switches, green_generator),
            _ => panic!("unknown case {which}"),
        };
        println!("{which}: {:.1} ns", median_ns(n, f));
        return;
    }
    println!("median of {RUNS} runs, contenders interleaved; round trip = two switches");
    let m = medians(
        switches,
        &[green_round_trip, coro_round_trip, raw_round_trip],
    );
    row("switch round trip", m[0], m[1]);
    let raw = m[2];
    let m = medians(switches, &[green_generator, coro_generator]);
    row("generator next()", m[0], m[1]);
    let m = medians(
        creates,
        &[
            green_create_finish,
            coro_create_finish,
            coro_create_finish_reused_stack,
        ],
    );
    row("create+finish (default stacks)", m[0], m[1]);
    row("create+finish (corosensei stack reused)", m[0], m[2]);
    println!(
        "{:<40} libgreen-sys (C API, no values) {raw:8.1} ns",
        "switch round trip"
    );
}
