package local.tools.mongoserver;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import de.bwaldvogel.mongo.MongoBackend;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.MongoVersion;

/**
 * Starts a MongoDB-compatible server (de.bwaldvogel:mongo-java-server) for tests and local development.
 *
 * <pre>
 * java -jar target/mongo-java-server-launcher.jar --port 27019 [--host 127.0.0.1] [--data DIR [--fsync]] [--oplog]
 *      [--wire-version N] [--verbose]
 * </pre>
 *
 * Without --data the data lives in memory (MemoryBackend) and is gone when the process exits. With --data DIR
 * it is kept in the H2 MVStore file DIR/mongo.mv.db (H2Backend) between runs, and every write is in that file
 * before it is acknowledged, so it survives a crash of this process (see {@link DurableH2Backend}; --fsync also
 * makes it survive power loss, at a price). Prints exactly one line to stdout,
 * {@code ready on HOST:PORT (BACKEND)}, once the port accepts connections. SIGINT/SIGTERM shut it down cleanly
 * (the MVStore file is committed and closed). --port 0 picks a free port (read it from the ready line).
 *
 * <p>Two compatibility shims on top of mongo-java-server 1.47.0, whose stock server reports maxWireVersion 8 and
 * knows only the legacy {@code isMaster} handshake command:
 * <ul>
 * <li>it reports maxWireVersion {@value #DEFAULT_WIRE_VERSION} (MongoDB 4.4) by default, the minimum that the
 * MongoDB Node.js driver 7 and PyMongo 4.20 accept (they refuse wire version 8);
 * <li>{@code hello} is answered like {@code isMaster} (plus {@code isWritablePrimary}), since drivers send it
 * when a Stable API version is configured.
 * </ul>
 * Only the reported version changes.
 *
 * <p>What the launcher adds to mongo-java-server's feature set, on both backends:
 * <ul>
 * <li><b>Secondary indexes are used.</b> The stock server keeps only unique indexes and scans the collection for
 * every other filter. Here non-unique and compound indexes ({@link SecondaryIndex}) and ordered copies of the
 * unique ones ({@link OrderedUniqueIndex}) are kept through every write and chosen by a {@link QueryPlanner}:
 * equality, {@code $in}, null, {@code $gt/$gte/$lt/$lte}, compound prefixes with a range on the next field,
 * multikey (array) fields, and sorts the index delivers (either direction), which stop at the limit. Also for
 * count, distinct, update, delete, findAndModify and aggregations that start with {@code $match}.
 * <li><b>What a query examined is visible:</b> {@code explain} (find, count, distinct, aggregate, update, delete,
 * findAndModify) answers {@code executionStats.totalDocsExamined}, {@code totalKeysExamined} and
 * {@code nReturned}, and serverStatus {@code metrics.queryExecutor.scanned} / {@code scannedObjects} /
 * {@code collectionScans.total} count them server-wide, as MongoDB names them.
 * <li><b>Durable writes with --data:</b> a write is acknowledged only once it is in the file (group commit).
 * </ul>
 */
public final class Launcher {

    static final String DATA_FILE_NAME = "mongo.mv.db";

    static final int DEFAULT_WIRE_VERSION = 9;

    private static final int DURABLE_WORKER_THREADS = 64;

    /** MongoDB release for each wire version, as reported by buildInfo. */
    private static final Map<Integer, List<Integer>> RELEASES = Map.of(
        6, List.of(3, 6, 0), 7, List.of(4, 0, 0), 8, List.of(4, 2, 0), 9, List.of(4, 4, 0),
        13, List.of(5, 0, 0), 17, List.of(6, 0, 0), 21, List.of(7, 0, 0), 25, List.of(8, 0, 0));

    private static final String USAGE = String.join(System.lineSeparator(),
        "usage: java -jar mongo-java-server-launcher.jar --port PORT [--host HOST] [--data DIR [--fsync]] [--oplog]",
        "                                                [--wire-version N] [--verbose]",
        "  --port PORT       TCP port to listen on (0 = pick a free one; default 27019)",
        "  --host HOST       address to bind (default 127.0.0.1)",
        "  --data DIR        keep data between runs in DIR/" + DATA_FILE_NAME + " (H2 MVStore); default: in memory.",
        "                    A write is acknowledged once it is in the file (survives kill -9 of this process)",
        "  --fsync           with --data: also fsync every commit (survives power loss; costs a disk flush per commit)",
        "  --oplog           enable the oplog (needed for change streams / collection.watch())",
        "  --exit-with-stdin shut down when standard input closes (the parent process died)",
        "  --wire-version N  maxWireVersion to report, one of " + new java.util.TreeSet<>(RELEASES.keySet()),
        "                    (default " + DEFAULT_WIRE_VERSION + " = MongoDB 4.4, the minimum of Node driver 7)",
        "  --verbose         log at info level instead of warn",
        "Non-unique and compound indexes are used by queries (mongo-java-server alone scans); explain reports",
        "executionStats.totalDocsExamined, serverStatus metrics.queryExecutor.scannedObjects counts server-wide.");

    private Launcher() {
    }

