// SPDX-License-Identifier: MIT

//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::cell::Cell;
use std::rc::Rc;

/// Counts drops of the tokens it hands out.
#[derive(Clone, Default)]
pub struct DropCounter(Rc<Cell<usize>>);

/// A value that bumps its counter when dropped.
pub struct Token(Rc<Cell<usize>>);

impl DropCounter {
    pub fn token(&self) -> Token {
        Token(self.0.clone())
    }
    pub fn dropped(&self) -> usize {
        self.0.get()
    }
}

impl Drop for Token {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
    }
}
