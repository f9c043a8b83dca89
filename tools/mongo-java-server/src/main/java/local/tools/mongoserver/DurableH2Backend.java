package local.tools.mongoserver;

import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.h2.mvstore.MVStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import de.bwaldvogel.mongo.MongoDatabase;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.bson.Document;
import io.netty.channel.Channel;

/**
 * The H2 (MVStore file) backend, changed so that a write is acknowledged only once it is in the file.
 *
 * <p>Stock H2Backend leaves writes in memory until MVStore's background thread commits them, about once a second:
 * a write the client saw acknowledged was lost when the process was killed within that second. Here every write
 * command (insert, update, delete, findAndModify, create, createIndexes, drop, dropIndexes, dropDatabase,
 * renameCollection, aggregate with $out/$merge; bulk writes arrive as these) replies only after an MVStore commit
 * that covers it has been written, shared among concurrent writers by {@link GroupCommit}. Readers may see a write
 * a moment before it is durable (as with MongoDB's default read concern); they never wait for commits.
 *
 * <p><b>fsync.</b> By default a commit ends with the chunk handed to the operating system ({@code write(2)}), not
 * with {@code fsync}: the target is a crash of this process (kill -9, OOM kill, a JVM crash), after which the
 * kernel still writes the page cache out, and fsync would multiply the cost of every commit on ordinary disks.
 * Power loss or a kernel crash can still lose the last writes; {@code --fsync} adds {@code FileChannel.force}
 * to every (group) commit for those who need that too.
 */
class DurableH2Backend extends H2Backend {

    private static final Logger log = LoggerFactory.getLogger(DurableH2Backend.class);

    /**
     * How long a commit waits for writes still executing to join it. A lone writer never waits; under concurrency
     * this turns many one-write commits (each a chunk of ~20 KB in the file) into fewer, larger ones.
     */
    private static final long STRAGGLE_MICROS = 2000;

    /** Chunks less full than this (percent of live data) are rewritten by the maintenance task. */
    private static final int COMPACT_TARGET_FILL_RATE = 50;

    /** At most this much is rewritten per maintenance run, so that a run never stalls writers for long. */
    private static final int COMPACT_WRITE_BYTES = 1 << 20;

    /** Lower-case names of the commands that change data (mongo-java-server matches command names case-insensitively). */
    private static final Set<String> WRITE_COMMANDS = Set.of("insert", "update", "delete", "findandmodify", "create",
        "createindexes", "drop", "dropindexes", "dropdatabase", "renamecollection");

    private final GroupCommit groupCommit;

    private final ScheduledExecutorService maintenance = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "h2-maintenance");
        thread.setDaemon(true);
        return thread;
    });

    DurableH2Backend(String fileName, boolean fsync) {
        super(openStore(fileName));
        MVStore store = getMvStore();
        groupCommit = new GroupCommit(() -> {
            store.commit();
            if (fsync) {
                store.sync();
            }
        }, STRAGGLE_MICROS, TimeUnit.MICROSECONDS);
        maintenance.scheduleWithFixedDelay(this::maintain, 1, 1, TimeUnit.SECONDS);
    }

    /**
     * MVStore's own background writer is off (auto-commit disabled). With it on, its commits run asynchronously
     * (handed to two executor threads), and {@code MVStore.commit()} returns at once when such a commit has already
     * taken the caller's changes but not yet written them: there is no way to wait for "my write is in the file".
     * With it off, every store runs in the committing thread under MVStore's store lock, so when
     * {@code commit()} returns, everything changed before the call is in the file. It also saves two thread
     * hand-offs per commit, which on a busy machine cost more than the write itself.
     *
     * <p>What the background writer also did, {@link #maintain()} does instead.
     *
     * <p>The page cache is a quarter of the heap (16 MB to 1 GB) instead of MVStore's 16 MB: pages hold their
     * documents deserialized, and with 16 MB a fleet's hot services and history pages fell out of it all the time, so
     * that reads Java-deserialized them again (a fifth of what the database allocated on the soak benchmark).
     */
    private static MVStore openStore(String fileName) {
        return new MVStore.Builder().fileName(fileName).autoCommitDisabled().cacheSize(pageCacheMb()).open();
    }

    static int pageCacheMb() {
        long quarterOfHeapMb = Runtime.getRuntime().maxMemory() / (4L * 1024 * 1024);
        return (int) Math.max(16, Math.min(1024, quarterOfHeapMb));
    }

    /**
     * Once a second: commit anything left unsaved (changes by a command not classified as a write; normally
     * nothing), and rewrite sparsely used chunks so that their space can be reused and the file stays bounded. Old
     * chunks are kept for MVStore's retention time (45 s) before their space is reused, so the file holds about
     * that long of commits: the cost of committing every write shows up as file size, not only as time.
     */
    private void maintain() {
        MVStore store = getMvStore();
        try {
            if (store.isClosed()) {
                return;
            }
            if (store.hasUnsavedChanges()) {
                groupCommit.awaitCommitted();
            }
            if (store.compact(COMPACT_TARGET_FILL_RATE, COMPACT_WRITE_BYTES)) {
                groupCommit.awaitCommitted(); // the rewritten pages are new changes: write them
            }
        } catch (RuntimeException e) {
            if (!store.isClosed()) {
                log.warn("H2 maintenance failed", e);
            }
        }
    }

    @Override
    public void close() {
        maintenance.shutdownNow();
        super.close(); // closing the MVStore commits what is left
    }

    @Override
    public Document handleCommand(Channel channel, String database, String command, Document query) {
        if (Hello.isHello(command)) {
            return Hello.fromIsMaster(super.handleCommand(channel, database, "isMaster", query));
        }
        if (!isWrite(command, query)) {
            return super.handleCommand(channel, database, command, query);
        }
        groupCommit.beginWrite();
        try {
            return super.handleCommand(channel, database, command, query);
        } finally {
            // also after a failed write: part of it (e.g. an ordered insert before a duplicate) may have been applied
            groupCommit.endWriteAndAwaitCommit();
        }
    }

    @Override
    protected MongoDatabase openOrCreateDatabase(String databaseName) {
        // also called by H2Backend's constructor for the databases in the file, before our fields are assigned
        return new IndexedH2Database(databaseName, getMvStore(), getCursorRegistry());
    }

    @Override
    public Document getServerStatus() {
        Document status = QueryStats.addTo(super.getServerStatus());
        long[] counts = groupCommit.counts();
        // how well commits are shared (writes / commits is the average group size) and what they cost
        status.put("groupCommit", new Document("commits", counts[0]).append("writes", counts[1])
            .append("commitMicros", counts[2]));
        return status;
    }

    static boolean isWrite(String command, Document query) {
        String name = command.toLowerCase(Locale.ROOT);
        if (WRITE_COMMANDS.contains(name)) {
            return true;
        }
        if (name.equals("aggregate") && query.get("pipeline") instanceof List<?> pipeline) {
            return pipeline.stream().anyMatch(stage -> stage instanceof Document document
                && (document.containsKey("$out") || document.containsKey("$merge")));
        }
        return false;
    }
}
