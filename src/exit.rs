//! Exit statuses of DESIGN.md and the error kinds that map to them.

use std::process::ExitCode;

/// Bad input: a file, field or argument the user must fix. Exit status 2.
/// The message names the thing and the fix.
#[derive(Debug)]
pub struct BadInput(pub String);

pub const DONE: u8 = 0;
pub const FAILURE: u8 = 1;
pub const BAD_INPUT: u8 = 2;
pub const REFUSED: u8 = 3;

/// Print a failure once, on stderr, and turn it into the exit status.
pub fn report(result: anyhow::Result<ExitCode>) -> ExitCode {
    match result {
        Ok(code) => code,
        Err(err) => {
            let code = if err.downcast_ref::<BadInput>().is_some() {
                BAD_INPUT
            } else {
                FAILURE
            };
            eprintln!("vigie: {err:#}");
            ExitCode::from(code)
        }
    }
}

/// The status for a verdict: 0 when allowed, 3 when a flight rule refused.
pub fn refused_if(refused: bool) -> ExitCode {
    ExitCode::from(if refused { REFUSED } else { DONE })
}

impl std::fmt::Display for BadInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BadInput {}
