// SPDX-License-Identifier: MIT

//! Greenlets are bound to their thread.

use std::sync::mpsc;
use std::thread;

use libgreen::{switch_to_parent, sys, Error, Greenlet, State};

#[test]
fn a_remote_handle_refuses_other_threads_and_changes_nothing() {
    let g = Greenlet::new(|x: u32| {
        let y: u32 = switch_to_parent(x + 1).unwrap();
        y * 2
    });
    assert_eq!(g.switch::<u32, u32>(1).unwrap(), 2);
    let remote = g.remote();
    let r2 = remote.clone();
    let (state, err) = thread::spawn(move || {
        let e = r2.to_local().unwrap_err();
        (r2.state(), e)
    })
    .join()
    .unwrap();
    assert_eq!(state, State::Suspended);
    assert_eq!(err, Error::WrongThread);
    // Nothing changed: same parent, still resumable here.
    assert_eq!(g.parent().unwrap(), Greenlet::main());
    let local = remote.to_local().unwrap();
    assert_eq!(local, g);
    assert_eq!(local.switch::<u32, u32>(5).unwrap(), 10);
    assert_eq!(remote.state(), State::Dead);
}

#[test]
fn the_main_greenlet_is_per_thread() {
    let here = Greenlet::main().remote();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let there = Greenlet::main();
        tx.send((here.to_local().err(), there.remote())).unwrap();
    })
    .join()
    .unwrap();
    let (err, there) = rx.recv().unwrap();
    assert_eq!(err, Some(Error::WrongThread));
    assert_eq!(there.to_local().unwrap_err(), Error::WrongThread);
}

#[test]
fn the_c_api_refuses_a_switch_from_another_thread() {
    let g = Greenlet::new(|x: i32| x);
    let addr = g.as_ptr() as usize;
    let rc = thread::spawn(move || unsafe {
        let mut out = std::ptr::null_mut();
        (
            sys::green_switch(addr as *mut sys::green_t, std::ptr::null_mut(), &mut out),
            sys::green_throw_exit(addr as *mut sys::green_t, std::ptr::null_mut(), &mut out),
        )
    })
    .join()
    .unwrap();
    assert_eq!(rc, (sys::GREEN_ETHREAD, sys::GREEN_ETHREAD));
    assert_eq!(Error::from_code(rc.0), Some(Error::WrongThread));
    assert_eq!(g.state(), State::New);
    assert_eq!(g.switch::<i32, i32>(4).unwrap(), 4);
}

#[test]
fn remote_release_from_another_thread_is_carried_out_by_the_owner() {
    use std::cell::Cell;
    use std::rc::Rc;
    let dropped = Rc::new(Cell::new(false));
    struct Flag(Rc<Cell<bool>>);
    impl Drop for Flag {
        fn drop(&mut self) {
            self.0.set(true);
        }
    }
    let flag = Flag(dropped.clone());
    let g = Greenlet::new(move |_: ()| {
        let _f = flag;
        let () = switch_to_parent(()).unwrap();
    });
    let () = g.switch(()).unwrap();
    let remote = g.remote();
    drop(g);
    thread::spawn(move || drop(remote)).join().unwrap();
    assert!(!dropped.get(), "the kill waits for the owner thread");
    // The owner's next call into libgreen runs the kill here.
    let _ = Greenlet::new(|_: ()| ());
    assert!(dropped.get());
}

#[test]
fn greenlets_run_on_many_threads_at_once() {
    let handles: Vec<_> = (0..4u64)
        .map(|k| {
            thread::spawn(move || {
                let g = Greenlet::new(move |mut acc: u64| loop {
                    acc += switch_to_parent::<u64, u64>(acc).unwrap();
                });
                let mut last = g.switch::<u64, u64>(k).unwrap();
                for _ in 0..1000 {
                    last = g.switch::<u64, u64>(1).unwrap();
                }
                last
            })
        })
        .collect();
    let results: Vec<u64> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(results, [1000, 1001, 1002, 1003]);
}

#[test]
fn a_handle_in_a_thread_local_is_killed_when_the_thread_ends() {
    use std::cell::RefCell;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    struct SetOnDrop(Arc<AtomicBool>);
    impl Drop for SetOnDrop {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }
    thread_local! {
        static KEEP: RefCell<Option<Greenlet>> = const { RefCell::new(None) };
    }
    let dropped = Arc::new(AtomicBool::new(false));
    let d = dropped.clone();
    thread::spawn(move || {
        let g = Greenlet::new(move |_: ()| {
            let _guard = SetOnDrop(d);
            loop {
                let () = switch_to_parent(()).unwrap();
            }
        });
        let () = g.switch(()).unwrap();
        KEEP.with(|k| *k.borrow_mut() = Some(g));
    })
    .join()
    .unwrap();
    assert!(dropped.load(Ordering::SeqCst));
}

#[test]
fn a_body_is_never_dropped_on_another_thread() {
    use std::sync::{Arc, Mutex};
    use std::thread::ThreadId;

    struct RecordDrop(Arc<Mutex<Vec<ThreadId>>>);
    impl Drop for RecordDrop {
        fn drop(&mut self) {
            self.0.lock().unwrap().push(thread::current().id());
        }
    }
    let drops = Arc::new(Mutex::new(Vec::new()));
    let token = RecordDrop(drops.clone());
    let g = Greenlet::new(move |_: ()| drop(token));
    let remote = g.remote();
    drop(g);
    // The last reference goes on another thread while the body never ran.
    thread::spawn(move || drop(remote)).join().unwrap();
    assert!(drops.lock().unwrap().is_empty(), "not dropped over there");
    // The owner drops it when it next creates a greenlet.
    let _ = Greenlet::new(|_: ()| ());
    assert_eq!(*drops.lock().unwrap(), [thread::current().id()]);
}

#[test]
fn suspended_bodies_are_unwound_when_their_thread_ends() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    struct Count(Arc<AtomicUsize>);
    impl Drop for Count {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let dropped = Arc::new(AtomicUsize::new(0));
    let d = dropped.clone();
    thread::spawn(move || {
        // Kept alive past the thread's end: forgotten, and a parent cycle.
        let lost = {
            let d = d.clone();
            Greenlet::new(move |_: ()| {
                let _c = Count(d);
                loop {
                    let () = switch_to_parent(()).unwrap();
                }
            })
        };
        let () = lost.switch(()).unwrap();
        std::mem::forget(lost);
        let d2 = d.clone();
        let outer = Greenlet::new(move |_: ()| {
            let _c = Count(d2.clone());
            let d3 = d2.clone();
            let inner = Greenlet::new(move |_: ()| {
                let _c = Count(d3);
                let () = switch_to_parent(()).unwrap();
            });
            let () = inner.switch(()).unwrap();
            let () = switch_to_parent(()).unwrap();
        });
        let () = outer.switch(()).unwrap();
        drop(outer); // kept alive by the cycle with its child
        assert_eq!(d.load(Ordering::SeqCst), 0);
    })
    .join()
    .unwrap();
    assert_eq!(dropped.load(Ordering::SeqCst), 3);
}
