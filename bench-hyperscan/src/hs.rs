//! The few Hyperscan calls the comparison needs, declared by hand (no bindgen):
//! literal-mode compile, scratch, block-mode scan with a counting callback.

use std::ffi::{c_char, c_int, c_uint, c_ulonglong, c_void};
use std::ptr;

#[repr(C)]
struct Opaque {
    _private: [u8; 0],
}

#[repr(C)]
struct CompileError {
    message: *const c_char,
    expression: c_int,
}

type Handler = unsafe extern "C" fn(c_uint, c_ulonglong, c_ulonglong, c_uint, *mut c_void) -> c_int;

const HS_SUCCESS: c_int = 0;
const HS_MODE_BLOCK: c_uint = 1;
const HS_FLAG_SOM_LEFTMOST: c_uint = 256;

unsafe extern "C" {
    fn hs_compile_lit_multi(
        expressions: *const *const c_char,
        flags: *const c_uint,
        ids: *const c_uint,
        lens: *const usize,
        elements: c_uint,
        mode: c_uint,
        platform: *const c_void,
        db: *mut *mut Opaque,
        error: *mut *mut CompileError,
    ) -> c_int;
    fn hs_free_compile_error(error: *mut CompileError) -> c_int;
    fn hs_free_database(db: *mut Opaque) -> c_int;
    fn hs_database_size(db: *const Opaque, size: *mut usize) -> c_int;
    fn hs_alloc_scratch(db: *const Opaque, scratch: *mut *mut Opaque) -> c_int;
    fn hs_free_scratch(scratch: *mut Opaque) -> c_int;
    fn hs_scan(
        db: *const Opaque,
        data: *const c_char,
        length: c_uint,
        flags: c_uint,
        scratch: *mut Opaque,
        on_event: Handler,
        context: *mut c_void,
    ) -> c_int;
}

/// A compiled literal database with its scratch space.
pub struct Database {
    db: *mut Opaque,
    scratch: *mut Opaque,
}

unsafe extern "C" fn count(
    _: c_uint,
    _: c_ulonglong,
    _: c_ulonglong,
    _: c_uint,
    ctx: *mut c_void,
) -> c_int {
    // SAFETY: `ctx` is the `&mut usize` that `scan` passes.
    unsafe { *(ctx as *mut usize) += 1 };
    0
}

impl Database {
    /// Compiles `patterns` as literals, every match reported with its start.
    pub fn literals(patterns: &[Vec<u8>]) -> Result<Database, String> {
        let ptrs: Vec<*const c_char> = patterns.iter().map(|p| p.as_ptr().cast()).collect();
        let lens: Vec<usize> = patterns.iter().map(Vec::len).collect();
        let ids: Vec<c_uint> = (0..patterns.len() as c_uint).collect();
        let flags = vec![HS_FLAG_SOM_LEFTMOST; patterns.len()];
        let mut db = ptr::null_mut();
        let mut err = ptr::null_mut();
        // SAFETY: every array has `patterns.len()` elements and outlives the call.
        let rc = unsafe {
            hs_compile_lit_multi(
                ptrs.as_ptr(),
                flags.as_ptr(),
                ids.as_ptr(),
                lens.as_ptr(),
                patterns.len() as c_uint,
                HS_MODE_BLOCK,
                ptr::null(),
                &mut db,
                &mut err,
            )
        };
        if rc != HS_SUCCESS {
            let msg = if err.is_null() {
                format!("hs_compile_lit_multi: error {rc}")
            } else {
                // SAFETY: Hyperscan filled in a compile error with a C string.
                let m = unsafe { std::ffi::CStr::from_ptr((*err).message) }
                    .to_string_lossy()
                    .into_owned();
                unsafe { hs_free_compile_error(err) };
                m
            };
            return Err(msg);
        }
        let mut scratch = ptr::null_mut();
        // SAFETY: `db` is a valid database.
        if unsafe { hs_alloc_scratch(db, &mut scratch) } != HS_SUCCESS {
            unsafe { hs_free_database(db) };
            return Err("hs_alloc_scratch failed".into());
        }
        Ok(Database { db, scratch })
    }

    /// The database's size in bytes.
    pub fn size(&self) -> usize {
        let mut size = 0;
        // SAFETY: valid database, valid out pointer.
        unsafe { hs_database_size(self.db, &mut size) };
        size
    }

    /// Scans `hay` in block mode; returns how many matches were reported.
    pub fn scan(&mut self, hay: &[u8]) -> usize {
        let mut n = 0usize;
        // SAFETY: valid database and scratch (used by one thread: `&mut self`), the
        // slice outlives the call, and `count` gets `&mut n` back as its context.
        unsafe {
            hs_scan(
                self.db,
                hay.as_ptr().cast(),
                hay.len() as c_uint,
                0,
                self.scratch,
                count,
                (&mut n as *mut usize).cast(),
            )
        };
        n
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        // SAFETY: both were allocated by Hyperscan and are freed once.
        unsafe {
            hs_free_scratch(self.scratch);
            hs_free_database(self.db);
        }
    }
}
