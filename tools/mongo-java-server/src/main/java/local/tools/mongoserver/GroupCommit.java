package local.tools.mongoserver;

import java.util.concurrent.TimeUnit;

/**
 * Makes writes durable before they are acknowledged, sharing one commit among concurrent writers.
 *
 * <p>A write command calls {@link #beginWrite()} before it changes anything and {@link #endWriteAndAwaitCommit()}
 * once its changes are applied in memory. The latter returns once a commit that <em>began after the write
 * ended</em> has finished: such a commit covers the write (and every other change made before it began). One
 * thread at a time performs a commit (the "leader"); writers that end while it runs wait for the next one, which a
 * single leader then performs for all of them. Before it begins, a leader waits up to {@code straggleNanos} for
 * writes still executing, and, while writers are concurrent (the previous commit covered several), for the next
 * ones to end, so that they join this commit instead of needing one of their own: a lone writer never waits,
 * concurrent writers share commits (about 10 per commit with 50 writers on 2 cores), and fewer commits mean less
 * CPU and fewer chunks written to the file.
 *
 * <p>State under this object's monitor: {@code started} (commits begun), {@code finished} (number of the last
 * commit that completed successfully; commits never overlap, so it only grows), {@code executing} (writes between
 * begin and end).
 */
final class GroupCommit {

    /** Writes everything changed so far to the file; throws if it cannot. */
    interface Committer {
        void commit();
    }

    private final Committer committer;
    private final long straggleNanos;

    private long started;
    private long finished;
    private boolean running;
    private int executing;

    private long commits;
    private long writes;
    private long commitNanos;
    /** {@code writes} when the last commit began, and whether that commit covered more than one write. */
    private long writesAtLastCommit;
    private boolean lastShared;

    GroupCommit(Committer committer, long straggle, TimeUnit unit) {
        this.committer = committer;
        this.straggleNanos = unit.toNanos(straggle);
    }

    synchronized void beginWrite() {
        executing++;
    }

    /** Ends a write begun with {@link #beginWrite()} and blocks until a commit covers it. */
    void endWriteAndAwaitCommit() {
        synchronized (this) {
            executing--;
            writes++;
            notifyAll(); // a leader may be waiting for us
        }
        awaitCommitted();
    }

    /**
     * Blocks until every change this thread made before the call is committed.
     *
     * @throws RuntimeException the committer's failure, if the commit this caller led failed
     */
    void awaitCommitted() {
        boolean interrupted = false;
        try {
            long needed;
            synchronized (this) {
                // a commit running now may have begun before our change was applied: only the next one counts
                needed = started + 1;
            }
            while (true) {
                long mine;
                synchronized (this) {
                    while (running && finished < needed) {
                        interrupted |= waitNanos(0);
                    }
                    if (finished >= needed) {
                        return;
                    }
                    running = true; // we lead: writers ending from now on wait for our commit, which covers them
                    // Wait for writes still executing; and while writers are concurrent (the last commit was
                    // shared), for the next ones to end too: each commit covers more writes, and fewer commits
                    // leave more CPU to the writes. A lone writer never waits.
                    boolean concurrent = lastShared;
                    long deadline = System.nanoTime() + straggleNanos;
                    for (long left = straggleNanos; (executing > 0 || concurrent) && left > 0; left = deadline - System.nanoTime()) {
                        interrupted |= waitNanos(left);
                    }
                    mine = ++started;
                    lastShared = writes - writesAtLastCommit > 1;
                    writesAtLastCommit = writes;
                }
                boolean ok = false;
                long begin = System.nanoTime();
                try {
                    committer.commit(); // outside the monitor: later writers queue up for the next commit meanwhile
                    ok = true;
                } finally {
                    synchronized (this) {
                        running = false;
                        if (ok) {
                            finished = mine;
                            commits++;
                            commitNanos += System.nanoTime() - begin;
                        }
                        // on failure the waiters wake up, find themselves uncovered and lead a commit of their own
                        notifyAll();
                    }
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt(); // the reply still had to wait for the commit
            }
        }
    }

    /** Waits on the monitor (0: until notified); returns whether the thread was interrupted meanwhile. */
    private boolean waitNanos(long nanos) {
        try {
            if (nanos == 0) {
                wait();
            } else {
                TimeUnit.NANOSECONDS.timedWait(this, nanos);
            }
            return false;
        } catch (InterruptedException e) {
            return true;
        }
    }

    /** Commits performed, writes committed (writes per commit: how much sharing happened), time spent committing. */
    synchronized long[] counts() {
        return new long[] {commits, writes, TimeUnit.NANOSECONDS.toMicros(commitNanos)};
    }
}
