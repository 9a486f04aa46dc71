//! Large buffers backed by 2 MiB pages where the kernel allows it (Linux, transparent huge
//! pages in `madvise` mode, the usual default); elsewhere nothing changes.
//!
//! Why: the stacks of the 31 MB benchmark log and the fold's copies of them are about 50 MB
//! written once each, so `-f folded` took 12,000–15,000 page faults, and perf put them at 16% of
//! the run (4 µs a fault on the benchmark machine). Faulting in 2 MiB at a time takes 512 times
//! fewer. Only the backing changes: the contents, and the output, are the same either way.

/// Below this a buffer is left alone: too small to hold a whole 2 MiB page.
const AT_LEAST: usize = 4 << 20;

/// Asks for `v`'s allocation (its capacity, written or not) to be backed by huge pages, when it
/// is at least [`AT_LEAST`] bytes. Call it before the room is written: pages already faulted
/// in stay small until the kernel's background thread merges them.
pub fn advise<T>(v: &Vec<T>) {
    let bytes = v.capacity().saturating_mul(std::mem::size_of::<T>());
    if bytes >= AT_LEAST {
        advise_range(v.as_ptr().cast(), bytes);
    }
}

#[cfg(target_os = "linux")]
fn advise_range(start: *const u8, bytes: usize) {
    const PAGE: usize = 4096;
    let first = (start as usize).next_multiple_of(PAGE);
    let end = (start as usize + bytes) / PAGE * PAGE;
    if end <= first {
        return;
    }
    // SAFETY: advice only. The range lies inside an allocation the caller's `Vec` owns (its
    // start rounded up and its end rounded down to whole pages), and MADV_HUGEPAGE changes how
    // those pages are backed, never what they hold. A failure (no THP in this kernel) is no
    // error: the pages stay small.
    unsafe {
        libc::madvise(first as *mut libc::c_void, end - first, libc::MADV_HUGEPAGE);
    }
}

#[cfg(not(target_os = "linux"))]
fn advise_range(_start: *const u8, _bytes: usize) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advised_buffers_keep_what_they_hold() {
        let mut v: Vec<u32> = (0..3 << 20).collect();
        advise(&v);
        v.reserve(5 << 20);
        advise(&v);
        v.extend(0..1000);
        assert_eq!(v.len(), (3 << 20) + 1000);
        assert!(
            v[..3 << 20]
                .iter()
                .enumerate()
                .all(|(i, &x)| x as usize == i)
        );
        // Small and empty buffers are left alone.
        advise(&Vec::<u8>::new());
        advise(&vec![1u8; 10]);
    }
}
