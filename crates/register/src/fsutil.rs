//! Files and directories the register creates hold personal data (R242-9: pilot, images, places):
//! directories are created 0700 and files 0600, whatever the process umask says.

use std::fs;
use std::io::Write as _;
use std::path::Path;

use crate::error::{Error, Result};

pub(crate) const DIR_MODE: u32 = 0o700;
pub(crate) const FILE_MODE: u32 = 0o600;

/// `mkdir -p` where every directory this call creates is 0700 (existing ones are left as they are).
pub(crate) fn create_private_dir(dir: &Path) -> Result<()> {
    let mut b = fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        b.mode(DIR_MODE);
    }
    b.create(dir).map_err(|e| Error::io(dir, e))
}

/// Tighten an existing file or directory the register owns to 0600 / 0700 (older Vigie versions
/// left them world-readable).
pub(crate) fn restrict(path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let meta = match fs::symlink_metadata(path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(Error::io(path, e)),
        };
        if meta.file_type().is_symlink() {
            return Ok(());
        }
        let want = if meta.is_dir() { DIR_MODE } else { FILE_MODE };
        if meta.permissions().mode() & 0o777 != want {
            fs::set_permissions(path, fs::Permissions::from_mode(want))
                .map_err(|e| Error::io(path, e))?;
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Create (or truncate) a file with mode 0600 and write `data` to it, fsynced.
pub(crate) fn write_private(path: &Path, data: &[u8]) -> Result<()> {
    let mut f = open_private(path, true)?;
    f.write_all(data).map_err(|e| Error::io(path, e))?;
    f.sync_all().map_err(|e| Error::io(path, e))
}

/// Open a file for writing, created 0600; `truncate` or append.
pub(crate) fn open_private(path: &Path, truncate: bool) -> Result<fs::File> {
    let mut o = fs::OpenOptions::new();
    o.create(true).write(true);
    if truncate {
        o.truncate(true);
    } else {
        o.append(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        o.mode(FILE_MODE);
    }
    let f = o.open(path).map_err(|e| Error::io(path, e))?;
    restrict(path)?;
    Ok(f)
}

/// Copy a file into a new 0600 file (std::fs::copy would copy the source's mode).
pub(crate) fn copy_private(src: &Path, dst: &Path) -> Result<()> {
    let mut from = fs::File::open(src).map_err(|e| Error::io(src, e))?;
    let mut to = open_private(dst, true)?;
    std::io::copy(&mut from, &mut to).map_err(|e| Error::io(dst, e))?;
    to.sync_all().map_err(|e| Error::io(dst, e))
}

/// fsync a directory so a new name in it survives power loss.
pub(crate) fn sync_dir(dir: &Path) {
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
}
