package local.tools.mongoserver;

import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.backend.QueryParameters;
import de.bwaldvogel.mongo.bson.Document;

/**
 * Lets an aggregation that starts with {@code $match} (optionally then {@code $sort}, {@code $limit}) read its
 * input through the query planner. mongo-java-server's Aggregation reads the whole collection
 * ({@code collection.queryAllAsStream()}) and filters in its $match stage; here the database notes the leading
 * stages for the command running on this thread, and the collection, asked for all its documents, answers with
 * the query instead. The stages still run afterwards on that input, which changes nothing: it already matches, is
 * sorted and limited.
 */
final class AggregatePushdown {

    private record Pending(String namespace, Document selector, int limit) {
    }

    private static final ThreadLocal<Pending> PENDING = new ThreadLocal<>();

    private AggregatePushdown() {
    }

    static Document run(String namespace, List<?> pipeline, Supplier<Document> command) {
        if (pipeline.isEmpty() || !(pipeline.get(0) instanceof Document first) || !(first.get("$match") instanceof Document match)) {
            return command.get();
        }
        Document selector = new Document("$query", match);
        int limit = 0;
        if (pipeline.size() > 1 && pipeline.get(1) instanceof Document second) {
            if (second.get("$sort") instanceof Document sort) {
                selector.put("$orderby", sort);
                if (pipeline.size() > 2 && pipeline.get(2) instanceof Document third && third.get("$limit") instanceof Number n) {
                    limit = n.intValue();
                }
            } else if (second.get("$limit") instanceof Number n) {
                limit = n.intValue();
            }
        }
        PENDING.set(new Pending(namespace, selector, limit));
        try {
            return command.get();
        } finally {
            PENDING.remove();
        }
    }

    /** The collection's documents for the aggregation running on this thread: the pushed-down query, if any. */
    static Stream<Document> documents(MongoCollection<?> collection, Supplier<Stream<Document>> all) {
        Pending pending = PENDING.get();
        if (pending == null || !pending.namespace().equals(collection.getFullName())) {
            return all.get();
        }
        PENDING.remove(); // once: any later read of the whole collection (a $lookup into itself) is a real one
        var result = collection.handleQuery(new QueryParameters(pending.selector(), 0, pending.limit()));
        return StreamSupport.stream(result.spliterator(), false);
    }
}
