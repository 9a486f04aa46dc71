//! `-f folded` written a piece at a time, as the pieces are laid out (issue 18).
//!
//! The folded text of the 31 MB benchmark log is 58 MiB. Laid out whole before one `write`, it
//! was half of the run's 34,000 page faults and its peak memory, and with two threads the
//! write came after all the work the threads could split. Here the lines are laid out in
//! pieces of about [`PIECE_FRAMES`] frames into a few buffers that are used again, and written
//! in order: with one thread, one piece then its write; with more, the pool lays out the next
//! pieces while the calling thread writes the last ones. The bytes are the same for any
//! `--jobs` and piece size: pieces are consecutive ranges of the sorted stacks, written in
//! their order.

use std::io::{self, Write};
use std::sync::mpsc;

use rayon::prelude::*;

use super::layout::Sorted;

/// Frames (plus lines) per piece: about 350 KB of text on importtime logs, so a piece and its
/// writing stay in the caches, and a handful of pieces in flight are a few MB.
pub(super) const PIECE_FRAMES: usize = 1 << 14;

/// Writes every line of `sorted` to `out`, in order, laid out on `pool`: in the calling
/// thread when the pool has one thread, else in the pool while this thread writes.
pub(super) fn write(
    sorted: &Sorted,
    pool: &rayon::ThreadPool,
    piece_frames: usize,
    out: &mut dyn Write,
) -> io::Result<()> {
    let pieces = sorted.pieces(piece_frames);
    let threads = pool.current_num_threads();
    if threads <= 1 {
        let mut buf = Vec::new();
        for piece in pieces {
            let len = sorted.lay_out(piece, &mut buf);
            out.write_all(&buf[..len])?;
        }
        return Ok(());
    }
    // Pieces are laid out a window at a time, one per thread and then some, and handed over
    // in order through a channel that holds one window: at most two windows of buffers and
    // the one being written exist. Written buffers come back to be filled again.
    let window = 2 * threads;
    // A laid-out buffer and the length of its lines.
    let (full_tx, full_rx) = mpsc::sync_channel::<(Vec<u8>, usize)>(window);
    let (empty_tx, empty_rx) = mpsc::channel::<Vec<u8>>();
    pool.in_place_scope(move |scope| {
        scope.spawn(move |_| {
            for group in pieces.chunks(window) {
                let mut bufs: Vec<(Vec<u8>, usize)> = group
                    .iter()
                    .map(|_| (empty_rx.try_recv().unwrap_or_default(), 0))
                    .collect();
                group
                    .par_iter()
                    .zip(bufs.par_iter_mut())
                    .for_each(|(piece, (buf, len))| *len = sorted.lay_out(piece.clone(), buf));
                for buf in bufs {
                    // The writer stopped (a write failed): nothing more to lay out.
                    if full_tx.send(buf).is_err() {
                        return;
                    }
                }
            }
        });
        // This closure runs on the calling thread, which owns `out`. Returning drops
        // `full_rx`, so after a failed write the layout's next send fails and it ends,
        // instead of waiting for room that never comes while the scope waits for it.
        let mut written = Ok(());
        for (buf, len) in full_rx.iter() {
            if let Err(e) = out.write_all(&buf[..len]) {
                written = Err(e);
                break;
            }
            // The layout may have finished and dropped its end: then the buffer just goes.
            let _ = empty_tx.send(buf);
        }
        drop(full_rx);
        written
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 200 stacks `f0` … `f199`, a few frames each, weighing their index.
    fn sorted() -> Sorted {
        let labels: Vec<String> = (0..20).map(|i| format!("f{i}")).collect();
        let mut ranks = Vec::new();
        let mut stacks = Vec::new();
        for i in 0..200u32 {
            let start = ranks.len() as u32;
            let depth = 1 + i % 4;
            ranks.extend((0..depth).map(|d| 2 * ((i + d) % 20) + u32::from(d == depth - 1)));
            stacks.push((start, depth, u64::from(i)));
        }
        // Rank 2k is f_k as an inner element, 2k + 1 as the last one.
        let labels = labels
            .iter()
            .flat_map(|l| [(l.as_str(), true), (l.as_str(), false)]);
        Sorted::new(labels, ranks, stacks)
    }

    fn pool(threads: usize) -> rayon::ThreadPool {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
    }

    #[test]
    fn the_written_pieces_are_the_one_buffer_for_any_piece_size_and_thread_count() {
        let whole = sorted().into_lines();
        let s = sorted();
        for threads in [1, 2, 3] {
            for frames in [1, 7, 100, PIECE_FRAMES] {
                let mut out = Vec::new();
                write(&s, &pool(threads), frames, &mut out).unwrap();
                assert_eq!(
                    out,
                    whole.as_str().as_bytes(),
                    "{threads} threads, pieces of {frames} frames"
                );
            }
        }
    }

    /// A writer that takes `room` bytes, then fails.
    struct Full {
        room: usize,
        taken: usize,
    }

    impl Write for Full {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.taken + buf.len() > self.room {
                return Err(io::Error::new(io::ErrorKind::StorageFull, "disk full"));
            }
            self.taken += buf.len();
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_failed_write_ends_the_layout_and_is_returned() {
        let s = sorted();
        for threads in [1, 2, 4] {
            // Fails on the third of many small pieces, while later windows are still laid out.
            let mut out = Full {
                room: 150,
                taken: 0,
            };
            let e = write(&s, &pool(threads), 7, &mut out).unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::StorageFull, "{threads} threads");
            assert!(out.taken <= 150);
        }
    }
}
