package local.tools.mongoserver;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import de.bwaldvogel.mongo.bson.Document;

/**
 * Counts what queries examine, so that clients can see without timing whether a query used an index: server-wide
 * (serverStatus {@code metrics.queryExecutor.scanned} = index keys examined, {@code scannedObjects} = documents
 * examined, {@code collectionScans.total}: MongoDB's names) and per command while {@code explain} runs one
 * ({@code executionStats.totalKeysExamined}, {@code totalDocsExamined}).
 */
final class QueryStats {

    private static final AtomicLong KEYS = new AtomicLong();
    private static final AtomicLong DOCS = new AtomicLong();
    private static final AtomicLong COLLECTION_SCANS = new AtomicLong();

    /** What the explain running on this thread has examined so far, or null outside explain. */
    private static final ThreadLocal<Capture> CAPTURE = new ThreadLocal<>();

    static final class Capture {
        long keys;
        long docs;
        final List<String> plans = new ArrayList<>();
    }

    private QueryStats() {
    }

    static void keyExamined() {
        KEYS.incrementAndGet();
        Capture capture = CAPTURE.get();
        if (capture != null) {
            capture.keys++;
        }
    }

    static void docsExamined(long count) {
        DOCS.addAndGet(count);
        Capture capture = CAPTURE.get();
        if (capture != null) {
            capture.docs += count;
        }
    }

    /** Which plan a query used: {@code IXSCAN <index>}, or {@code COLLSCAN} (then every document is examined). */
    static void plan(String plan) {
        if (plan.equals("COLLSCAN")) {
            COLLECTION_SCANS.incrementAndGet();
        }
        Capture capture = CAPTURE.get();
        if (capture != null) {
            capture.plans.add(plan);
        }
    }

    static Capture startCapture() {
        Capture capture = new Capture();
        CAPTURE.set(capture);
        return capture;
    }

    static void stopCapture() {
        CAPTURE.remove();
    }

    /** Adds {@code metrics.queryExecutor} to a serverStatus response. */
    static Document addTo(Document serverStatus) {
        Document metrics = (Document) serverStatus.computeIfAbsent("metrics", key -> new Document());
        metrics.put("queryExecutor", new Document("scanned", KEYS.get())
            .append("scannedObjects", DOCS.get())
            .append("collectionScans", new Document("total", COLLECTION_SCANS.get())));
        return serverStatus;
    }
}
