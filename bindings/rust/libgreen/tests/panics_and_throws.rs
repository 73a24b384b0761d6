// SPDX-License-Identifier: MIT

//! Panics crossing greenlets and values thrown into them.

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};

use common::DropCounter;
use libgreen::{switch_to_parent, Error, Greenlet, State};

fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        String::from("<other>")
    }
}

#[test]
fn a_panic_is_raised_again_in_the_parent() {
    let counter = DropCounter::default();
    let t = counter.token();
    let g = Greenlet::new(move |x: i32| -> i32 {
        let _held = t;
        if x > 0 {
            panic!("boom {x}");
        }
        x
    });
    let r = catch_unwind(AssertUnwindSafe(|| g.switch::<i32, i32>(3)));
    let payload = r.unwrap_err();
    assert_eq!(panic_text(&*payload), "boom 3");
    assert!(g.is_dead());
    assert_eq!(counter.dropped(), 1, "the body's values were dropped");
    assert!(Greenlet::current().is_main());
}

#[test]
fn a_panic_keeps_its_payload_type() {
    #[derive(Debug, PartialEq)]
    struct Custom(u32);
    let g = Greenlet::new(|_: ()| std::panic::panic_any(Custom(7)));
    let payload = catch_unwind(AssertUnwindSafe(|| g.switch::<(), ()>(()))).unwrap_err();
    assert_eq!(payload.downcast_ref::<Custom>(), Some(&Custom(7)));
}

#[test]
fn a_panic_climbs_one_greenlet_at_a_time() {
    // grandchild panics -> child (its parent) sees the panic and may catch
    // it; if it does not, the panic reaches main.
    let g = Greenlet::new(|_: ()| {
        let inner = Greenlet::new(|_: ()| -> () { panic!("deep") });
        let caught = catch_unwind(AssertUnwindSafe(|| inner.switch::<(), ()>(()))).is_err();
        assert!(caught);
        let again = Greenlet::new(|_: ()| -> () { panic!("deeper") });
        again.switch::<(), ()>(()).unwrap();
        unreachable!()
    });
    let payload = catch_unwind(AssertUnwindSafe(|| g.switch::<(), ()>(()))).unwrap_err();
    assert_eq!(panic_text(&*payload), "deeper");
    assert!(g.is_dead());
}

#[test]
fn a_panic_goes_to_the_parent_not_to_the_switcher() {
    // b's parent is main, but a starts it: the panic goes to main.
    let b = Greenlet::new(|_: ()| -> () { panic!("to main") });
    let b2 = b.clone();
    let a = Greenlet::new(move |_: ()| {
        let _: () = b2.switch(()).unwrap();
        unreachable!("a is never resumed")
    });
    let payload = catch_unwind(AssertUnwindSafe(|| a.switch::<(), ()>(()))).unwrap_err();
    assert_eq!(panic_text(&*payload), "to main");
    assert_eq!(a.state(), State::Suspended);
    assert!(b.is_dead());
}

#[test]
fn throw_into_a_suspended_greenlet() {
    let g = Greenlet::new(|_: ()| -> Result<String, Error> {
        match switch_to_parent::<(), ()>(()) {
            Err(e) if e.is_thrown::<std::io::Error>() => {
                let io = e.into_thrown::<std::io::Error>().unwrap();
                Ok(format!("caught {io}"))
            }
            other => panic!("unexpected {other:?}"),
        }
    });
    let () = g.switch(()).unwrap();
    let r: Result<Result<String, Error>, Error> = g.throw(std::io::Error::other("disk"));
    assert_eq!(r.unwrap().unwrap(), "caught disk");
    assert!(g.is_dead());
}

#[test]
fn a_thrown_value_propagates_with_the_question_mark() {
    let g = Greenlet::new(|_: ()| -> Result<(), Error> {
        switch_to_parent::<(), ()>(())?;
        Ok(())
    });
    let () = g.switch(()).unwrap();
    let r: Result<(), Error> = g.throw(42u8).unwrap();
    assert_eq!(r.unwrap_err().into_thrown::<u8>().unwrap(), 42);
}

