//! `-f folded` written a piece at a time, as the pieces are laid out (issue 18).
//!
//! The folded text of the 31 MB benchmark log is 58 MiB. Laid out whole before one `write`, it
//! was half of the run's 34,000 page faults and its peak memory, and with two threads the
//! write came after all the work the threads could split. Here the lines are made in pieces
//! (`groups.rs`: each a run of groups, sorted, merged and laid out; about [`PIECE_FRAMES`]
//! frames) into a few buffers that are used again, and written in order: with one thread,
//! one piece then its write; with more, the pool's threads and the writing thread take pieces
//! from one queue, and the writing thread writes them in order. The bytes are the same for
//! any `--jobs` and piece size: pieces are consecutive runs of the output, written in their
//! order.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::sync::{Condvar, Mutex, MutexGuard};

#[cfg(test)]
use super::layout::Sorted;

/// Frames (plus lines) per piece: about 350 KB of text on importtime logs, so a piece and its
/// writing stay in the caches, and a handful of pieces in flight are a few MB.
pub(super) const PIECE_FRAMES: usize = 1 << 14;

/// Writes every line of `sorted` to `out`, in order, laid out on `pool`: in the calling
/// thread when the pool has one thread, else in the pool while this thread writes.
#[cfg(test)]
pub(super) fn write(
    sorted: &Sorted,
    pool: &rayon::ThreadPool,
    piece_frames: usize,
    out: &mut dyn Write,
) -> io::Result<()> {
    let pieces = sorted.pieces(piece_frames);
    write_pieces(pieces, pool, out, |piece, buf| sorted.lay_out(piece, buf))
}

/// Writes the text of every piece to `out`, in order: `fill(piece, buf)` puts a piece's
/// text at the start of `buf` (a buffer used again, kept as long as it grew) and returns its
/// length. In the calling thread when the pool has one thread; else the pool's threads fill
/// pieces while this thread writes them in order, and fills pieces too whenever the next one
/// to write is not ready (see [`Queue`]).
pub(super) fn write_pieces<P: Send>(
    pieces: Vec<P>,
    pool: &rayon::ThreadPool,
    out: &mut dyn Write,
    fill: impl Fn(P, &mut Vec<u8>) -> usize + Sync,
) -> io::Result<()> {
    let threads = pool.current_num_threads();
    if threads <= 1 {
        let mut buf = Vec::new();
        for piece in pieces {
            let len = fill(piece, &mut buf);
            out.write_all(&buf[..len])?;
        }
        return Ok(());
    }
    let queue = Queue::new(pieces, 2 * threads);
    let (queue, fill) = (&queue, &fill);
    pool.in_place_scope(move |scope| {
        // One thread fewer than the pool's: the writing thread fills too, so `--jobs`
        // threads work, not one more than there are cores for.
        for _ in 1..threads {
            scope.spawn(move |_| while queue.fill_next(fill) {});
        }
        // This closure runs on the calling thread, which owns `out`; the scope waits for
        // the fillers, which stop once every piece is taken or the writing has stopped.
        // Stops the fillers when this returns, or unwinds: else they would wait for room.
        let _stop = Stop(queue);
        queue.write_all(out, fill)
    })
}

/// Stops a [`Queue`]'s filling when dropped.
struct Stop<'q, P>(&'q Queue<P>);

impl<P> Drop for Stop<'_, P> {
    fn drop(&mut self) {
        self.0.stop();
    }
}

/// The pieces shared by the threads that fill them and the one that writes them.
///
/// With a writing thread beside a pool of fillers, the writer's core idled whenever the
/// next piece was not laid out yet, and on two cores the pool's second thread found no
/// core to run on while the writer held one: on the 31 MB benchmark log with `-j 2`, one
/// pool thread filled 195 of 200 pieces. So every thread takes the next piece from one
/// queue, the writing thread included when it has nothing to write, and at most `window`
/// pieces are taken ahead of the next one to write (the text held at once stays a few
/// pieces, as before).
struct Queue<P> {
    state: Mutex<State<P>>,
    /// Signalled when a piece is filled (for the writer) or written (room for the fillers).
    changed: Condvar,
    window: usize,
}

