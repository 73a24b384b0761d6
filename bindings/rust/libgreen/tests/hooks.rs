// SPDX-License-Identifier: MIT

//! Hooks see every switch; inside them, switching is refused.

use std::cell::RefCell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;

use libgreen::{switch_to_parent, Error, Event, Greenlet, Hook, Phase};

#[test]
fn events_and_phases_of_a_life() {
    let log = Rc::new(RefCell::new(Vec::new()));
    let l = log.clone();
    let hook = Hook::add(move |event, phase, origin, target| {
        l.borrow_mut()
            .push((event, phase, origin.is_main(), target.is_main()));
    })
    .unwrap();
    let g = Greenlet::new(|_: ()| loop {
        let () = switch_to_parent(()).unwrap();
    });
    let () = g.switch(()).unwrap();
    g.kill().unwrap();
    let p = Greenlet::new(|_: ()| -> () { panic!("seen as a throw") });
    assert!(catch_unwind(AssertUnwindSafe(|| p.switch::<(), ()>(()))).is_err());
    drop(hook);
    let () = Greenlet::new(|_: ()| ()).switch(()).unwrap();
    use Event::*;
    use Phase::*;
    assert_eq!(
        *log.borrow(),
        [
            (Switch, Before, true, false), // start g
            (Switch, After, true, false),
            (Switch, Before, false, true), // g hands () back
            (Switch, After, false, true),
            (Exit, Before, true, false), // kill g
            (Exit, After, true, false),
            (Switch, Before, false, true), // exit reaches its top: a value
            (Switch, After, false, true),
            (Switch, Before, true, false), // start p
            (Switch, After, true, false),
            (Throw, Before, false, true), // its panic
            (Throw, After, false, true),
        ]
    );
}

#[test]
fn switching_or_adding_hooks_inside_a_hook_is_busy() {
    let seen = Rc::new(RefCell::new(Vec::new()));
    let s = seen.clone();
    let hook = Hook::add(move |_, phase, _, _| {
        if phase == Phase::After && s.borrow().is_empty() {
            let main = Greenlet::main();
            s.borrow_mut().push(main.switch::<(), ()>(()).unwrap_err());
            s.borrow_mut().push(main.kill().unwrap_err());
            s.borrow_mut().push(Hook::add(|_, _, _, _| ()).unwrap_err());
        }
    })
    .unwrap();
    let g = Greenlet::new(|x: i32| x + 1);
    assert_eq!(g.switch::<i32, i32>(1).unwrap(), 2);
    drop(hook);
    assert_eq!(*seen.borrow(), [Error::Busy, Error::Busy, Error::Busy]);
}

#[test]
fn too_many_hooks_is_an_error() {
    let mut hooks = Vec::new();
    let err = loop {
        match Hook::add(|_, _, _, _| ()) {
            Ok(h) => hooks.push(h),
            Err(e) => break e,
        }
        assert!(hooks.len() <= 8);
    };
    assert_eq!(err, Error::NoMemory);
    hooks.clear();
    // All removed: one can be added again.
    let _again = Hook::add(|_, _, _, _| ()).unwrap();
}