    public static void main(String[] args) {
        String host = "127.0.0.1";
        int port = 27019;
        Path dataDir = null;
        boolean oplog = false;
        boolean exitWithStdin = false;
        boolean fsync = false;
        int wireVersion = DEFAULT_WIRE_VERSION;

        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            switch (arg) {
                case "--port" -> port = parsePort(value(args, ++i, arg));
                case "--host" -> host = value(args, ++i, arg);
                case "--data" -> dataDir = Path.of(value(args, ++i, arg)).toAbsolutePath().normalize();
                case "--oplog" -> oplog = true;
                case "--exit-with-stdin" -> exitWithStdin = true;
                case "--fsync" -> fsync = true;
                case "--wire-version" -> wireVersion = parseWireVersion(value(args, ++i, arg));
                case "--verbose" -> System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "info");
                case "-h", "--help" -> {
                    System.out.println(USAGE);
                    return;
                }
                default -> fail("unknown argument: " + arg);
            }
        }

        MongoBackend backend;
        String description;
        if (dataDir == null) {
            backend = new IndexedMemoryBackend();
            description = "memory";
        } else {
            try {
                Files.createDirectories(dataDir);
            } catch (IOException e) {
                die("cannot create data directory " + dataDir + ": " + e);
            }
            Path file = dataDir.resolve(DATA_FILE_NAME);
            try {
                backend = new DurableH2Backend(file.toString(), fsync);
            } catch (RuntimeException e) {
                // e.g. the file is locked by another running server
                die("cannot open " + file + ": " + e.getMessage());
                return;
            }
            description = "h2 " + file + (fsync ? ", fsync" : "");
        }

        backend.version(mongoVersion(wireVersion));
        description += ", wire " + wireVersion;

        MongoServer server = new MongoServer(backend);
        if (oplog) {
            server.enableOplog();
            description += ", oplog";
        }

        InetSocketAddress address;
        try {
            // A durable write holds its netty worker thread until its commit is written, and every connection of
            // that worker waits meanwhile: many workers let concurrent writers from many connections share commits.
            int workerThreads = dataDir == null ? 0 : DURABLE_WORKER_THREADS; // 0: netty's default, 2 x cores
            server.bind(new InetSocketAddress(host, port), 0, workerThreads);
            address = server.getLocalAddress();
        } catch (Exception e) { // netty rethrows java.net.BindException (checked) undeclared
            server.shutdownNow(); // also closes the backend (releases the MVStore file lock)
            die("cannot listen on " + host + ":" + port + ": " + e);
            return;
        }

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                server.shutdown(); // stops listening, closes connections, closes the backend (commits the MVStore)
            } finally {
                System.err.println("mongo-java-server stopped");
                stopped.countDown();
            }
        }, "mongo-java-server-shutdown"));

        String hostString = address.getHostString();
        if (hostString.contains(":")) {
            hostString = "[" + hostString + "]"; // IPv6 literal, as in a mongodb:// URL
        }
        System.out.println("ready on " + hostString + ":" + address.getPort() + " (" + description + ")");
        System.out.flush();
        if (exitWithStdin) {
            exitWhenStdinCloses();
        }

        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * A parent killed without a chance to clean up (SIGKILL, a crashed test runner) closes our stdin pipe;
     * exiting then keeps an orphaned server from holding the port and the data file lock.
     */
    private static void exitWhenStdinCloses() {
        Thread watcher = new Thread(() -> {
            try {
                while (System.in.read() != -1) {
                    // ignore input
                }
            } catch (IOException ignored) {
                // closed
            }
            System.exit(0); // runs the shutdown hook
        }, "stdin-watcher");
        watcher.setDaemon(true);
        watcher.start();
    }

    private static MongoVersion mongoVersion(int wireVersion) {
        List<Integer> release = RELEASES.get(wireVersion);
        return new MongoVersion() {
            @Override
            public List<Integer> getVersionArray() {
                return release;
            }

            @Override
            public int getWireVersion() {
                return wireVersion;
            }
        };
    }

    private static int parseWireVersion(String s) {
        try {
            int wireVersion = Integer.parseInt(s);
            if (RELEASES.containsKey(wireVersion)) {
                return wireVersion;
            }
        } catch (NumberFormatException ignored) {
            // fall through
        }
        fail("unsupported wire version: " + s + " (one of " + new java.util.TreeSet<>(RELEASES.keySet()) + ")");
        return -1;
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            fail("missing value for " + option);
        }
        return args[i];
    }

    private static int parsePort(String s) {
        try {
            int port = Integer.parseInt(s);
            if (port >= 0 && port <= 65535) {
                return port;
            }
        } catch (NumberFormatException ignored) {
            // fall through
        }
        fail("invalid port: " + s);
        return -1;
    }

    /** Bad command line: message plus usage, exit code 2. */
    private static void fail(String message) {
        System.err.println("error: " + message);
        System.err.println(USAGE);
        System.exit(2);
    }

    /** Cannot start (port taken, data file locked, ...): exit code 1. */
    private static void die(String message) {
        System.err.println("error: " + message);
        System.exit(1);
    }
}
