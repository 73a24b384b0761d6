// SPDX-License-Identifier: MIT

//! A pipeline of greenlets: a generator of lines, a filter that drives it,
//! and a printer that the filter switches each match to. At the end of the
//! input the printer's count travels back up: printer -> filter -> main.
//!
//!   cargo run -p libgreen --example pipeline

use libgreen::{switch_to_parent, Generator, Greenlet};

fn main() {
    let text = "alpha beta\ngamma\nbeta delta\nepsilon\nbeta";

    let filter = Greenlet::new(move |word: &'static str| {
        let lines = Generator::new(move |y| {
            for line in text.lines() {
                y.yield_(line.to_string());
            }
        });
        // Created here, so the filter is its parent: its switches to the
        // parent, and its result, come back here.
        let printer = Greenlet::new(|first: Option<String>| {
            let mut count = 0usize;
            let mut next = first;
            while let Some(line) = next {
                count += 1;
                println!("{count}: {line}");
                next = switch_to_parent(()).expect("the filter sends lines");
            }
            count
        });
        for line in lines {
            if line.split_whitespace().any(|w| w == word) {
                let () = printer.switch(Some(line)).unwrap();
            }
        }
        printer.switch::<Option<String>, usize>(None).unwrap()
    });

    let count: usize = filter.switch("beta").unwrap();
    println!("{count} lines matched");
    assert_eq!(count, 3);
    assert!(filter.is_dead());
}
