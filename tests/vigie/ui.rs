//! The desktop app (rewritten below).
