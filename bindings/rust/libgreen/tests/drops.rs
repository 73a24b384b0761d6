// SPDX-License-Identifier: MIT

//! Dropping handles kills suspended greenlets and drops what they hold.

mod common;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use common::DropCounter;
use libgreen::{switch_to_parent, Greenlet, State};

#[test]
fn dropping_a_suspended_greenlet_unwinds_its_body() {
    let counter = DropCounter::default();
    let (captured, on_stack) = (counter.token(), counter.clone());
    let finished = Rc::new(Cell::new(false));
    let f = finished.clone();
    let g = Greenlet::new(move |_: ()| {
        let _captured = captured;
        let _local = on_stack.token();
        let _boxed = Box::new(on_stack.token());
        while !f.get() {
            let () = switch_to_parent(()).unwrap();
        }
        f.set(true);
    });
    let () = g.switch(()).unwrap();
    assert_eq!(counter.dropped(), 0);
    drop(g);
    assert_eq!(
        counter.dropped(),
        3,
        "captured, local and boxed values dropped"
    );
    assert!(!finished.get());
    assert!(Greenlet::current().is_main());
}

#[test]
fn the_last_clone_is_what_kills() {
    let counter = DropCounter::default();
    let t = counter.token();
    let g = Greenlet::new(move |_: ()| {
        let _t = t;
        let () = switch_to_parent(()).unwrap();
    });
    let () = g.switch(()).unwrap();
    let h = g.clone();
    drop(g);
    assert_eq!(counter.dropped(), 0);
    assert_eq!(h.state(), State::Suspended);
    drop(h);
    assert_eq!(counter.dropped(), 1);
}

#[test]
fn dropping_a_new_greenlet_drops_its_closure() {
    let counter = DropCounter::default();
    let t = counter.token();
    let g = Greenlet::new(move |_: ()| drop(t));
    assert_eq!(counter.dropped(), 0);
    drop(g);
    assert_eq!(counter.dropped(), 1);
}

#[test]
fn a_finished_greenlet_dropped_all_it_held() {
    let counter = DropCounter::default();
    let t = counter.token();
    let g = Greenlet::new(move |x: u8| {
        let _t = t;
        x
    });
    assert_eq!(g.switch::<u8, u8>(1).unwrap(), 1);
    assert_eq!(counter.dropped(), 1);
    drop(g);
    assert_eq!(counter.dropped(), 1);
}

#[test]
fn unwinding_order_is_reverse_of_creation() {
    struct Named(&'static str, Rc<RefCell<Vec<&'static str>>>);
    impl Drop for Named {
        fn drop(&mut self) {
            self.1.borrow_mut().push(self.0);
        }
    }
    let log = Rc::new(RefCell::new(Vec::new()));
    let l = log.clone();
    let g = Greenlet::new(move |_: ()| {
        let _a = Named("a", l.clone());
        let _b = Named("b", l.clone());
        let () = switch_to_parent(()).unwrap();
        let _c = Named("c", l);
    });
    let () = g.switch(()).unwrap();
    drop(g);
    assert_eq!(*log.borrow(), ["b", "a"]);
}

#[test]
fn nested_suspended_greenlets_are_all_cleaned_up() {
    let counter = DropCounter::default();
    let c = counter.clone();
    let outer = Greenlet::new(move |_: ()| {
        let _mine = c.token();
        let c2 = c.clone();
        let inner = Greenlet::new(move |_: ()| {
            let _theirs = c2.token();
            let () = switch_to_parent(()).unwrap();
        });
        let () = inner.switch(()).unwrap();
        // inner is suspended and owned by this stack frame. It also holds a
        // reference to its parent, this greenlet: a cycle that would keep
        // both alive. Parenting it to main breaks the cycle.
        inner.set_parent(&Greenlet::main()).unwrap();
        let () = switch_to_parent(()).unwrap();
    });
    let () = outer.switch(()).unwrap();
    assert_eq!(counter.dropped(), 0);
    drop(outer);
    assert_eq!(counter.dropped(), 2);
}

