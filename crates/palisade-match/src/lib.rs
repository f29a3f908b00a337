//! Matches an inventory against the advisory database.