struct State<P> {
    pieces: std::vec::IntoIter<P>,
    /// Index of the next piece to take, and of the next one to write.
    taken: usize,
    written: usize,
    count: usize,
    /// Filled pieces not written yet, by index: a buffer and the length of its text.
    filled: BTreeMap<usize, (Vec<u8>, usize)>,
    /// Written buffers, to be filled again.
    spare: Vec<Vec<u8>>,
    /// The writing stopped (done, or a write failed): take no more pieces.
    stopped: bool,
}

impl<P> Queue<P> {
    fn new(pieces: Vec<P>, window: usize) -> Self {
        Queue {
            state: Mutex::new(State {
                count: pieces.len(),
                pieces: pieces.into_iter(),
                taken: 0,
                written: 0,
                filled: BTreeMap::new(),
                spare: Vec::new(),
                stopped: false,
            }),
            changed: Condvar::new(),
            window,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<P>> {
        // A filler that panicked poisons the lock; the scope re-raises its panic anyway.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes the next piece if one is left and the window has room: its index and a buffer.
    fn take(&self, state: &mut State<P>) -> Option<(usize, P, Vec<u8>)> {
        if state.stopped || state.taken >= state.written + self.window {
            return None;
        }
        let piece = state.pieces.next()?;
        let index = state.taken;
        state.taken += 1;
        Some((index, piece, state.spare.pop().unwrap_or_default()))
    }

    /// A filler's step: waits for room, fills the next piece; false once there is nothing
    /// more to take.
    fn fill_next(&self, fill: &(impl Fn(P, &mut Vec<u8>) -> usize + Sync)) -> bool {
        let mut state = self.lock();
        loop {
            if state.stopped || state.taken == state.count {
                return false;
            }
            if let Some((index, piece, mut buf)) = self.take(&mut state) {
                drop(state);
                // A filler that panics stops the queue as it unwinds, so that the writer,
                // waiting for the piece it took, ends instead of waiting for ever (the pool
                // raises the panic again once the writer has returned).
                let stop = Stop(self);
                let len = fill(piece, &mut buf);
                std::mem::forget(stop);
                self.lock().filled.insert(index, (buf, len));
                self.changed.notify_all();
                return true;
            }
            state = self.changed.wait(state).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// The writer: every piece written in order, filling pieces itself while the next one
    /// to write is not ready.
    fn write_all(
        &self,
        out: &mut dyn Write,
        fill: &(impl Fn(P, &mut Vec<u8>) -> usize + Sync),
    ) -> io::Result<()> {
        let mut state = self.lock();
        while state.written < state.count {
            let next = state.written;
            if let Some((buf, len)) = state.filled.remove(&next) {
                drop(state);
                out.write_all(&buf[..len])?;
                state = self.lock();
                state.written += 1;
                state.spare.push(buf);
                self.changed.notify_all();
            } else if let Some((index, piece, mut buf)) = self.take(&mut state) {
                drop(state);
                let len = fill(piece, &mut buf);
                state = self.lock();
                state.filled.insert(index, (buf, len));
            } else if state.stopped {
                // Only a filler's panic stops the queue before the writer is done.
                return Err(io::Error::other("a thread laying out the output stopped"));
            } else {
                state = self.changed.wait(state).unwrap_or_else(|e| e.into_inner());
            }
        }
        Ok(())
    }

    /// Ends the filling: after the last write, or a failed one.
    fn stop(&self) {
        self.lock().stopped = true;
        self.changed.notify_all();
    }
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

    #[test]
    fn a_panic_laying_out_a_piece_is_raised_not_waited_for() {
        for threads in [2, 3] {
            let pieces: Vec<usize> = (0..50).collect();
            let result = std::panic::catch_unwind(|| {
                let mut out = Vec::new();
                write_pieces(pieces, &pool(threads), &mut out, |piece, buf| {
                    // The writing thread is no pool thread and slow, so fillers take pieces,
                    // and every piece a filler takes panics.
                    if rayon::current_thread_index().is_some() {
                        panic!("piece {piece}");
                    }
                    std::thread::sleep(std::time::Duration::from_millis(5));
                    buf.clear();
                    buf.push(b'x');
                    1
                })
            });
            assert!(result.is_err(), "{threads} threads");
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