#[test]
fn throw_into_a_new_greenlet_kills_it_without_running_it() {
    let counter = DropCounter::default();
    let t = counter.token();
    let ran = std::rc::Rc::new(std::cell::Cell::new(false));
    let r = ran.clone();
    let g = Greenlet::new(move |_: ()| {
        let _t = t;
        r.set(true);
    });
    // The payload goes to g's parent: us, at once.
    let e = g.throw::<_, ()>("stop").unwrap_err();
    assert_eq!(e.into_thrown::<&str>().unwrap(), "stop");
    assert!(g.is_dead());
    assert!(!ran.get());
    drop(g);
    assert_eq!(counter.dropped(), 1, "the never-run body is dropped");
}

#[test]
fn throw_into_a_dead_greenlet_goes_to_its_live_ancestor() {
    let g = Greenlet::new(|_: ()| ());
    let () = g.switch(()).unwrap();
    let e = g.throw::<_, ()>(5i64).unwrap_err();
    assert_eq!(e.into_thrown::<i64>().unwrap(), 5);
}

#[test]
fn throw_into_main_from_a_greenlet() {
    let g = Greenlet::new(|_: ()| {
        let main = Greenlet::main();
        let _: () = main.throw("from g").unwrap();
    });
    let e = g.switch::<(), ()>(()).unwrap_err();
    assert_eq!(e.into_thrown::<&str>().unwrap(), "from g");
    assert_eq!(g.state(), State::Suspended);
}

#[test]
fn throw_exit_carries_a_value_to_the_parent() {
    let counter = DropCounter::default();
    let t = counter.token();
    let g = Greenlet::new(move |_: ()| {
        let _t = t;
        loop {
            let () = switch_to_parent(()).unwrap();
        }
    });
    let () = g.switch(()).unwrap();
    let v: String = g.throw_exit(String::from("bye")).unwrap();
    assert_eq!(v, "bye");
    assert!(g.is_dead());
    assert_eq!(counter.dropped(), 1);
    // Killing again, or killing main, is refused.
    assert_eq!(
        g.throw_exit::<_, String>(String::new()).unwrap_err(),
        Error::Dead
    );
    assert_eq!(Greenlet::main().kill(), Err(Error::Main));
}

#[test]
fn kill_of_a_new_greenlet_drops_its_body() {
    let counter = DropCounter::default();
    let t = counter.token();
    let g = Greenlet::new(move |_: ()| drop(t));
    g.kill().unwrap();
    assert!(g.is_dead());
    drop(g);
    assert_eq!(counter.dropped(), 1);
}

#[test]
fn a_body_may_catch_the_exit_and_finish_with_a_value() {
    let g = Greenlet::new(|_: ()| {
        let r = catch_unwind(|| switch_to_parent::<(), ()>(()));
        match r {
            Err(p) if libgreen::is_exit_unwind(&*p) => 99u32,
            _ => 0,
        }
    });
    let () = g.switch(()).unwrap();
    // The body turns the kill into an ordinary result: it reaches the parent.
    let v: u32 = g.throw_exit(()).unwrap();
    assert_eq!(v, 99);
    assert!(g.is_dead());
}

#[test]
fn errors_display_their_codes() {
    for code in -8..=-1 {
        let e = Error::from_code(code).unwrap();
        assert_eq!(e.code(), Some(code));
        let text = e.to_string();
        assert!(text.contains("GREEN_E"), "{text}");
        assert_eq!(Error::from_code(code), Some(e));
    }
    let unknown = Error::from_code(-100).unwrap();
    assert_eq!(unknown, Error::Unknown(-100));
    assert!(unknown.to_string().contains("-100"));
    assert!(Error::from_code(0).is_none() && Error::from_code(1).is_none());
    let boxed: Box<dyn std::error::Error + Send + Sync> = Box::new(Error::Cycle);
    assert!(boxed.to_string().contains("cycle"));
    assert!(Error::Thrown(Box::new(1)).code().is_none());
    assert_ne!(Error::Thrown(Box::new(1)), Error::Thrown(Box::new(1)));
}