#[test]
fn a_suspended_child_on_its_parents_stack_is_a_reference_cycle() {
    // Known limitation (parents are strong references in libgreen): kept
    // here so that a change in the core shows up.
    let counter = DropCounter::default();
    let c = counter.clone();
    let outer = Greenlet::new(move |_: ()| {
        let c2 = c.clone();
        let inner = Greenlet::new(move |_: ()| {
            let _theirs = c2.token();
            let () = switch_to_parent(()).unwrap();
        });
        let () = inner.switch(()).unwrap();
        let () = switch_to_parent(()).unwrap();
        drop(inner);
    });
    let () = outer.switch(()).unwrap();
    let weak = outer.remote();
    drop(outer);
    assert_eq!(weak.state(), State::Suspended, "the cycle keeps it alive");
    assert_eq!(counter.dropped(), 0);
    // Killing it explicitly ends both.
    let outer = weak.to_local().unwrap();
    outer.kill().unwrap();
    assert_eq!(counter.dropped(), 1);
}

#[test]
fn a_greenlet_may_drop_the_last_handle_to_itself() {
    let counter = DropCounter::default();
    let t = counter.token();
    let slot: Rc<RefCell<Option<Greenlet>>> = Rc::default();
    let s = slot.clone();
    let g = Greenlet::new(move |x: u32| {
        let _t = t;
        drop(s.borrow_mut().take()); // the last handle, while running
        x + 1
    });
    *slot.borrow_mut() = Some(g.clone());
    let g2 = slot.borrow().clone().unwrap();
    drop(g);
    drop(g2);
    // Now only the slot holds it; start it through a borrowed pointer.
    let raw = slot.borrow().as_ref().unwrap().as_ptr();
    let r: u32 = unsafe { Greenlet::from_borrowed(raw) }
        .unwrap()
        .switch(1u32)
        .unwrap();
    assert_eq!(r, 2);
    assert_eq!(counter.dropped(), 1);
}

#[test]
fn dropping_many_suspended_greenlets() {
    let counter = DropCounter::default();
    let gs: Vec<Greenlet> = (0..2000)
        .map(|_| {
            let t = counter.token();
            let g = Greenlet::new(move |_: ()| {
                let _t = t;
                loop {
                    let () = switch_to_parent(()).unwrap();
                }
            });
            let () = g.switch(()).unwrap();
            g
        })
        .collect();
    assert_eq!(counter.dropped(), 0);
    drop(gs);
    assert_eq!(counter.dropped(), 2000);
}

#[test]
fn a_greenlet_that_lost_every_reference_while_running_delivers_its_result() {
    let counter = DropCounter::default();
    let t = counter.token();
    let own: Rc<RefCell<Option<Greenlet>>> = Rc::default();
    let child: Rc<RefCell<Option<Greenlet>>> = Rc::default();
    let (o, c) = (own.clone(), child.clone());
    let g1 = Greenlet::new(move |_: ()| {
        let _t = t;
        // Drop the only handle to this greenlet, then the child's parent
        // reference: nothing refers to it any more while it runs.
        drop(o.borrow_mut().take());
        let g2 = c.borrow_mut().take().unwrap();
        g2.set_parent(&Greenlet::main()).unwrap();
        String::from("from an orphan")
    });
    let g2 = Greenlet::builder()
        .parent(&g1)
        .create(|_: ()| {
            let () = switch_to_parent(()).unwrap(); // starts g1
        })
        .unwrap();
    *own.borrow_mut() = Some(g1);
    *child.borrow_mut() = Some(g2.clone());
    let r: String = g2.switch(()).unwrap();
    assert_eq!(r, "from an orphan");
    assert_eq!(counter.dropped(), 1);
    assert_eq!(g2.state(), State::Suspended);
}
